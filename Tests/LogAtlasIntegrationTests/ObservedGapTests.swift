import Foundation
import LogAtlasCore
import LogAtlasStore
import PostgresNIO
import Testing
import TestSupport
@testable import LogAtlasServer

@Suite("Gaps learned from incidents")
struct ObservedGapTests {
    func findings(_ reply: TestWorld.Reply) -> [[String: Any]] { reply.json["findings"] as? [[String: Any]] ?? [] }
    func remediation(_ reply: TestWorld.Reply) -> [[String: Any]] { reply.json["remediation"] as? [[String: Any]] ?? [] }

    @Test("recorded from a rejected item, a finding of every report with its incident, first to fix, closed by hand — audited")
    func fromARejectedItem() async throws {
        try await withTestApp { world in
            let (requestID, items) = try await world.file(["auth"], days: 3)
            let itemID = items["vendor-b"]!, sourceID = try await world.sourceIDs()["auth"]!
            let body: [String: Any] = ["request_id": requestID, "item_id": itemID, "source_id": sourceID, "kind": "too_slow",
                                       "needed_hours": 24, "needed_days": 30, "note": "the tape took a week; the attacker had left"]
            // Not before the answer came.
            #expect(try await world.send(.post, "/v1/observed-gaps", as: "cyd", json: body).status == 409)
            #expect(try await world.fire("reject", on: requestID, item: itemID, as: "cus-b", note: "only on tape, no operator this week").status == 200)
            // The custodian and the auditor do not record gaps; bad input names its field and changes nothing.
            #expect(try await world.send(.post, "/v1/observed-gaps", as: "cus-b", json: body).status == 403)
            #expect(try await world.send(.post, "/v1/observed-gaps", as: "aud", json: body).status == 403)
            var incomplete = body
            incomplete["needed_hours"] = nil
            let refused = try await world.send(.post, "/v1/observed-gaps", as: "cyd", json: incomplete)
            #expect(refused.status == 422 && (refused.json["errors"] as? [[String: Any]])?.first?["path"] as? String == "needed_hours", "\(refused.text)")
            #expect((try await world.send(.get, "/v1/observed-gaps", as: "ada").json["items"] as? [Any])?.isEmpty == true)

            let recorded = try await world.send(.post, "/v1/observed-gaps", as: "cyd", json: body)
            #expect(recorded.status == 201, "\(recorded.text)")
            let gapID = try #require(recorded.json["id"] as? String)
            #expect(recorded.json["incident_reference"] as? String == "INC-2026-0142")
            #expect(recorded.json["system"] as? String == "vendor-dc" && recorded.json["log_type"] as? String == "host.linux-auth")
            #expect(recorded.json["status"] as? String == "open" && recorded.json["recorded_by"] as? String == "cyd")

            // Scoped like the inventory: vendor-b's custodian sees it, dept-a's does not.
            #expect((try await world.send(.get, "/v1/observed-gaps", as: "cus-b").json["items"] as? [Any])?.count == 1)
            #expect((try await world.send(.get, "/v1/observed-gaps", as: "cus-a").json["items"] as? [Any])?.count == 0)
            #expect(try await world.send(.get, "/v1/observed-gaps/\(gapID)", as: "cus-a").status == 404)
            #expect(try await world.send(.get, "/v1/observed-gaps/\(gapID)", as: "aud").status == 200)

            // In the report: a finding of its own with the evidence, and its change comes first.
            let report = try await world.send(.post, "/v1/gap-reports", as: "cyd")
            #expect(report.status == 200, "\(report.text)")
            let own = try #require(findings(report).first { $0["observed_gap"] as? String == gapID })
            #expect(own["policy"] as? String == "observed" && own["status"] as? String == "partial" && own["target"] as? String == "vendor-dc")
            #expect(own["observed_in"] as? [String] == ["INC-2026-0142"])
            let first = try #require(remediation(report).first)
            #expect(first["observed_in"] as? [String] == ["INC-2026-0142"], "\(first)")
            #expect((first["action"] as? String)?.contains("host.linux-auth of vendor-dc") == true, "\(first)")
            let markdown = try await world.send(.post, "/v1/gap-reports?format=md", as: "cyd")
            #expect(markdown.text.contains("**observed in INC-2026-0142**"), "\(markdown.text)")
            // Still open: the report did not show it met.
            #expect(try await world.send(.get, "/v1/observed-gaps/\(gapID)", as: "cyd").json["status"] as? String == "open")

            // Only an admin closes it by hand, with a reason, once.
            #expect(try await world.send(.post, "/v1/observed-gaps/\(gapID)/closure", as: "cyd", json: ["reason": "x"]).status == 403)
            #expect(try await world.send(.post, "/v1/observed-gaps/\(gapID)/closure", as: "ada", json: ["reason": " "]).status == 422)
            let closed = try await world.send(.post, "/v1/observed-gaps/\(gapID)/closure", as: "ada",
                                              json: ["reason": "vendor-dc is decommissioned at the end of the month"])
            #expect(closed.status == 200 && closed.json["status"] as? String == "closed" && closed.json["closed_by"] as? String == "ada")
            #expect(try await world.send(.post, "/v1/observed-gaps/\(gapID)/closure", as: "ada", json: ["reason": "again"]).status == 409)
            #expect(!findings(try await world.send(.post, "/v1/gap-reports", as: "cyd")).contains { $0["observed_gap"] as? String == gapID })

            var actions: [String] = []
            for try await (action, actor) in try await world.database.client.query("""
                SELECT action, actor FROM audit_events WHERE object_type = 'observed_gap' AND object_id = \(gapID) ORDER BY seq
                """).decode((String, String).self) { actions.append("\(action) \(actor)") }
            #expect(actions == ["observed_gap.create cyd", "observed_gap.update ada"])
        }
    }

