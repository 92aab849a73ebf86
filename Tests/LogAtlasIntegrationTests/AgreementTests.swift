import Foundation
import LogAtlasCore
import LogAtlasStore
import PostgresNIO
import Testing
import TestSupport
@testable import LogAtlasServer

extension TestWorld {
    /// Terms pre-authorising serious and critical requests for vendor-b's Linux authentication logs, 30 days at most,
    /// delivered within 48 h, valid from yesterday for `days`.
    func agreementTerms(days: Double = 365, lead: Double = 48) -> [String: Any] {
        ["scope": ["log_types": ["host.linux-auth"]], "minimum_severity": "serious", "max_window_days": 30,
         "delivery_method": "file-export", "promised_lead_hours": lead,
         "valid_from": Timestamp.format(Date().addingTimeInterval(-86_400)), "valid_until": Timestamp.format(Date().addingTimeInterval(days * 86_400)),
         "approver": ["name": "Hana Sato", "role": "privacy officer"], "legal_basis": "Outsourcing contract §12.3 (incident cooperation)"]
    }

    /// An agreement between vendor-b and the CSIRT team proposed by cus-b, and accepted by both sides when `accepted`.
    func agreement(accepted: Bool = true, days: Double = 365, lead: Double = 48) async throws -> String {
        let proposed = try await send(.post, "/v1/agreements", as: "cus-b",
                                      json: ["custodian_org": "vendor-b", "csirt_org": "csirt", "terms": agreementTerms(days: days, lead: lead)])
        #expect(proposed.status == 201, "\(proposed.text)")
        let id = proposed.json["id"] as! String
        if accepted {
            #expect(try await send(.post, "/v1/agreements/\(id)/acceptances", as: "cus-b", json: ["version": 1]).status == 200)
            #expect(try await send(.post, "/v1/agreements/\(id)/acceptances", as: "cyd", json: ["version": 1]).status == 200)
        }
        return id
    }
}

@Suite("Standing retrieval agreements")
struct AgreementTests {
    func item(_ reply: TestWorld.Reply) -> [String: Any] { (reply.json["items"] as? [[String: Any]] ?? []).first ?? [:] }

