import Foundation
import LogAtlasCore
import LogAtlasStore
import Testing
import TestSupport

@Suite("Retrieval drills on PostgreSQL")
struct DrillTests {
    @Test("filed exactly once per period across two instances, answered like any request, judged into attestations; not in the statistics")
    func lifecycle() async throws {
        try await withTestApp { world in
            #expect(try await world.send(.post, "/v1/drills", as: "cus-a", json: ["custodian_org": "dept-a", "csirt_org": "csirt", "every_days": 90]).status == 403)
            let bad = try await world.send(.post, "/v1/drills", as: "cyd", json: ["custodian_org": "dept-a", "csirt_org": "csirt", "every_days": 3])
            #expect(bad.status == 422 && (bad.json["errors"] as? [[String: Any]])?.first?["path"] as? String == "every_days")
            let scheduled = try await world.send(.post, "/v1/drills", as: "cyd", json: ["custodian_org": "dept-a", "csirt_org": "csirt", "every_days": 90])
            #expect(scheduled.status == 201, "\(scheduled.text)")

            // Two replicas' drill jobs run at the same moment: dept-a's three tiers (firewall 90 d and 365 d, proxy 30 d)
            // are filed once, whoever claims them.
            let now = Date()
            try await world.withSecondInstance { second in
                async let first = PostgresDrillRepository(database: world.database).runPass(now: now, sla: SLAPolicy())
                async let other = PostgresDrillRepository(database: second.database).runPass(now: now, sla: SLAPolicy())
                let (a, b) = try await (first, other)
                #expect(a.filed.count + b.filed.count == 3, "\(a.filed.count) + \(b.filed.count)")
            }
            #expect(try await PostgresDrillRepository(database: world.database).runPass(now: now.addingTimeInterval(3_600), sla: SLAPolicy()).filed.isEmpty)
            let listed = try await world.send(.get, "/v1/drills", as: "cus-a")
            let drills = listed.json["drills"] as? [[String: Any]] ?? []
            #expect(drills.count == 3 && drills.allSatisfy { $0["outcome"] as? String == "pending" && $0["request_id"] != nil }, "\(listed.text)")
            #expect((listed.json["schedules"] as? [[String: Any]])?.first?["next_due"] != nil)
            #expect((try await world.send(.get, "/v1/drills", as: "cus-b").json["drills"] as? [Any])?.isEmpty == true)

            // The custodian delivers the firewall's 365-day edge from the NAS and rejects the SIEM's 90-day edge.
            let firewall = try await world.sourceIDs()["firewall"]!
            let siem = try #require(drills.first { $0["source_id"] as? String == firewall && $0["tier"] as? Int == 0 })
            let nas = try #require(drills.first { $0["source_id"] as? String == firewall && $0["tier"] as? Int == 1 })
            let nasRequest = nas["request_id"] as! String, nasItem = nas["item_id"] as! String
            let request = try await world.send(.get, "/v1/requests/\(nasRequest)", as: "cus-a")
            #expect((request.json["incident_reference"] as? String)?.hasPrefix("DRILL-") == true, "\(request.text)")
            try await world.approve(nasRequest, item: nasItem, as: "cus-a")
            #expect(try await world.send(.post, "/v1/requests/\(nasRequest)/items/\(nasItem)/artifacts", as: "cus-a", bytes: Array("sample".utf8)).status == 201)
            #expect(try await world.fire("deliver", on: nasRequest, item: nasItem, as: "cus-a").status == 200)
            #expect(try await world.fire("reject", on: siem["request_id"] as! String, item: siem["item_id"] as! String, as: "cus-a",
                                         note: "the SIEM index was rebuilt last month").status == 200)
            let judged = try await PostgresDrillRepository(database: world.database).runPass(now: Date(), sla: SLAPolicy()).judged
            #expect(Set(judged.map(\.outcome)) == [.passed, .failed] && judged.count == 2)
            #expect(judged.first { $0.outcome == .failed }?.reason == "no data: the SIEM index was rebuilt last month")
            #expect(judged.first { $0.outcome == .passed }?.reason?.hasPrefix("delivered in 0 h (declared 24 h)") == true)
            let source = try await world.send(.get, "/v1/sources/\(firewall)", as: "cyd")
            #expect((source.json["latest_attestation"] as? [String: Any])?["method"] as? String == "drill", "\(source.text)")

            // Drills are exercises: the friction statistics leave them out.
            let friction = try await world.send(.get, "/v1/metrics/friction", as: "cyd")
            #expect(!friction.text.contains("dept-a"), "\(friction.text)")

            // A policy asking for a drill within 90 days: met for the firewall now, not for the proxy.
            let policy = """
                id: drilled
                title: Drilled retrieval
                version: "1"
                citation: internal
                status: current
                requirements:
                  - {id: fw, title: Firewall drilled, clause: "1", applies_to: every_system, log_types: {any_of: [network.firewall]}, drilled_within_days: 90}
                  - {id: proxy, title: Proxy drilled, clause: "2", applies_to: every_system, log_types: {any_of: [network.proxy]}, drilled_within_days: 90}
                """
            #expect(try await world.send(.put, "/v1/policies/drilled", as: "ada", body: policy, contentType: "application/yaml").status == 200)
            let report = try await world.send(.post, "/v1/gap-reports?policy=drilled&system=corp-net", as: "cyd")
            let findings = Dictionary(uniqueKeysWithValues: (report.json["findings"] as? [[String: Any]] ?? []).map { ($0["requirement"] as! String, $0) })
            #expect(findings["fw"]?["status"] as? String == "met", "\(report.text)")
            #expect((findings["proxy"]?["shortfalls"] as? [String]) == ["never passed a retrieval drill (limit 90 d)"])
        }
    }
}
