import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LogAtlasCore
import LogAtlasServer
import LogAtlasStore
import PostgresNIO
import Testing
import TestSupport

/// Records what a webhook receiver was sent, failing the first `failures` requests with 500.
actor WebhookReceiver {
    struct Received: Sendable {
        let headers: HTTPFields
        let body: String
    }

    var received: [Received] = []
    var failures: Int

    init(failures: Int) { self.failures = failures }

    func handle(headers: HTTPFields, body: String) -> HTTPResponse.Status {
        received.append(Received(headers: headers, body: body))
        if failures > 0 {
            failures -= 1
            return .internalServerError
        }
        return .noContent
    }
}

@Suite("Broker jobs: SLA and webhooks")
struct BrokerJobsTests {
    static let filed = Date(timeIntervalSince1970: 1_900_000_000)
    static let hour: TimeInterval = 3_600

    /// Files a critical request (4 h to acknowledge, 24 h to deliver) for dept-a's firewall at `filed`.
    static func fileCritical(_ database: Database) async throws -> RetrievalRequest {
        let sources = try await PostgresInventoryRepository(database: database).export(as: Fixtures.admin).sources
        let firewall = sources.first { $0.name == "firewall" }!
        let draft = RequestDraft(incidentReference: "INC-9", purpose: "ransomware precursor", priority: .critical,
                                 window: TimeWindow(from: filed.addingTimeInterval(-2 * 86_400), to: filed.addingTimeInterval(-86_400)),
                                 sourceIDs: [firewall.id])
        return try await PostgresRequestRepository(database: database).file(draft, sla: SLAPolicy(), now: filed, as: Fixtures.csirt).request
    }

    @Test("reminders at 50% and 100%, escalation, expiry — each once, with an injected clock")
    func slaPasses() async throws {
        try await withTestApp { world in
            let request = try await Self.fileCritical(world.database)
            let item = request.items[0].id
            let sla = SLAStore(database: world.database)
            func pass(after hours: Double) async throws -> [SLAEvent] {
                try await sla.runPass(now: Self.filed.addingTimeInterval(hours * Self.hour), policy: SLAPolicy())?.raised[item] ?? []
            }
            #expect(try await pass(after: 1).isEmpty)
            #expect(try await pass(after: 2) == [.acknowledgeReminder])
            #expect(try await pass(after: 2.5).isEmpty, "raised once only")
            #expect(try await pass(after: 4) == [.acknowledgeOverdue])
            // A restart changes nothing: the state is in the database.
            #expect(try await SLAStore(database: world.database).runPass(now: Self.filed.addingTimeInterval(4.5 * Self.hour), policy: SLAPolicy())?.eventCount == 0)
            #expect(try await pass(after: 12) == [.deliverReminder])
            #expect(try await pass(after: 24) == [.deliverOverdue])
            #expect(try await pass(after: 47).isEmpty)
            #expect(try await pass(after: 48) == [.expire])
            let expired = try await PostgresRequestRepository(database: world.database).request(request.id, as: Fixtures.csirt)
            #expect(expired.items[0].state == .expired)
            #expect(try await sla.events(of: item) == [.acknowledgeReminder, .acknowledgeOverdue, .deliverReminder, .deliverOverdue, .expire])
            let history = try await PostgresRequestRepository(database: world.database).history(of: request.id, as: Fixtures.csirt)
            #expect(history.map(\.action) == [.expire])
            #expect(history.first?.actor == "sla")
        }
    }

