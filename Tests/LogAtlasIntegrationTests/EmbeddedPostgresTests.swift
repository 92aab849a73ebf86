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

    /// Items filed before 0013 get the moment their first SLA event can fall due, without audit events for it,
    /// and the SLA pass finds them through it.
    @Test func itemsFiledBeforeTheSLAIndexAreScheduledByTheMigration() async throws {
        let configuration = try await TestCluster.shared.emptyDatabase()
        let migrations = try Migrator.bundled()
        let (request, item) = (UUID(), UUID())
        let filed = Date(timeIntervalSince1970: 1_900_000_000)
        try await withRunningClient(configuration) { client in
            _ = try await Migrator().migrate(client, migrations: migrations.filter { $0.version < "0013" })
            try await client.query("INSERT INTO orgs (id, name, kind) VALUES ('dept-a', 'Department A', 'department')")
            try await client.query("""
                INSERT INTO requests (id, incident_reference, purpose, priority, window_from, window_to, requested_by, filed_at)
                VALUES (\(request), 'INC-1', 'why', 'critical', \(filed.addingTimeInterval(-86_400)), \(filed), 'cyd', \(filed))
                """)
            try await client.query("""
                INSERT INTO request_items (id, request_id, custodian_org_id, source_ids, acknowledge_due, deliver_due)
                VALUES (\(item), \(request), 'dept-a', '{00000000-0000-0000-0000-00000000000a}',
                        \(filed.addingTimeInterval(4 * 3_600)), \(filed.addingTimeInterval(24 * 3_600)))
                """)
            func count(_ sql: PostgresQuery) async throws -> Int {
                var value = 0
                for try await n in try await client.query(sql).decode(Int.self) { value = n }
                return value
            }
            let eventsBefore = try await count("SELECT count(*)::int FROM audit_events")
            #expect(try await Migrator().migrate(client).count == migrations.count - migrations.filter { $0.version < "0013" }.count)
            var slaFrom: Date?
            for try await value in try await client.query("SELECT sla_from FROM request_items WHERE id = \(item)").decode(Date.self) { slaFrom = value }
            #expect(slaFrom == filed.addingTimeInterval(2 * 3_600))
            #expect(try await count("SELECT count(*)::int FROM audit_events") == eventsBefore, "scheduling is not a change to the item")
            let sla = SLAStore(database: Database(client: client))
            #expect(try await sla.runPass(now: filed.addingTimeInterval(1.9 * 3_600), policy: SLAPolicy())?.eventCount == 0)
            #expect(try await sla.runPass(now: filed.addingTimeInterval(2 * 3_600), policy: SLAPolicy())?.raised[RequestItemID(item)] == [.acknowledgeReminder])
        }
    }

    @Test func reportsStoredRowByRowSurviveTheMoveToOneDocumentPerOrganisation() async throws {
        let configuration = try await TestCluster.shared.emptyDatabase()
        let migrations = try Migrator.bundled()
        let reportID = UUID()
        try await withRunningClient(configuration) { client in
            _ = try await Migrator().migrate(client, migrations: migrations.filter { $0.version < "0010" })
            try await client.query("""
                INSERT INTO gap_reports (id, created_by, policies, inventory_digest, attack_version)
                VALUES (\(reportID), 'cyd', '{cis-v8-control-8}', 'digest', 'v15')
                """)
            try await client.query("""
                INSERT INTO gap_findings (report_id, policy_id, requirement_id, requirement_title, clause, target_kind, target_id, org_id,
                                          status, shortfalls, shortfall_types, source_ids, incident_types, weight)
                VALUES (\(reportID), 'cis-v8-control-8', '8.2', 'Collect audit logs', 'CIS 8.2', 'system', 'web', 'dept-a', 'partial',
                        '[{"kind": "retention", "have": 30, "need": 90, "attested": false}]', '{network.firewall}',
                        '{00000000-0000-0000-0000-00000000000a}', '{100,300}', 2),
                       (\(reportID), 'cis-v8-control-8', '8.2', 'Collect "audit" logs', 'CIS 8.2', 'org', 'dept-b', 'dept-b', 'missing',
                        '[{"kind": "log_types_missing", "types": ["network.dns"]}]', '{network.dns}', '{}', '{500}', 1.5)
                """)
            #expect(try await Migrator().migrate(client).count == migrations.count - migrations.filter { $0.version < "0010" }.count)
            let reports = PostgresGapReportRepository(database: Database(client: client))
            let csirt = Principal(userID: UserID(), name: "cyd", role: .csirt, orgIDs: [])
            let stored = try await reports.report(reportID, as: csirt)
            #expect(stored.findings.map(\.target.id) == ["dept-b", "web"])
            #expect(stored.findings.map(\.status) == [.missing, .partial])
            #expect(stored.findings[0].requirement.title == #"Collect "audit" logs"#)
            #expect(stored.findings[0].shortfalls == [.logTypesMissing(["network.dns"])])
            #expect(stored.findings[1].shortfalls == [.retention(have: 30, need: 90, attested: false)])
            #expect(stored.findings[1].sourceIDs.map(\.description) == ["00000000-0000-0000-0000-00000000000a"])
            #expect(stored.findings[1].requirement.incidentTypes == [.unauthorisedAccess, .malware])
            #expect(stored.findings[0].requirement.weight == 1.5)
            // Row-level security still filters per organisation after the move.
            let custodian = Principal(userID: UserID(), name: "cus-a", role: .custodian, orgIDs: [OrgID("dept-a")])
            #expect(try await reports.report(reportID, as: custodian).findings.map(\.target.id) == ["web"])
        }
    }
}
