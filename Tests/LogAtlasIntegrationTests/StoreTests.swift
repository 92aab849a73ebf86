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

    /// Attestations and measured lead times are exactly as visible as their source — to raw SQL as well, where only
    /// row-level security decides — whether the caller holds the source as its custodian or owns its system.
    @Test func attestationsAndLeadTimesAreExactlyAsVisibleAsTheirSource() async throws {
        try await withTestDatabase { database in
            let repository = PostgresInventoryRepository(database: database)
            try await repository.apply(Fixtures.inventory(), scope: .everything, prune: false, dryRun: false, as: Fixtures.admin)
            // Held by vendor-b on dept-a's system: both custodians see it.
            _ = try await repository.create(Fixtures.firewall(on: SystemID("corp-net"), custodian: Fixtures.vendorB, name: "outsourced-ids"), as: Fixtures.admin)
            let sources = try await repository.export(as: Fixtures.admin).sources
            let names = Dictionary(uniqueKeysWithValues: sources.map { ($0.id.rawValue, $0.name) })
            let now = Date()
            for source in sources {
                _ = try await repository.attest(Attestation(oldestRecordAt: now.addingTimeInterval(-30 * 86_400), checkedAt: now, checkedBy: "t", method: "query"),
                                                to: source.id, as: Fixtures.admin)
            }
            try await database.asOwner(actor: "test") { connection in
                for source in sources {
                    try await connection.query("INSERT INTO source_lead_times (source_id, samples, median_hours, p90_hours) VALUES (\(source.id.rawValue), 3, 2, 4)",
                                               logger: log)
                }
            }
            func visible(_ table: String, as caller: Principal) async throws -> [String] {
                let query: PostgresQuery = table == "attestations" ? "SELECT source_id FROM attestations" : "SELECT source_id FROM source_lead_times"
                return try await database.withCaller(caller) { connection in
                    var seen: [String] = []
                    for try await id in try await connection.query(query, logger: log).decode(UUID.self) { seen.append(names[id] ?? "?") }
                    return seen.sorted()
                }
            }
            for table in ["attestations", "source_lead_times"] {
                #expect(try await visible(table, as: Fixtures.custodianA) == ["firewall", "outsourced-ids", "proxy"], "\(table)")
                #expect(try await visible(table, as: Fixtures.custodianB) == ["auth", "outsourced-ids"], "\(table)")
                #expect(try await visible(table, as: Fixtures.csirt) == ["auth", "firewall", "outsourced-ids", "proxy"], "\(table)")
                #expect(try await visible(table, as: Fixtures.auditor) == ["auth", "firewall", "outsourced-ids", "proxy"], "\(table)")
            }
            // The one-call check answers for the caller only, and the application role cannot widen it.
            let auth = try #require(sources.first { $0.name == "auth" })
            let answer = try await database.withCaller(Fixtures.custodianA) { connection in
                var answers: [Bool] = []
                for try await value in try await connection.query("SELECT app_sees_source(\(auth.id.rawValue))", logger: log).decode(Bool.self) { answers.append(value) }
                return answers
            }
            #expect(answer == [false])
            #expect(try await repository.source(auth.id, as: Fixtures.custodianB).latestAttestation != nil)
            #expect(try await repository.source(auth.id, as: Fixtures.custodianB).measuredLeadTime?.samples == 3)
        }
    }

    /// `--db-connections` caps the pool: ten concurrent statements share two server processes.
    @Test func thePoolKeepsToItsConnectionLimit() async throws {
        let url = try await TestCluster.shared.freshDatabaseURL()
        let backends = try await DatabaseSession.with(.url(url), connections: 2, logger: log) { database in
            try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        var pid: Int32 = 0
                        for try await value in try await database.client.query("SELECT pg_backend_pid() FROM pg_sleep(0.05)", logger: log).decode(Int32.self) { pid = value }
                        return pid
                    }
                }
                return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
            }
        }
        #expect(backends.count >= 1 && backends.count <= 2)
        #expect(ConnectionPool.defaultSize >= 4)
    }

    /// Filing is two statements that set the caller themselves: on a one-connection pool, the connection is the
    /// owner's again afterwards, the request's audit events are chained, and the sources were read as the caller.
    @Test func filingSetsTheCallerPerStatementAndLeavesNoneBehind() async throws {
        var configuration = try await TestCluster.shared.freshDatabase()
        configuration.options.maximumConnections = 1
        try await withRunningClient(configuration) { client in
            let database = Database(client: client, acquireTimeout: TestCluster.acquireTimeout)
            let inventory = PostgresInventoryRepository(database: database)
            try await inventory.apply(Fixtures.inventory(), scope: .everything, prune: false, dryRun: false, as: Fixtures.admin)
            let sources = try await inventory.export(as: Fixtures.admin).sources
            let now = Date()
            let draft = RequestDraft(incidentReference: "INC-7", purpose: "lateral movement", priority: .serious,
                                     window: TimeWindow(from: now.addingTimeInterval(-2 * 86_400), to: now.addingTimeInterval(-86_400)),
                                     sourceIDs: sources.map(\.id))
            let requests = PostgresRequestRepository(database: database)
            let filed = try await requests.file(draft, sla: SLAPolicy(), now: now, as: Fixtures.csirt).request
            #expect(Set(filed.items.map(\.custodianOrgID)) == [Fixtures.deptA, Fixtures.vendorB])
            let (user, role) = try await client.withConnection { connection in
                var pair = ("", "")
                for try await value in try await connection.query("SELECT current_user::text, coalesce(current_setting('logatlas.role', true), '')",
                                                                   logger: log).decode((String, String).self) { pair = value }
                return pair
            }
            #expect(user != "logatlas_app")
            #expect(role == "")
            let events = try await client.withConnection { connection in
                var rows: [String] = []
                for try await (action, actor) in try await connection.query("SELECT action, actor FROM audit_events WHERE object_type IN ('request', 'request-item') ORDER BY seq",
                                                                            logger: log).decode((String, String).self) { rows.append("\(action) by \(actor)") }
                return rows
            }
            #expect(events == ["request.create by cyd", "request-item.create by cyd", "request-item.create by cyd"])
            let verification = try await AuditTrail(database: database).verify()
            if case .intact = verification {} else { Issue.record("audit chain: \(verification)") }
            // The filing read is scoped like any other: a custodian sees its own organisation's sources only.
            let names = try await client.withConnection { connection in
                var names: [String] = []
                for try await name in try await connection.query("SELECT name FROM sources_as_caller('custodian', 'dept-a', 'x', \(sources.map(\.id.rawValue)))",
                                                                 logger: log).decode(String.self) { names.append(name) }
                return names.sorted()
            }
            #expect(names == ["firewall", "proxy"])
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

    @Test func auditEventsJoinTheChainWhenTheirTransactionCommits() async throws {
        try await withTestDatabase { database in
            let repository = PostgresInventoryRepository(database: database)
            let trail = AuditTrail(database: database)
            func pending() async throws -> Int {
                for try await count in try await database.client.query("SELECT count(*)::integer FROM audit_pending").decode(Int.self) { return count }
                return -1
            }
            // A rolled-back change leaves nothing in the chain and nothing staged.
            struct Rollback: Error {}
            await #expect(throws: Rollback.self) {
                try await database.withCaller(Fixtures.admin) { connection in
                    try await connection.query("INSERT INTO orgs (id, name, kind) VALUES ('ghost', 'Ghost', 'vendor')", logger: log)
                    throw Rollback()
                }
            }
            #expect(try await trail.count(objectType: "org", objectID: "ghost") == 0)
            #expect(try await pending() == 0)

            // Inside the transaction the events are staged, not chained; at commit they are chained, in order.
            let (chainedBefore, stagedBefore) = try await database.asOwner(actor: "ada") { connection -> (Int, Int) in
                try await connection.query("INSERT INTO orgs (id, name, kind) VALUES ('o1', 'One', 'vendor'), ('o2', 'Two', 'vendor')", logger: log)
                try await connection.query("UPDATE orgs SET name = 'One again' WHERE id = 'o1'", logger: log)
                var chained = -1, staged = -1
                for try await count in try await connection.query("SELECT count(*)::integer FROM audit_events WHERE object_id IN ('o1', 'o2')", logger: log).decode(Int.self) { chained = count }
                for try await count in try await connection.query("SELECT count(*)::integer FROM audit_pending", logger: log).decode(Int.self) { staged = count }
                return (chained, staged)
            }
            #expect(chainedBefore == 0 && stagedBefore == 2)
            #expect(try await pending() == 0)
            let events = try await trail.events(objectIDs: ["o1", "o2"], types: ["org"])
            #expect(events.map(\.action) == ["org.create", "org.create", "org.update"])
            #expect(events.map(\.objectID) == ["o1", "o2", "o1"])
            #expect(events.map(\.actor) == ["ada", "ada", "ada"])
            #expect(Set(events.map(\.seq)).count == 3 && events.map(\.seq) == events.map(\.seq).sorted())

            // Many writers at once still make one linear chain that verifies, with every event in it.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        _ = try await repository.create(Organisation(id: OrgID("c-\(index)"), name: "Concurrent \(index)", kind: .vendor), as: Fixtures.admin)
                    }
                }
                try await group.waitForAll()
            }
            let verification = try await trail.verify()
            guard case .intact(let count) = verification else { Issue.record("\(verification)"); return }
            #expect(count == 3 + 40)
            #expect(try await pending() == 0)

            // The application role can neither read nor forge staged events.
            for statement in ["SELECT * FROM audit_pending", "INSERT INTO audit_pending (actor, object_type, actions, object_ids, befores, afters) VALUES ('x', 'org', '{}', '{}', '{}', '{}')"] {
                await #expect(throws: (any Error).self) {
                    try await database.withCaller(Fixtures.admin) { connection in try await connection.query(PostgresQuery(unsafeSQL: statement), logger: log) }
                }
            }
        }
    }

    @Test func aLongTransactionDoesNotHoldUpOtherAuditedWrites() async throws {
        try await withTestDatabase { database in
            let repository = PostgresInventoryRepository(database: database)
            let (inserted, insertedSignal) = AsyncStream<Void>.makeStream()
            let (otherCommitted, otherSignal) = AsyncStream<Bool>.makeStream()
            // The first transaction makes an audited change and stays open until the second writer has
            // committed (or 20 s have passed): chaining at commit must not make the second wait for the first.
            async let slow: Bool = database.asOwner(actor: "ada") { connection in
                try await connection.query("INSERT INTO orgs (id, name, kind) VALUES ('slow', 'Slow', 'vendor')", logger: log)
                insertedSignal.yield()
                return await withTaskGroup(of: Bool.self) { group in
                    group.addTask { for await committed in otherCommitted { return committed }; return false }
                    group.addTask { try? await Task.sleep(for: .seconds(20)); return false }
                    let first = await group.next() ?? false
                    group.cancelAll()
                    return first
                }
            }
            for await _ in inserted { break }
            _ = try await repository.create(Organisation(id: OrgID("quick"), name: "Quick", kind: .vendor), as: Fixtures.admin)
            otherSignal.yield(true)
            #expect(try await slow, "the second writer waited for the first transaction to end")
            // Both changes are in the chain, the quick one first: the chain follows commit order.
            let events = try await AuditTrail(database: database).events(objectIDs: ["slow", "quick"], types: ["org"])
            #expect(events.map(\.objectID) == ["quick", "slow"])
            #expect(try await AuditTrail(database: database).verify() == .intact(events: 2))
        }
    }
}