    @Test("an overdue acknowledgement is escalated to the custodian organisation's escalation contact, with the preservation instruction")
    func escalationReachesTheOutbox() async throws {
        try await withTestApp { world in
            #expect(try await world.send(.post, "/v1/webhooks", as: "cus-b", json: ["org": "vendor-b", "url": "https://hooks.example/b"]).status == 201)
            let sources = try await PostgresInventoryRepository(database: world.database).export(as: Fixtures.admin).sources
            let auth = sources.first { $0.name == "auth" }!
            // vendor-b's device-local copy keeps 7 days: data of 6 days ago leaves it within the 24 h delivery period.
            let draft = RequestDraft(incidentReference: "INC-10", purpose: "vendor jump host", priority: .critical,
                                     window: TimeWindow(from: Self.filed.addingTimeInterval(-6.5 * 86_400), to: Self.filed.addingTimeInterval(-6 * 86_400)),
                                     sourceIDs: [auth.id])
            let request = try await PostgresRequestRepository(database: world.database).file(draft, sla: SLAPolicy(), now: Self.filed, as: Fixtures.csirt).request
            #expect(request.items[0].preserveBefore != nil)
            _ = try await SLAStore(database: world.database).runPass(now: Self.filed.addingTimeInterval(5 * Self.hour), policy: SLAPolicy())
            // Every kind of announcement reaches the outbox: transitions, comments and evidence too.
            let repository = PostgresRequestRepository(database: world.database)
            let item = request.items[0].id
            let later = Self.filed.addingTimeInterval(6 * Self.hour)
            _ = try await repository.addComment("Please include the jump host", addressedTo: nil, on: request.id, as: Fixtures.csirt, now: later)
            for action in [ItemAction.acknowledge, .approve] {
                _ = try await repository.transition(action, item: item, of: request.id, note: nil, as: Fixtures.custodianB, now: later)
            }
            _ = try await repository.record(Artifact(requestID: request.id, itemID: item, kind: .handover, sha256: String(repeating: "c", count: 64),
                                                     location: "sftp", method: "pgp", createdBy: "cus-b", createdAt: later), as: Fixtures.custodianB)
            let rows = try await world.database.client.query("SELECT event, payload::text FROM webhook_outbox ORDER BY id")
            var events: [String: String] = [:]
            for try await (event, payload) in rows.decode((String, String).self) { events[event] = payload }
            #expect(Set(events.keys) == ["item.requested", "sla.acknowledge.reminder", "sla.acknowledge.overdue", "comment.created",
                                         "item.acknowledge", "item.approve", "artifact.handed_over"], "\(events.keys)")
            #expect(events["sla.acknowledge.reminder"]?.contains("escalate_to") == false)
            #expect(events["comment.created"]?.contains("jump host") == true)
            #expect(events["sla.acknowledge.overdue"]?.contains("\"escalate_to\": \"duty@b.example\"") == true, "\(events)")
            #expect(events["item.requested"]?.contains("Preserve before") == true)
        }
    }

    @Test("acknowledged items get no acknowledge reminders")
    func acknowledgementStopsTheAcknowledgeClock() async throws {
        try await withTestApp { world in
            let request = try await Self.fileCritical(world.database)
            _ = try await PostgresRequestRepository(database: world.database)
                .transition(.acknowledge, item: request.items[0].id, of: request.id, note: nil, as: Fixtures.custodianA, now: Self.filed.addingTimeInterval(60))
            let result = try await SLAStore(database: world.database).runPass(now: Self.filed.addingTimeInterval(13 * Self.hour), policy: SLAPolicy())
            #expect(result?.raised[request.items[0].id] == [.deliverReminder])
        }
    }

    @Test("only one replica runs an SLA pass at a time (advisory lock)")
    func slaLock() async throws {
        try await withTestApp { world in
            _ = try await Self.fileCritical(world.database)
            try await world.database.client.withTransaction(logger: .init(label: "lock-holder")) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(7310002)", logger: .init(label: "lock-holder"))
                let blocked = try await SLAStore(database: world.database).runPass(now: Self.filed.addingTimeInterval(5 * Self.hour), policy: SLAPolicy())
                #expect(blocked == nil)
            }
            let free = try await SLAStore(database: world.database).runPass(now: Self.filed.addingTimeInterval(5 * Self.hour), policy: SLAPolicy())
            #expect(free?.eventCount == 2)
        }
    }

    @Test("webhooks: signed, retried with back-off after the receiver fails, logged, scoped to the subscriber's items")
    func webhookDelivery() async throws {
        let receiver = WebhookReceiver(failures: 1)
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            return Response(status: await receiver.handle(headers: request.headers, body: String(buffer: body)))
        }
        try await Application(router: router).test(.live) { receiverClient in
            let port = try #require(receiverClient.port)
            try await withTestApp(broker: BrokerSettings(webhookAllow: [IPRange("127.0.0.0/8")!])) { world in
                let created = try await world.send(.post, "/v1/webhooks", as: "cus-a",
                                                   json: ["org": "dept-a", "url": "http://127.0.0.1:\(port)/hook", "events": ["item.requested", "item.acknowledge"]])
                #expect(created.status == 201, "\(created.text)")
                let secret = try #require(created.json["secret"] as? String)
                let webhookID = try #require(created.json["id"] as? String)
                #expect(try await world.send(.get, "/v1/webhooks", as: "cus-a").text.contains(webhookID))
                #expect(!(try await world.send(.get, "/v1/webhooks", as: "cus-b").text.contains(webhookID)))
                #expect(!(try await world.send(.get, "/v1/webhooks", as: "cus-a").text.contains(secret)), "the secret is shown once")
                #expect(try await world.send(.post, "/v1/webhooks", as: "cus-a", json: ["org": "vendor-b", "url": "http://x.example/"]).status == 422)

                let (id, items) = try await world.file()           // one item for dept-a, one for vendor-b
                #expect(try await world.fire("acknowledge", on: id, item: items["vendor-b"]!, as: "cus-b").status == 200)
                #expect(try await world.fire("acknowledge", on: id, item: items["dept-a"]!, as: "cus-a").status == 200)

                let store = NotificationStore(database: world.database)
                let now = Date()
                let sender = WebhookSender(allowing: [IPRange("127.0.0.0/8")!], clock: { now })
                let retry = RetryPolicy(baseDelay: 30, maxDelay: 600, maxAttempts: 5)
                // First pass: two messages (dept-a's item.requested and item.acknowledge); the receiver fails the first.
                #expect(try await store.deliverDue(now: now, retry: retry) { await sender.send($0) } == 2)
                #expect(try await store.deliverDue(now: now.addingTimeInterval(10), retry: retry) { await sender.send($0) } == 0, "not due before the back-off")
                #expect(try await store.deliverDue(now: now.addingTimeInterval(31), retry: retry) { await sender.send($0) } == 1)
                #expect(try await store.deliverDue(now: now.addingTimeInterval(3600), retry: retry) { await sender.send($0) } == 0)

                let received = await receiver.received
                #expect(received.count == 3)
                let events = received.map { $0.headers[HTTPField.Name("LogAtlas-Event")!] ?? "" }
                #expect(Set(events) == ["item.requested", "item.acknowledge"])
                for message in received {
                    #expect(!message.body.contains("vendor-b"), "dept-a's endpoint heard of another org's item: \(message.body)")
                    let signature = message.headers[HTTPField.Name("LogAtlas-Signature")!] ?? ""
                    let timestamp = String(Int(now.timeIntervalSince1970))
                    let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(message.body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
                    #expect(signature == "t=\(timestamp),v1=\(mac.map { String(format: "%02x", $0) }.joined())")
                    // Standard Webhooks: v1,<base64 HMAC(key, "<id>.<t>.<body>")>, the key being the base64 after whsec_.
                    let id = message.headers[HTTPField.Name("webhook-id")!] ?? ""
                    #expect(id == message.headers[HTTPField.Name("LogAtlas-Delivery")!])
                    #expect(message.headers[HTTPField.Name("webhook-timestamp")!] == timestamp)
                    let key = try #require(secret.hasPrefix("whsec_") ? Data(base64Encoded: String(secret.dropFirst(6))) : nil)
                    #expect(key.count == 32)
                    let standard = HMAC<SHA256>.authenticationCode(for: Data("\(id).\(timestamp).\(message.body)".utf8), using: SymmetricKey(data: key))
                    #expect(message.headers[HTTPField.Name("webhook-signature")!] == "v1," + Data(standard).base64EncodedString())
                }
                // The retried message is the same delivery (same id), so the receiver can deduplicate.
                let ids = received.map { $0.headers[HTTPField.Name("LogAtlas-Delivery")!] ?? "" }
                #expect(Set(ids).count == 2)

                let log = try await world.send(.get, "/v1/webhooks/\(webhookID)/deliveries", as: "cus-a")
                let attempts = (log.json(array: true) ?? []).map { ($0["status_code"] as? Int ?? 0, $0["delivered"] as? Bool ?? false) }
                #expect(attempts.count == 3)
                #expect(attempts.filter { $0.0 == 500 }.count == 1)
                #expect(attempts.filter { $0.0 == 204 }.count == 2)
                #expect(attempts.allSatisfy { $0.1 })
                #expect(try await world.send(.get, "/v1/webhooks/\(webhookID)/deliveries", as: "cus-b").status == 404)
                #expect(try await world.send(.delete, "/v1/webhooks/\(webhookID)", as: "cus-b").status == 404)
                #expect(try await world.send(.delete, "/v1/webhooks/\(webhookID)", as: "cus-a").status == 204)
            }
        }
    }

    @Test("a receiver that never answers is given up after the last retry")
    func webhookGivesUp() async throws {
        try await withTestApp(broker: BrokerSettings(webhookAllow: [IPRange("127.0.0.1/32")!])) { world in
            // Nothing listens on port 9 (discard) here: every attempt fails to connect.
            _ = try await world.send(.post, "/v1/webhooks", as: "cyd", json: ["url": "http://127.0.0.1:9/hook", "events": ["item.requested"]])
            _ = try await world.file(["firewall"])
            let store = NotificationStore(database: world.database)
            let retry = RetryPolicy(baseDelay: 1, maxDelay: 1, maxAttempts: 3)
            var now = Date()
            var handled = 0
            for _ in 0..<5 {
                handled += try await store.deliverDue(now: now, retry: retry) { await WebhookSender(timeout: .seconds(2), allowing: [IPRange("127.0.0.1/32")!]).send($0) }
                now = now.addingTimeInterval(2)
            }
            #expect(handled == 3)
            let rows = try await world.database.client.query("SELECT attempts, failed_at IS NOT NULL, delivered_at IS NULL FROM webhook_outbox")
            for try await (attempts, failed, undelivered) in rows.decode((Int, Bool, Bool).self) {
                #expect(attempts == 3 && failed && undelivered)
            }
        }
    }
}

