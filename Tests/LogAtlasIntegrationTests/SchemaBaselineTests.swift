import Foundation
@testable import LogAtlasStore
import PostgresNIO
import Testing
import TestSupport

/// `schema/` is a baseline that replaced the pre-release migrations (kept under Fixtures/ for these tests): it must
/// give the very schema they gave, and a database they migrated must be taken as up to date, not migrated again.
@Suite("Schema baseline")
struct SchemaBaselineTests {
    /// The migrations before the baseline, as they were shipped.
    static func preBaseline() throws -> [Migration] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/schema-before-baseline")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted().map { name in
            Migration(version: String(name.dropLast(4)), sql: try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
        }
    }

    /// `pg_dump --schema-only` of a database, without comments, settings, blank lines and psql meta-commands.
    static func schema(of configuration: PostgresClient.Configuration) async throws -> String {
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).compactMap(Int.init)
        let candidates: [String] = versions.sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin/pg_dump" } + ["/usr/bin/pg_dump"]
        let dump = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) })
        let process = Process()
        process.executableURL = URL(fileURLWithPath: dump)
        process.arguments = ["--schema-only", "--no-owner", await TestCluster.shared.url(of: configuration)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return text.split(separator: "\n").filter { line in
            !line.isEmpty && !line.hasPrefix("--") && !line.hasPrefix("SET ") && !line.hasPrefix("SELECT pg_catalog.set_config")
                && !line.hasPrefix("\\")
        }.joined(separator: "\n")
    }

    static func versions(_ client: PostgresClient) async throws -> [String] {
        var versions: [String] = []
        for try await version in try await client.query("SELECT version FROM schema_migrations ORDER BY version").decode(String.self) {
            versions.append(version)
        }
        return versions
    }

    @Test func theBaselineGivesTheSchemaThePreReleaseMigrationsGave() async throws {
        let baseline = try await TestCluster.shared.emptyDatabase(), before = try await TestCluster.shared.emptyDatabase()
        let applied = try await withRunningClient(baseline) { try await Migrator().migrate($0) }
        // Migrations written after the baseline apply on top of either.
        let later = try Migrator.bundled().map(\.version).filter { !Migrator.baseline.contains($0) }
        #expect(later.allSatisfy { $0 > Migrator.baseline.last! })
        #expect(applied == Migrator.baseline + later)
        let preBaseline = try Self.preBaseline()
        try await withRunningClient(before) { client in
            let appliedBefore = try await Migrator().migrate(client, migrations: preBaseline)
            #expect(appliedBefore.count == 14)
            // The binary of today takes it as the baseline: only the migrations after the baseline are applied, and
            // /readyz says ready.
            #expect(try await Migrator().migrate(client) == later)
            #expect(try await Migrator().isCurrent(client))
            #expect(try await Self.versions(client).count == 14 + 4 + later.count)   // 0001_inventory is in both lists
            #expect(try await Migrator().migrate(client).isEmpty)
        }
        let fromBaseline = try await Self.schema(of: baseline), fromBefore = try await Self.schema(of: before)
        #expect(fromBaseline.contains("CREATE TABLE public.request_items") && fromBaseline.contains("CREATE POLICY sources_read"))
        #expect(fromBaseline == fromBefore)
    }

    @Test func aDatabaseMigratedPartWayBeforeTheBaselineIsRefusedAndLeftAsItWas() async throws {
        let configuration = try await TestCluster.shared.emptyDatabase()
        try await withRunningClient(configuration) { client in
            _ = try await Migrator().migrate(client, migrations: Array(try Self.preBaseline().prefix(6)))
            await #expect(throws: DatabaseError.self) { try await Migrator().migrate(client) }
            let expected = try Self.preBaseline().prefix(6).map(\.version)
            #expect(try await Self.versions(client) == expected)
        }
    }
}
