import Foundation
import LogAtlasCore
import LogAtlasServer
import LogAtlasStore
import Testing
import TestSupport

/// The SLA against reality: a due date the prediction says cannot be met is said so at preview and on the item, and
/// moves only when the custodian proposes a later one and the requester accepts it.
@Suite("Delivery due date against the prediction")
struct DueDateNegotiationTests {
    /// A date field of a reply.
    func date(_ object: [String: Any], _ key: String) -> Date? { (object[key] as? String).flatMap(Timestamp.parse) }

    func item(_ reply: TestWorld.Reply) -> [String: Any] { (reply.json["items"] as? [[String: Any]] ?? []).first ?? [:] }

    @Test("tape behind a serious request: said at preview, proposed by the custodian, declined, proposed again, accepted")
    func proposeDeclineAccept() async throws {
        try await withTestApp { world in
            // vendor-b's auth log older than a week is on tape only (120 h); a serious request is due in 72 h.
            let draft = try await world.draft(["auth"], days: 5, endingDaysAgo: 20)
            let preview = try await world.send(.post, "/v1/requests:preview", as: "cyd", json: draft)
            #expect(preview.status == 200, "\(preview.text)")
            #expect(item(preview)["due_date_unreachable"] as? Bool == true)
            #expect((preview.json["warnings"] as? [String] ?? []).contains { $0.contains("tape, 120 h") && $0.contains("propose a later due date") })

            let (id, items) = try await world.file(["auth"], days: 5, endingDaysAgo: 20)
            let itemID = items["vendor-b"]!
            let filed = try await world.send(.get, "/v1/requests/\(id)", as: "cus-b")
            let due = try #require(date(item(filed), "deliver_due"))
            let feasibleBy = try #require(date(item(filed), "feasible_by"))
            #expect(feasibleBy.timeIntervalSince(due) > 47 * 3_600)   // 120 h against 72 h
            #expect((item(filed)["due_date_warning"] as? String)?.contains("vendor-b") == true)
            #expect((item(filed)["available_actions"] as? [String] ?? []).contains("propose_due_date"))
            #expect(!(item(filed)["available_actions"] as? [String] ?? []).contains("accept_due_date"))

            // A date that is not later, or no reason: refused with the field, nothing changes.
            let early = try await world.send(.post, "/v1/requests/\(id)/items/\(itemID)/transitions", as: "cus-b", json:
                ["action": "propose_due_date", "note": "tape", "deliver_due": Timestamp.format(due.addingTimeInterval(-3_600))])
            #expect(early.status == 422, "\(early.text)")
            #expect(early.text.contains("deliver_due"))
            let wanted = Timestamp.format(feasibleBy.addingTimeInterval(24 * 3_600)), wantedDate = try #require(Timestamp.parse(wanted))
            let noReason = try await world.send(.post, "/v1/requests/\(id)/items/\(itemID)/transitions", as: "cus-b", json:
                ["action": "propose_due_date", "deliver_due": wanted])
            #expect(noReason.status == 422)
            #expect(item(try await world.send(.get, "/v1/requests/\(id)", as: "cus-b"))["version"] as? Int == item(filed)["version"] as? Int)
            // The requester cannot propose, and there is nothing to accept yet.
            #expect(try await world.send(.post, "/v1/requests/\(id)/items/\(itemID)/transitions", as: "cyd", json:
                ["action": "propose_due_date", "note": "x", "deliver_due": wanted]).status == 403)
            #expect(try await world.fire("accept_due_date", on: id, item: itemID, as: "cyd").status == 409)