@Suite("Measured friction")
struct MeasuredFrictionTests {
    @Test("delivered requests give the source a measured lead time and the friction report its figures")
    func measuredLeadTimes() async throws {
        try await withTestApp { world in
            let repository = PostgresRequestRepository(database: world.database)
            let firewall = try await PostgresInventoryRepository(database: world.database).export(as: Fixtures.admin).sources.first { $0.name == "firewall" }!
            let base = Date().addingTimeInterval(-30 * 86_400)
            // Three requests, delivered 10 h, 30 h and 50 h after filing; acknowledged after 1, 2 and 6 hours.
            for (index, (ack, deliver)) in [(1.0, 10.0), (2.0, 30.0), (6.0, 50.0)].enumerated() {
                let filed = base.addingTimeInterval(Double(index) * 86_400)
                let draft = RequestDraft(incidentReference: "INC-\(index)", purpose: "drill", priority: .serious,
                                         window: TimeWindow(from: filed.addingTimeInterval(-86_400), to: filed), sourceIDs: [firewall.id])
                let request = try await repository.file(draft, sla: SLAPolicy(), now: filed, as: Fixtures.csirt).request
                let item = request.items[0].id
                let hour = { (h: Double) in filed.addingTimeInterval(h * 3600) }
                _ = try await repository.transition(.acknowledge, item: item, of: request.id, note: nil, as: Fixtures.custodianA, now: hour(ack))
                _ = try await repository.transition(.approve, item: item, of: request.id, note: nil, as: Fixtures.custodianA, now: hour(ack))
                _ = try await repository.record(Artifact(requestID: request.id, itemID: item, kind: .handover, sha256: String(repeating: "b", count: 64),
                                                         location: "share", method: "smb", createdBy: "cus-a", createdAt: hour(deliver)), as: Fixtures.custodianA)
                _ = try await repository.transition(.deliver, item: item, of: request.id, note: nil, as: Fixtures.custodianA, now: hour(deliver))
            }
            let source = try await world.send(.get, "/v1/sources/\(firewall.id)", as: "cyd")
            #expect(source.json["measured_lead_time_samples"] as? Int == 3)
            #expect(source.json["measured_lead_time_hours"] as? Double == 30)
            #expect(abs((source.json["measured_lead_time_p90_hours"] as? Double ?? 0) - 46) < 1e-6)

            let friction = try await world.send(.get, "/v1/metrics/friction", as: "cyd")
            #expect(friction.status == 200)
            let org = (friction.json["orgs"] as? [[String: Any]])?.first
            #expect(org?["org"] as? String == "dept-a")
            #expect((org?["acknowledge"] as? [String: Any])?["median_hours"] as? Double == 2)
            #expect((org?["deliver"] as? [String: Any])?["median_hours"] as? Double == 30)
            // Serious: 1 d to acknowledge, 3 d to deliver — all three were on time.
            #expect(org?["breached"] as? Int == 0 && org?["judged"] as? Int == 3)
            let row = (friction.json["sources"] as? [[String: Any]])?.first
            #expect(row?["declared_lead_time_hours"] as? Double == 24)
            #expect((row?["measured"] as? [String: Any])?["median_hours"] as? Double == 30)
            // A custodian of another organisation sees none of it.
            #expect((try await world.send(.get, "/v1/metrics/friction", as: "cus-b").json["orgs"] as? [Any])?.isEmpty == true)
            // The gap analysis sees the measurement through the inventory it evaluates.
            let inventory = try await PostgresInventoryRepository(database: world.database).export(as: Fixtures.admin)
            #expect(inventory.sources.first { $0.id == firewall.id }?.measuredLeadTime?.medianHours == 30)
        }
    }
}