    @Test("proposed, accepted by both sides, covering a filing (approved by the agreement, due when promised), revised, withdrawn — audited")
    func lifecycle() async throws {
        try await withTestApp { world in
            let id = try await world.agreement(accepted: false)
            var seen = try await world.send(.get, "/v1/agreements/\(id)", as: "cyd")
            #expect(seen.json["status"] as? String == "proposed")
            // Not active yet: the preview still needs vendor-b's approval.
            let draft = try await world.draft(["auth"], days: 3)
            #expect(item(try await world.send(.post, "/v1/requests:preview", as: "cyd", json: draft))["agreement"] == nil)

            // Each side accepts the version it read; a stale version is a conflict; nobody accepts twice.
            #expect(try await world.send(.post, "/v1/agreements/\(id)/acceptances", as: "cyd", json: ["version": 2]).status == 409)
            #expect(try await world.send(.post, "/v1/agreements/\(id)/acceptances", as: "cus-b", json: ["version": 1]).status == 200)
            #expect(try await world.send(.post, "/v1/agreements/\(id)/acceptances", as: "cus-b", json: ["version": 1]).status == 409)
            #expect(try await world.send(.post, "/v1/agreements/\(id)/acceptances", as: "cus-a", json: ["version": 1]).status == 404)
            let active = try await world.send(.post, "/v1/agreements/\(id)/acceptances", as: "cyd", json: ["version": 1])
            #expect(active.json["status"] as? String == "active", "\(active.text)")
            #expect((active.json["csirt_accepted"] as? [String: Any])?["by"] as? String == "cyd")

            // The preview says which item the agreement covers; filing approves it as the agreement, due in 48 h.
            let preview = item(try await world.send(.post, "/v1/requests:preview", as: "cyd", json: draft))
            #expect((preview["agreement"] as? [String: Any])?["id"] as? String == id)
            let before = Date()
            let (requestID, items) = try await world.file(["auth"], days: 3)
            let itemID = items["vendor-b"]!
            let filed = try await world.send(.get, "/v1/requests/\(requestID)", as: "cus-b")
            #expect(item(filed)["state"] as? String == "approved")
            let due = try #require((item(filed)["deliver_due"] as? String).flatMap(Timestamp.parse))
            #expect(abs(due.timeIntervalSince(before) - 48 * 3_600) < 60)
            let events = (filed.json["events"] as? [[String: Any]] ?? []).map { "\($0["action"]!) \($0["to"]!) \($0["actor"]!)" }
            #expect(events == ["acknowledge acknowledged agreement:\(id.prefix(8)) v1", "approve approved agreement:\(id.prefix(8)) v1"])
            // Exactly one decision: the custodian's own approval comes too late.
            #expect(try await world.fire("approve", on: requestID, item: itemID, as: "cus-b").status == 409)
            #expect(try await world.fire("start", on: requestID, item: itemID, as: "cus-b").status == 200)
            // A medium request is outside the agreement: it waits for vendor-b as before.
            let medium = try await world.send(.post, "/v1/requests", as: "cyd", json: try await world.draft(["auth"], days: 3, priority: "medium"))
            #expect(item(medium)["state"] as? String == "requested" && item(medium)["agreement"] == nil)

            // New terms are a new version that both sides accept again; the old one is kept.
            var terms = world.agreementTerms(lead: 24)
            terms["minimum_severity"] = "critical"
            #expect(try await world.send(.put, "/v1/agreements/\(id)", as: "cyd", json: ["version": 2, "terms": terms]).status == 409)
            let revised = try await world.send(.put, "/v1/agreements/\(id)", as: "cyd", json: ["version": 1, "terms": terms])
            #expect(revised.status == 200, "\(revised.text)")
            #expect(revised.json["version"] as? Int == 2 && revised.json["status"] as? String == "proposed" && revised.json["csirt_accepted"] == nil)
            seen = try await world.send(.get, "/v1/agreements/\(id)", as: "aud")
            let previous = seen.json["previous_versions"] as? [[String: Any]] ?? []
            #expect(previous.count == 1 && previous.first?["version"] as? Int == 1)
            #expect((previous.first?["custodian_accepted"] as? [String: Any])?["by"] as? String == "cus-b")
            #expect(item(try await world.send(.post, "/v1/requests:preview", as: "cyd", json: draft))["agreement"] == nil)

            let withdrawn = try await world.send(.post, "/v1/agreements/\(id)/withdrawal", as: "cus-b")
            #expect(withdrawn.json["status"] as? String == "withdrawn")
            #expect(try await world.send(.post, "/v1/agreements/\(id)/acceptances", as: "cyd", json: ["version": 2]).status == 409)
            // The item it approved stays approved.
            #expect(item(try await world.send(.get, "/v1/requests/\(requestID)", as: "cyd"))["state"] as? String == "in_progress")

            var actions: [String] = []
            for try await (action, actor) in try await world.database.client.query("""
                SELECT action, actor FROM audit_events WHERE object_type = 'agreement' AND object_id = \(id) ORDER BY seq
                """).decode((String, String).self) { actions.append("\(action) \(actor)") }
            #expect(actions == ["agreement.create cus-b", "agreement.update cus-b", "agreement.update cyd", "agreement.update cyd",
                                "agreement.update cus-b"])
        }
    }

    @Test("exactly one decision: manual approvals racing an agreement's, and racing each other")
    func oneDecision() async throws {
        try await withTestApp { world in
            _ = try await world.agreement()
            // Covered: the agreement approved it in the filing statement; eight concurrent approvals by the custodian all lose.
            let (covered, coveredItems) = try await world.file(["auth"], days: 3)
            let coveredItem = coveredItems["vendor-b"]!
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await world.fire("approve", on: covered, item: coveredItem, as: "cus-b").status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 409, count: 8))
            let coveredEvents = (try await world.send(.get, "/v1/requests/\(covered)", as: "cyd").json["events"] as? [[String: Any]] ?? [])
                .filter { $0["action"] as? String == "approve" }
            #expect(coveredEvents.count == 1 && (coveredEvents.first?["actor"] as? String)?.hasPrefix("agreement:") == true)

            // Not covered (medium): of eight concurrent approvals after the acknowledgement, exactly one wins.
            let medium = try await world.send(.post, "/v1/requests", as: "cyd", json: try await world.draft(["auth"], days: 3, priority: "medium"))
            let id = medium.json["id"] as! String, item = item(medium)["id"] as! String
            #expect(try await world.fire("acknowledge", on: id, item: item, as: "cus-b").status == 200)
            let raced = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await world.fire("approve", on: id, item: item, as: "cus-b").status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(raced.filter { $0 == 200 }.count == 1 && raced.filter { $0 == 409 }.count == 7, "\(raced)")
        }
    }

    @Test("the console's desk says which item an agreement pre-approves, and files it approved with the incident type")
    func desk() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let agreement = try await world.agreement()
            let ids = try await world.sourceIDs()
            let csirt = try await world.visitor(signedInAs: "cyd")
            #expect(try await csirt.get("/requests/new").text.contains(#"<select id="incident-type" name="incident_type">"#))
            let now = Date()
            var form = ["csrf_token": csirt.csrf, "sources[]": ids["auth"]!, "incident_reference": "INC-DESK-2", "purpose": "SSH brute force",
                        "priority": "serious", "incident_type": "100", "from": ConsoleViews.localField(now.addingTimeInterval(-2 * 86_400)),
                        "to": ConsoleViews.localField(now.addingTimeInterval(-3_600)), "intent": "preview"]
            let preview = try await csirt.post("/requests/new", form)
            #expect(preview.status == 200 && preview.text.contains("pre-approved by standing agreement \(agreement.prefix(8)) (delivery promised within 48 h)"))
            #expect(preview.text.contains(#"<option value="100" selected>"#))
            form["priority"] = "medium"
            let medium = try await csirt.post("/requests/new", form)
            #expect(medium.text.contains("needs the custodian") && !medium.text.contains("pre-approved"))
            form["priority"] = "serious"
            form["incident_type"] = "700"
            let refused = try await csirt.post("/requests/new", form)
            #expect(refused.status == 422 && refused.text.contains("incident_type"))
            form["incident_type"] = "100"
            form["intent"] = "file"
            let filed = try await csirt.post("/requests/new", form)
            let location = try #require(filed.headers[.location])
            let request = try await world.send(.get, "/v1\(location)", as: "cyd")
            #expect(request.json["incident_type"] as? Int == 100)
            #expect(item(request)["state"] as? String == "approved")
        }
    }

    @Test("max_access_hours: the gap report names the declared lead time until an agreement promises delivery in time")
    func accessReadinessInTheGapReport() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let policy = """
                id: access
                title: Access readiness
                version: "1"
                citation: internal IR plan §7
                status: current
                requirements:
                  - id: os-logs-fast
                    title: Internet-facing servers' authentication logs within 12 h in a critical incident
                    clause: "IR plan §7.2"
                    applies_to: {systems: {internet_facing: true}}
                    log_types: {any_of: [host.linux-auth]}
                    max_access_hours: {critical: 12}
                    incident_types: [100]
                """
            let uploaded = try await world.send(.put, "/v1/policies/access", as: "ada", body: policy, contentType: "application/yaml")
            #expect(uploaded.status == 200 || uploaded.status == 201, "\(uploaded.text)")
            #expect(try await world.send(.get, "/v1/policies/access", as: "cyd").text.contains(#""max_access_hours":{"critical":12}"#))
            func finding() async throws -> [String: Any] {
                let report = try await world.send(.post, "/v1/gap-reports?policy=access", as: "cyd")
                #expect(report.status == 200, "\(report.text)")
                return (report.json["findings"] as? [[String: Any]] ?? []).first { $0["target"] as? String == "vendor-dc" } ?? [:]
            }
            // vendor-b's auth log: a day from its device-local copy, no access procedure, no agreement.
            let before = try await finding()
            #expect(before["status"] as? String == "partial")
            #expect(before["shortfalls"] as? [String] == ["declared lead time 24 h, no standing agreement ≤ 12 h for critical"])
            // The readiness matrix per severity: a critical incident finds the logs too slow, a serious one has no limit.
            func cell(_ severity: String) async throws -> String? {
                let matrix = try await world.send(.get, "/v1/readiness?policy=access&severity=\(severity)", as: "cyd")
                #expect(matrix.json["severity"] as? String == severity)
                return (matrix.json["cells"] as? [[String: Any]] ?? []).first { $0["system"] as? String == "vendor-dc" }?["readiness"] as? String
            }
            #expect(try await cell("critical") == "partly")
            #expect(try await cell("serious") == "ready")
            let console = try await world.visitor(signedInAs: "cyd")
            let page = try await console.get("/readiness?policy=access&severity=critical")
            #expect(page.text.contains(#"<option value="critical" selected>"#) && page.text.contains("severity=critical"))
            let slow = try await world.agreement(lead: 36)
            #expect(try await finding()["shortfalls"] as? [String] == ["standing agreement promises 36 h > 12 h for critical"])
            _ = try await world.send(.post, "/v1/agreements/\(slow)/withdrawal", as: "cus-b")
            _ = try await world.agreement(lead: 8)
            #expect(try await finding()["status"] as? String == "met")
        }
    }

    @Test("the lapse reminder is mailed to both sides' members in their language, or to an organisation's contacts")
    func lapseReminderByMail() async throws {
        try await withTestApp { world in
            try await NotificationStore(database: world.database).setMailEnabled(true)
            try await IdentityStore(database: world.database).setContact(of: "cyd", email: "cyd@csirt.example", language: "ja", actor: "test")
            let soon = try await world.agreement(days: 10)
            _ = try await SLAStore(database: world.database).runPass(now: Date(), policy: SLAPolicy())
            var queued: [(String, String, String, String)] = []
            for try await row in try await world.database.client.query("""
                SELECT event, mail_to, mail_language, payload::text FROM webhook_outbox WHERE mail_to IS NOT NULL ORDER BY mail_to
                """).decode((String, String, String, String).self) { queued.append(row) }
            // vendor-b's custodian has no address: the organisation has no contacts either, so only the CSIRT member is mailed.
            #expect(queued.map { "\($0.0) \($0.1) \($0.2)" } == ["agreement.lapsing cyd@csirt.example ja"])
            let composer = MailComposer(consoleURL: "https://logatlas.example.com")
            let japanese = try #require(composer.compose(MailOutboxMessage(id: 1, event: "agreement.lapsing", payload: queued[0].3,
                                                                             to: "cyd@csirt.example", language: "ja", attempts: 0)))
            #expect(japanese.subject == "[LogAtlas] 事前合意の失効が近づいています: vendor-b → csirt")
            #expect(japanese.body.contains("失効します") && japanese.body.contains(soon))
            let english = try #require(composer.compose(MailOutboxMessage(id: 1, event: "agreement.lapsing", payload: queued[0].3,
                                                                            to: "a@b.example", language: "en", attempts: 0)))
            #expect(english.body.contains("lapses on") && english.body.contains("Promised delivery: 48 h"))
        }
    }

    @Test("bad terms are a 422 by field; a proposal names a CSIRT team; outsiders neither see nor accept")
    func refusals() async throws {
        try await withTestApp { world in
            var terms = world.agreementTerms()
            terms["max_window_days"] = 0
            terms["scope"] = ["log_types": ["host.linux-auht"]]
            let bad = try await world.send(.post, "/v1/agreements", as: "cus-b", json: ["custodian_org": "vendor-b", "csirt_org": "csirt", "terms": terms])
            #expect(bad.status == 422 && bad.text.contains("max_window_days") && bad.text.contains("scope.log_types[0]"))
            let notATeam = try await world.send(.post, "/v1/agreements", as: "ada",
                                                json: ["custodian_org": "vendor-b", "csirt_org": "dept-a", "terms": world.agreementTerms()])
            #expect(notATeam.status == 422 && notATeam.text.contains("csirt_org"))
            // dept-a's custodian cannot pre-authorise for vendor-b's sources.
            #expect(try await world.send(.post, "/v1/agreements", as: "cus-a",
                                         json: ["custodian_org": "vendor-b", "csirt_org": "csirt", "terms": world.agreementTerms()]).status == 403)
            let id = try await world.agreement(accepted: false)
            #expect(try await world.send(.get, "/v1/agreements/\(id)", as: "cus-a").status == 404)
            #expect((try await world.send(.get, "/v1/agreements", as: "cus-a").json["items"] as? [Any])?.isEmpty == true)
            #expect(try await world.send(.post, "/v1/agreements/\(id)/acceptances", as: "aud", json: ["version": 1]).status == 403)
            // An admin names the side, and does not accept both.
            #expect(try await world.send(.post, "/v1/agreements/\(id)/acceptances", as: "ada", json: ["version": 1]).status == 422)
            #expect(try await world.send(.post, "/v1/agreements/\(id)/acceptances", as: "ada", json: ["version": 1, "side": "custodian"]).status == 200)
            #expect(try await world.send(.post, "/v1/agreements/\(id)/acceptances", as: "ada", json: ["version": 1, "side": "csirt"]).status == 409)
            let listed = try await world.send(.get, "/v1/agreements?status=proposed", as: "cyd")
            #expect((listed.json["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
        }
    }

    @Test("30 days before it lapses both sides are told once per version, through the SLA job, on webhooks")
    func lapseReminder() async throws {
        try await withTestApp { world in
            for (user, org) in [("cyd", "csirt"), ("cus-b", "vendor-b")] {
                let subscribed = try await world.send(.post, "/v1/webhooks", as: user,
                                                      json: ["org": org, "url": "https://hooks.example.com/\(org)", "events": ["agreement.lapsing"]])
                #expect(subscribed.status == 201, "\(subscribed.text)")
            }
            let soon = try await world.agreement(days: 20)
            let later = try await world.agreement(days: 200)
            let sla = SLAStore(database: world.database)
            #expect(try await sla.runPass(now: Date(), policy: SLAPolicy())?.remindedAgreements.map(\.description) == [soon])
            #expect(try await sla.runPass(now: Date(), policy: SLAPolicy())?.remindedAgreements.isEmpty == true)
            #expect(try await world.send(.get, "/v1/agreements/\(soon)", as: "cyd").json["lapsing_soon"] as? Bool == true)
            #expect(try await world.send(.get, "/v1/agreements/\(later)", as: "cyd").json["lapsing_soon"] as? Bool == false)
            var messages: [String] = []
            for try await payload in try await world.database.client.query("""
                SELECT payload::text FROM webhook_outbox WHERE event = 'agreement.lapsing' ORDER BY id
                """).decode(String.self) { messages.append(payload) }
            #expect(messages.count == 2 && messages.allSatisfy { $0.contains(soon) })
            // Renewed terms accepted again: the new version is reminded when it lapses in turn.
            _ = try await world.send(.put, "/v1/agreements/\(soon)", as: "cus-b", json: ["version": 1, "terms": world.agreementTerms(days: 25)])
            #expect(try await world.send(.post, "/v1/agreements/\(soon)/acceptances", as: "cus-b", json: ["version": 2]).status == 200)
            #expect(try await world.send(.post, "/v1/agreements/\(soon)/acceptances", as: "cyd", json: ["version": 2]).status == 200)
            #expect(try await sla.runPass(now: Date(), policy: SLAPolicy())?.remindedAgreements.map(\.description) == [soon])
        }
    }
}