            func propose() async throws {
                let reply = try await world.send(.post, "/v1/requests/\(id)/items/\(itemID)/transitions", as: "cus-b", json:
                    ["action": "propose_due_date", "note": "the tape library restores in five working days", "deliver_due": wanted])
                #expect(reply.status == 200, "\(reply.text)")
                #expect(reply.json["state"] as? String == "requested")
                #expect(date(reply.json, "deliver_due") == due)   // not moved yet
                let proposal = reply.json["due_date_proposal"] as? [String: Any] ?? [:]
                #expect(date(proposal, "deliver_due") == wantedDate)
                #expect(proposal["proposed_by"] as? String == "cus-b")
            }
            try await propose()
            let seen = item(try await world.send(.get, "/v1/requests/\(id)", as: "cyd"))
            #expect(Set(seen["available_actions"] as? [String] ?? []).isSuperset(of: ["accept_due_date", "decline_due_date"]))
            #expect((seen["due_date_proposal"] as? [String: Any])?["reason"] as? String == "the tape library restores in five working days")
            #expect(try await world.fire("accept_due_date", on: id, item: itemID, as: "cus-b").status == 403)   // not the custodian's to accept
            #expect(try await world.fire("decline_due_date", on: id, item: itemID, as: "cyd").status == 422)   // a reason is needed
            let declined = try await world.fire("decline_due_date", on: id, item: itemID, as: "cyd", note: "the regulator expects the report in 72 h")
            #expect(declined.status == 200)
            #expect(declined.json["due_date_proposal"] == nil)
            #expect(date(declined.json, "deliver_due") == due)
            #expect(declined.json["due_date_unreachable"] as? Bool == true)