    @Test("a gap without a request stays open until a run shows it met, and that run closes it")
    func closedByTheRunThatShowsItMet() async throws {
        try await withTestApp { world in
            let recorded = try await world.send(.post, "/v1/observed-gaps", as: "cyd", json: [
                "incident_reference": "INC-2026-0150", "system_id": "corp-net", "log_type": "network.dns", "kind": "missing",
                "note": "no DNS logs to find the beaconing host"])
            #expect(recorded.status == 201, "\(recorded.text)")
            let gapID = try #require(recorded.json["id"] as? String)
            let before = try await world.send(.post, "/v1/gap-reports?policy=ir-baseline", as: "cus-a")
            #expect(findings(before).first { $0["observed_gap"] as? String == gapID }?["status"] as? String == "missing", "\(before.text)")
            #expect(try await world.send(.get, "/v1/observed-gaps?status=open", as: "cyd").json["items"].map { ($0 as? [Any])?.count } == 1)

            // dept-a starts collecting DNS logs; the next run (by its custodian) shows the gap met and closes it.
            #expect(try await world.send(.post, "/v1/sources", as: "cus-a", json: APITests.newSource).status == 201)
            let after = try await world.send(.post, "/v1/gap-reports", as: "cus-a")
            #expect(findings(after).first { $0["observed_gap"] as? String == gapID }?["status"] as? String == "met")
            let gap = try await world.send(.get, "/v1/observed-gaps/\(gapID)", as: "cyd")
            #expect(gap.json["status"] as? String == "closed" && gap.json["closed_by"] as? String == "cus-a")
            #expect(gap.json["closed_by_report"] as? String == after.json["id"] as? String)
            #expect((gap.json["close_reason"] as? String)?.hasPrefix("met in gap report ") == true)
            #expect((try await world.send(.get, "/v1/observed-gaps?status=open", as: "cyd").json["items"] as? [Any])?.isEmpty == true)
            #expect(!findings(try await world.send(.post, "/v1/gap-reports", as: "cyd")).contains { $0["observed_gap"] as? String == gapID })
        }
    }

    @Test("row-level security is the second line: a custodian cannot record, close, or close through a report that did not show it met")
    func rowLevelSecurity() async throws {
        try await withTestApp { world in
            let recorded = try await world.send(.post, "/v1/observed-gaps", as: "cyd", json: [
                "incident_reference": "INC-9", "system_id": "corp-net", "log_type": "network.dns", "kind": "missing"])
            let gapID = try #require(recorded.json["id"] as? String).lowercased()
            let id = try #require(UUID(uuidString: gapID))
            await #expect(throws: (any Error).self) {
                try await world.database.withCaller(Fixtures.custodianA) { connection in
                    try await connection.query("""
                        INSERT INTO observed_gaps (id, incident_reference, system_id, system_owner_org_id, log_type, kind, recorded_by, recorded_at)
                        VALUES (\(UUID()), 'INC-X', 'corp-net', 'dept-a', 'network.dns', 'missing', 'cus-a', now())
                        """, logger: .init(label: "rls"))
                }
            }
            let updated = try await world.database.withCaller(Fixtures.custodianA) { connection in
                var count = 0
                for try await _ in try await connection.query("""
                    UPDATE observed_gaps SET closed_by = 'cus-a', closed_at = now(), close_reason = 'mine' WHERE id = \(id) RETURNING id
                    """, logger: .init(label: "rls")) { count += 1 }
                return count
            }
            #expect(updated == 0)
            // A stored report that holds no met finding of the gap closes nothing.
            let report = try await world.send(.post, "/v1/gap-reports", as: "cus-a")
            let reportID = try #require(UUID(uuidString: report.json["id"] as? String ?? ""))
            let closed = try await PostgresObservedGapRepository(database: world.database).closeMet([id], by: reportID, as: Fixtures.custodianA, now: Date())
            #expect(closed.isEmpty)
            #expect(try await world.send(.get, "/v1/observed-gaps/\(gapID)", as: "cyd").json["status"] as? String == "open")
        }
    }
}
