import Foundation
import HTTPTypes
import LogAtlasCore
import LogAtlasStore
import PostgresNIO
import Testing
import TestSupport

/// `logatlas backup` and `logatlas restore`, run as an operator would: the service's database (a `DATABASE_URL`) is
/// backed up while it holds a request with delivered evidence, and restored into a new embedded cluster.
@Suite("backup and restore", .serialized)
struct BackupTests {
    /// What must survive a restore, read with plain SQL: the inventory, the requests with every item's state and
    /// evidence, and the audit trail's last hash.
    static func contents(_ client: PostgresClient) async throws -> [String] {
        var lines: [String] = []
        for query: PostgresQuery in [
            "SELECT string_agg(id::text || ' ' || name, ',' ORDER BY id) FROM log_sources",
            "SELECT string_agg(id::text || ' ' || incident_reference, ',' ORDER BY id) FROM requests",
            "SELECT string_agg(id::text || ' ' || state, ',' ORDER BY id) FROM request_items",
            "SELECT string_agg(storage_key || ' ' || sha256, ',' ORDER BY id) FROM artifacts",
            "SELECT count(*)::text || ' ' || max(hash) FROM audit_events",
        ] {
            for try await value in try await client.query(query).decode(String?.self) { lines.append(value ?? "") }
        }
        return lines
    }

    @Test("a backup restores into a new cluster with its inventory, requests, intact audit chain and evidence")
    func backupRestoresIntoANewCluster() async throws {
        try await withTestApp { world in
            let (id, items) = try await world.file()
            let item = items["dept-a"]!
            #expect(try await world.fire("acknowledge", on: id, item: item, as: "cus-a").status == 200)
            #expect(try await world.fire("approve", on: id, item: item, as: "cus-a").status == 200)
            let logs = Array("2026-11-20T10:00:00Z fw1 deny 203.0.113.7 -> 10.0.0.5:445\n".utf8)
            let upload = try await world.send(.post, "/v1/requests/\(id)/items/\(item)/artifacts?file_name=fw.log", as: "cus-a", bytes: logs)
            #expect(upload.status == 201, "\(upload.text)")
            let key = try #require(try FileManager.default.contentsOfDirectory(atPath: world.artifactFolder.path).first)

            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("la-backup-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("logatlas.backup")
            let source = ["DATABASE_URL": await world.databaseURL()]
            let evidence = ["--artifact-dir", world.artifactFolder.path]

            let backup = try CommandLineTests.run(["backup", "-o", file.path] + evidence, environment: source)
            #expect(backup.status == 0, "\(backup.output)\(backup.errors)")
            #expect(backup.output.contains("1 evidence objects in its manifest"))
            #expect(backup.output.contains("evidence: all 1 objects present with their SHA-256"))
            // The manifest inside names the object with its size and digest.
            let manifest = try CommandLineTests.run(["-xOf", file.path, "manifest.json"], binary: URL(fileURLWithPath: "/bin/tar"))
            #expect(manifest.output.contains("\"key\" : \"\(key)\""))
            #expect(manifest.output.contains("\"sha256\" : \"\(sha256Hex(logs))\""))
            #expect(manifest.output.contains("\"size\" : \(logs.count)"))

            // Into a new embedded cluster (its own initdb: the application role does not exist there yet).
            let restored = folder.appendingPathComponent("restored")
            let restore = try CommandLineTests.run(["restore", file.path, "--data-dir", restored.path] + evidence)
            #expect(restore.status == 0, "\(restore.output)\(restore.errors)")
            let events = try await world.auditCount()
            #expect(restore.output.contains("audit chain: OK, \(events) events"))
            #expect(restore.output.contains("evidence: all 1 objects present with their SHA-256"))
            #expect(try CommandLineTests.run(["audit", "verify", "--data-dir", restored.path]).output.contains("OK: \(events) events, chain intact"))
            #expect(try CommandLineTests.run(["export", "--data-dir", restored.path]).output
                    == (try CommandLineTests.run(["export"], environment: source).output))
            let before = try await Self.contents(world.database.client)
            let after = try await DatabaseSession.with(.embedded(folder: restored), logger: .testApp) { database in
                // The service's role works on the restored tables: row-level security still scopes a custodian.
                let seen = try await PostgresRequestRepository(database: database)
                    .request(RequestID(UUID(uuidString: id)!), as: Fixtures.custodianB)
                #expect(seen.items.map(\.custodianOrgID) == [Fixtures.vendorB])
                return try await Self.contents(database.client)
            }
            #expect(after == before)

            // A database that holds anything is refused, and nothing in it changes.
            let again = try CommandLineTests.run(["restore", file.path, "--data-dir", restored.path] + evidence)
            #expect(again.status != 0)
            #expect(again.errors.contains("the database is not empty"))
            #expect(try await DatabaseSession.with(.embedded(folder: restored), logger: .testApp) { try await Self.contents($0.client) } == before)

            // What is not a backup is refused before anything is written.
            let stray = folder.appendingPathComponent("stray.tar")
            try Data("not a backup".utf8).write(to: stray)
            let refused = try CommandLineTests.run(["restore", stray.path, "--data-dir", folder.appendingPathComponent("other").path])
            #expect(refused.status != 0)
            #expect(refused.errors.contains("is not a LogAtlas backup"))

            // Evidence that went missing from the store is named, and the exit status says so.
            try FileManager.default.removeItem(at: world.artifactFolder.appendingPathComponent(key))
            let missing = try CommandLineTests.run(["backup", "-o", folder.appendingPathComponent("second.backup").path] + evidence,
                                                   environment: source)
            #expect(missing.status == 1)
            #expect(missing.output.contains("evidence \(key): missing from the evidence store"))
            #expect(missing.errors.contains("1 of 1 evidence objects are missing or differ"))
        }
    }
}