            try await propose()
            let accepted = try await world.fire("accept_due_date", on: id, item: itemID, as: "cyd")
            #expect(accepted.status == 200, "\(accepted.text)")
            #expect(date(accepted.json, "deliver_due") == wantedDate)
            #expect(accepted.json["due_date_proposal"] == nil)
            #expect(accepted.json["due_date_unreachable"] as? Bool == false)
            #expect(accepted.json["due_date_warning"] == nil)
            let after = try await world.send(.get, "/v1/requests/\(id)", as: "cyd")
            #expect(!(after.json["warnings"] as? [String] ?? []).contains { $0.contains("propose a later due date") })
            let events = (after.json["events"] as? [[String: Any]] ?? []).map { "\($0["action"]!) \($0["actor"]!)" }
            #expect(events == ["propose_due_date cus-b", "decline_due_date cyd", "propose_due_date cus-b", "accept_due_date cyd"])
            #expect(try await world.fire("accept_due_date", on: id, item: itemID, as: "cyd").status == 409)
        }
    }

    @Test("on the console: the custodian reads why the date is out of reach and proposes one; the CSIRT accepts it")
    func console() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let (id, items) = try await world.file(["firewall", "auth"], days: 5, endingDaysAgo: 20)
            let itemID = items["vendor-b"]!
            // dept-a's page says nothing of vendor-b's source or dates (the warnings come from the items it sees).
            let other = try await (try await world.visitor(signedInAs: "cus-a")).get("/requests/\(id)")
            #expect(other.status == 200 && !other.text.contains("vendor-b") && !other.text.contains("auth:") && !other.text.contains("tape, 120 h"))
            let custodian = try await world.visitor(signedInAs: "cus-b")
            let page = try await custodian.get("/requests/\(id)")
            #expect(page.text.contains(#"class="due-date-warning""#) && page.text.contains("tape, 120 h"))
            #expect(page.text.contains("/items/\(itemID)/propose_due_date") && page.text.contains(#"type="datetime-local""#))
            // The browser sends a local date-time without zone: read as UTC, as the label says.
            let refused = try await custodian.post("/requests/\(id)/items/\(itemID)/propose_due_date",
                                                   ["csrf_token": custodian.csrf, "note": "tape", "deliver_due": "2001-01-01T00:00"])
            #expect(refused.status == 422 && refused.text.contains("within a year"))
            let wanted = Timestamp.format(Date().addingTimeInterval(10 * 86_400))
            let local = String(wanted.prefix(16))   // 2026-12-18T09:30
            try await custodian.get("/requests/\(id)")
            let proposed = try await custodian.post("/requests/\(id)/items/\(itemID)/propose_due_date",
                                                    ["csrf_token": custodian.csrf, "note": "Tape restore takes a week", "deliver_due": local])
            #expect(proposed.status == 303, "\(proposed.text)")
            let csirt = try await world.visitor(signedInAs: "cyd")
            let seen = try await csirt.get("/requests/\(id)")
            #expect(seen.text.contains(#"class="due-date-proposal""#) && seen.text.contains("Tape restore takes a week"))
            #expect(seen.text.contains("/items/\(itemID)/accept_due_date") && seen.text.contains("/items/\(itemID)/decline_due_date"))
            #expect(try await csirt.post("/requests/\(id)/items/\(itemID)/accept_due_date", ["csrf_token": csirt.csrf]).status == 303)
            let after = (try await world.send(.get, "/v1/requests/\(id)", as: "cyd").json["items"] as? [[String: Any]] ?? [])
                .first { $0["custodian_org"] as? String == "vendor-b" } ?? [:]
            #expect(date(after, "deliver_due") == Timestamp.parse(local + ":00Z"))
            #expect(after["due_date_proposal"] == nil)
        }
    }

    @Test("an accepted due date re-arms the delivery reminder and escalation against the new date")
    func acceptedDateRearmsTheSLA() async throws {
        try await withTestApp { world in
            let filed = BrokerJobsTests.filed, hour: TimeInterval = 3_600
            let sources = try await PostgresInventoryRepository(database: world.database).export(as: Fixtures.admin).sources
            let auth = try #require(sources.first { $0.name == "auth" })
            let draft = RequestDraft(incidentReference: "INC-10", purpose: "old intrusion", priority: .critical,
                                     window: TimeWindow(from: filed.addingTimeInterval(-30 * 86_400), to: filed.addingTimeInterval(-20 * 86_400)),
                                     sourceIDs: [auth.id])
            let repository = PostgresRequestRepository(database: world.database)
            let request = try await repository.file(draft, sla: SLAPolicy(), now: filed, as: Fixtures.csirt).request
            let item = request.items[0].id
            #expect(request.items[0].dueDateUnreachable)   // tape (120 h) behind a 24 h delivery
            let sla = SLAStore(database: world.database)
            func deliveryEvents(after hours: Double) async throws -> [SLAEvent] {
                let raised = try await sla.runPass(now: filed.addingTimeInterval(hours * hour), policy: SLAPolicy())?.raised[item] ?? []
                return raised.filter { $0 == .deliverReminder || $0 == .deliverOverdue }
            }
            #expect(try await deliveryEvents(after: 12) == [.deliverReminder])
            #expect(try await deliveryEvents(after: 24) == [.deliverOverdue])

            let newDue = filed.addingTimeInterval(144 * hour)
            _ = try await repository.transition(.acknowledge, item: item, of: request.id, note: nil, as: Fixtures.custodianB,
                                                now: filed.addingTimeInterval(25 * hour))
            _ = try await repository.transition(.proposeDueDate, item: item, of: request.id, note: "restore from tape", deliverDue: newDue,
                                                as: Fixtures.custodianB, now: filed.addingTimeInterval(25 * hour))
            let moved = try await repository.transition(.acceptDueDate, item: item, of: request.id, note: nil,
                                                        as: Fixtures.csirt, now: filed.addingTimeInterval(26 * hour))
            #expect(moved.deliverDue == newDue)
            #expect(!moved.isOverdue(now: filed.addingTimeInterval(27 * hour)))
            #expect(try await sla.events(of: item).allSatisfy { !$0.rawValue.hasPrefix("deliver.") })
            #expect(try await deliveryEvents(after: 27).isEmpty)
            #expect(try await deliveryEvents(after: 72) == [.deliverReminder])   // half-way to the new date
            #expect(try await deliveryEvents(after: 144) == [.deliverOverdue])
        }
    }
}
