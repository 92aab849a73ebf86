import Foundation
import LogAtlasCore
import LogAtlasStore
import PostgresNIO
import Testing
import TestSupport
import Logging

private let log = Logger(label: "test")

@Suite("Inventory store on PostgreSQL")
struct StoreTests {
    @Test func applyCreatesEverythingAndIsIdempotent() async throws {
        try await withTestDatabase { database in
            let repository = PostgresInventoryRepository(database: database)
            let first = try await repository.apply(Fixtures.inventory(), scope: .everything, prune: false, dryRun: false, as: Fixtures.admin)
            #expect(first.orgs.created.count == 3)
            #expect(first.systems.created.count == 2)
            #expect(first.sources.created.count == 3)
            let second = try await repository.apply(Fixtures.inventory(), scope: .everything, prune: false, dryRun: false, as: Fixtures.admin)
            #expect(second.isEmpty)
            #expect(second.sources.unchanged.count == 3)
            let exported = try await repository.export(as: Fixtures.admin)
            #expect(exported.sources.count == 3)
            #expect(exported.sources.first { $0.name == "firewall" }?.retentionTiers.count == 2)
        }
    }

    @Test func pruneDeletesWhatTheFileNoLongerDeclares() async throws {
        try await withTestDatabase { database in
            let repository = PostgresInventoryRepository(database: database)
            try await repository.apply(Fixtures.inventory(), scope: .everything, prune: false, dryRun: false, as: Fixtures.admin)
            var smaller = Fixtures.inventory()
            smaller.sources.removeAll { $0.name == "proxy" }
            smaller.sources[0].retentionTiers[0].days = 180
            let dry = try await repository.apply(smaller, scope: .everything, prune: true, dryRun: true, as: Fixtures.admin)
            #expect(dry.sources.deleted.map(\.description) == ["corp-net/proxy"])
            #expect(try await repository.export(as: Fixtures.admin).sources.count == 3)
            let diff = try await repository.apply(smaller, scope: .everything, prune: true, dryRun: false, as: Fixtures.admin)
            #expect(diff.sources.deleted.map(\.description) == ["corp-net/proxy"])
            #expect(diff.sources.updated.map(\.description) == ["corp-net/firewall"])
            let sources = try await repository.export(as: Fixtures.admin).sources
            #expect(sources.map(\.name).sorted() == ["auth", "firewall"])
            #expect(sources.first { $0.name == "firewall" }?.retentionTiers[0].days == 180)
        }
    }

    @Test func rowLevelSecurityHidesOtherOrgsOnItsOwn() async throws {
        try await withTestDatabase { database in
            let repository = PostgresInventoryRepository(database: database)
            try await repository.apply(Fixtures.inventory(), scope: .everything, prune: false, dryRun: false, as: Fixtures.admin)
            // Raw SQL without any WHERE clause: only row-level security stands between org A and org B's rows.
            let names = try await database.withCaller(Fixtures.custodianA) { connection in
                var names: [String] = []
                for try await name in try await connection.query("SELECT name FROM log_sources ORDER BY name", logger: log).decode(String.self) { names.append(name) }
                return names
            }
            #expect(names == ["firewall", "proxy"])
            let systemCount = try await database.withCaller(Fixtures.custodianA) { connection in
                var count = 0
                for try await value in try await connection.query("SELECT count(*) FROM systems WHERE owner_org_id = 'vendor-b'", logger: log).decode(Int.self) { count = value }
                return count
            }
            #expect(systemCount == 0)
            // Writes are refused by the database too.
            await #expect(throws: InventoryError.self) {
                try await database.withCaller(Fixtures.custodianA) { connection in
                    try await connection.query("""
                        INSERT INTO log_sources (system_id, system_owner_org_id, name, log_type, custodian_org_id)
                        VALUES ('vendor-dc', 'vendor-b', 'planted', 'network.dns', 'vendor-b')
                        """, logger: log)
                }
            }
            // And the role in force is not the table owner.
            let role = try await database.withCaller(Fixtures.custodianA) { connection in
                var role = ""
                for try await value in try await connection.query("SELECT current_user::text", logger: log).decode(String.self) { role = value }
                return role
            }
            #expect(role == "logatlas_app")
        }
    }

    @Test func oneRoundTripReadsAreScopedAndLeaveNoCallerBehind() async throws {
        try await withTestDatabase { database in
            let repository = PostgresInventoryRepository(database: database)
            try await repository.apply(Fixtures.inventory(), scope: .everything, prune: false, dryRun: false, as: Fixtures.admin)
            let vendorSource = try await repository.export(as: Fixtures.admin).sources.first { $0.name == "auth" }!
            await #expect(throws: InventoryError.notFound(kind: "source", id: vendorSource.id.description)) {
                try await repository.source(vendorSource.id, as: Fixtures.custodianA)
            }
            #expect(try await repository.source(vendorSource.id, as: Fixtures.custodianB).notes == "secret vendor notes")
            let (user, role) = try await database.client.withConnection { connection in
                var seen = 0
                for try await _ in try await connection.query("SELECT * FROM source_as_caller('custodian', 'dept-a', 'x', \(vendorSource.id.rawValue))", logger: log) { seen += 1 }
                #expect(seen == 0)
                for try await pair in try await connection.query("SELECT current_user::text, coalesce(current_setting('logatlas.role', true), '')", logger: log).decode((String, String).self) {
                    return pair
                }
                return ("", "")
            }
            #expect(user != "logatlas_app")
            #expect(role == "")
        }
    }

    @Test func auditChainVerifiesAndDetectsTampering() async throws {
        try await withTestDatabase { database in
            let repository = PostgresInventoryRepository(database: database)
            try await repository.apply(Fixtures.inventory(), scope: .everything, prune: false, dryRun: false, as: Fixtures.admin)
            let trail = AuditTrail(database: database)
            #expect(try await trail.verify() == .intact(events: 8))
            // The database refuses edits outright…
            await #expect(throws: (any Error).self) {
                try await database.client.query("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")
            }
            // …so a tamperer must disable the trigger as superuser; verification still catches it.
            try await database.client.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
            try await database.client.query("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")
            #expect(try await trail.verify() == .broken(seq: 3, reason: "hash does not match the event's content (the event was altered)"))
        }
    }
}
