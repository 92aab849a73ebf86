import Foundation
import LogAtlasCore
@testable import LogAtlasStore
import Logging
import PostgresNIO
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("Embedded PostgreSQL and migrations", .serialized)
struct EmbeddedPostgresTests {
    static func folder(_ name: String) -> URL {
        let url = URL(fileURLWithPath: "/tmp/la-\(name)-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        return url
    }

    static func canQuery(_ cluster: EmbeddedPostgres) async throws -> Bool {
        try await withRunningClient(cluster.configuration(database: "postgres")) { client in
            var one = 0
            for try await value in try await client.query("SELECT 1").decode(Int.self) { one = value }
            return one == 1
        }
    }

    @Test func startsStopsAndRestartsOverAStalePidFile() async throws {
        let folder = Self.folder("stale")
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = EmbeddedPostgres(folder: folder)
        try await first.start()
        #expect(first.isOwned)
        #expect(try await Self.canQuery(first))
        first.stop()
        // A crash leaves postmaster.pid naming a process that is gone.
        try "999999\n\(folder.path)/pgdata\n".write(to: folder.appendingPathComponent("pgdata/postmaster.pid"), atomically: true, encoding: .utf8)
        let second = EmbeddedPostgres(folder: folder)
        try await second.start()
        #expect(try await Self.canQuery(second))
        second.stop()
    }

    @Test func anOrphanedPostmasterFromAKilledRunIsReplaced() async throws {
        let folder = Self.folder("orphan")
        defer { try? FileManager.default.removeItem(at: folder) }
        let killed = EmbeddedPostgres(folder: folder)
        try await killed.start()
        let orphanPID = try #require(killed.postmasterPID)
        // The owning LogAtlas process "died": its PID in the owner file no longer exists.
        try "999998\n".write(to: folder.appendingPathComponent("logatlas.owner"), atomically: true, encoding: .utf8)
        let next = EmbeddedPostgres(folder: folder)
        try await next.start()
        #expect(next.isOwned)
        #expect(next.postmasterPID != orphanPID)
        #expect(kill(orphanPID, 0) != 0 || waitpid(orphanPID, nil, WNOHANG) == orphanPID)
        #expect(try await Self.canQuery(next))
        next.stop()
    }

    /// #13 item 8: postmaster.pid naming a live process that is no postmaster (the PID was reused) used to get
    /// that process SIGQUIT and SIGKILL. Now it is left alone and the cluster starts.
    @Test func aReusedPidInPostmasterPidIsNeverSignalled() async throws {
        let folder = Self.folder("stranger")
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = EmbeddedPostgres(folder: folder)
        try await first.start()
        first.stop()
        let stranger = Process()
        stranger.executableURL = URL(fileURLWithPath: "/bin/sleep")
        stranger.arguments = ["60"]
        try stranger.run()
        defer { stranger.terminate() }
        try "\(stranger.processIdentifier)\n\(folder.path)/pgdata\n".write(to: folder.appendingPathComponent("pgdata/postmaster.pid"),
                                                                          atomically: true, encoding: .utf8)
        try "999997\n".write(to: folder.appendingPathComponent("logatlas.owner"), atomically: true, encoding: .utf8)
        let second = EmbeddedPostgres(folder: folder)
        try await second.start()
        #expect(stranger.isRunning)
        #expect(try await Self.canQuery(second))
        second.stop()
        #expect(stranger.isRunning)
    }

    @Test func aSecondProcessAttachesToTheRunningCluster() async throws {
        let folder = Self.folder("attach")
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = EmbeddedPostgres(folder: folder)
        try await server.start()
        // Pretend another live process (this test's parent) owns it.
        try "\(getppid())\n".write(to: folder.appendingPathComponent("logatlas.owner"), atomically: true, encoding: .utf8)
        let cli = EmbeddedPostgres(folder: folder)
        try await cli.start()
        #expect(!cli.isOwned)
        #expect(try await Self.canQuery(cli))
        cli.stop()  // not its cluster: nothing happens
        #expect(try await Self.canQuery(server))
        server.stop()
    }

    @Test func missingBinariesSayHowToInstallThem() {
        #expect(throws: EmbeddedPostgresError.self) { try PostgresBinaries.locate(environment: ["PATH": "/nonexistent"], libraryRoot: "/nonexistent") }
        #expect(EmbeddedPostgresError.binariesNotFound.description.contains("apt-get install -y postgresql"))
        let long = EmbeddedPostgres(folder: URL(fileURLWithPath: "/tmp/" + String(repeating: "x", count: 120)))
        #expect(long.socketPath.utf8.count > 107)
    }

    @Test func concurrentMigratorsApplyEachMigrationOnce() async throws {
        let configuration = try await TestCluster.shared.emptyDatabase()
        let results = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<3 {
                group.addTask { try await withRunningClient(configuration) { try await Migrator().migrate($0) } }
            }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        let all = try Migrator.bundled().map(\.version)
        #expect(results.flatMap { $0 }.sorted() == all.sorted())
        #expect(results.filter(\.isEmpty).count == 2)
        try await withRunningClient(configuration) { client in
            #expect(try await Migrator().isCurrent(client))
            var count = 0
            for try await value in try await client.query("SELECT count(*) FROM schema_migrations").decode(Int.self) { count = value }
            #expect(count == all.count)
        }
    }

    @Test func scriptSplitterKeepsFunctionBodiesWhole() {
        let script = """
            -- comment; with a semicolon
            CREATE TABLE t (a text DEFAULT 'x;y');
            CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$;
            DO $body$ BEGIN RAISE NOTICE 'a;b'; END $body$;
            /* block; comment */ SELECT "odd;name" FROM t
            """
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 4)
        #expect(statements[1].hasSuffix("END $$"))
        #expect(statements[2].contains("'a;b'"))
    }
}
