import Foundation
import LogAtlasCore
import Testing
import TestSupport

@Suite("Live source probes on PostgreSQL")
struct HeartbeatTests {
    @Test("a custodian's probe reports: the heartbeat is kept, the oldest record attested, silence and short retention are findings")
    func reportAndFindings() async throws {
        try await withTestApp { world in
            let firewall = try await world.sourceIDs()["firewall"]!
            let now = Date()
            let report: [String: Any] = ["oldest_record_at": Timestamp.format(now.addingTimeInterval(-14 * 86_400)),
                                         "newest_record_at": Timestamp.format(now.addingTimeInterval(-3 * 86_400)),
                                         "records": 120_000, "bytes": 36_000_000, "files": 3, "expected_interval_hours": 24, "host": "fw-log-1"]
            // Only the custodian holding it (or an admin) reports; another custodian does not even see the source.
            #expect(try await world.send(.post, "/v1/sources/\(firewall)/heartbeats", as: "cyd", json: report).status == 403)
            #expect(try await world.send(.post, "/v1/sources/\(firewall)/heartbeats", as: "cus-b", json: report).status == 404)
            var wrong = report
            wrong["files"] = 0
            let refused = try await world.send(.post, "/v1/sources/\(firewall)/heartbeats", as: "cus-a", json: wrong)
            #expect(refused.status == 422 && (refused.json["errors"] as? [[String: Any]])?.first?["path"] as? String == "files", "\(refused.text)")

            let recorded = try await world.send(.post, "/v1/sources/\(firewall)/heartbeats", as: "cus-a", json: report)
            #expect(recorded.status == 201, "\(recorded.text)")
            #expect(recorded.json["retention_days"] as? Int == 14 && recorded.json["silent"] as? Bool == true)
            #expect(recorded.json["volume_gb_per_day"] as? Double == 0.003)
            let listed = try await world.send(.get, "/v1/sources/\(firewall)/heartbeats", as: "aud")
            #expect((listed.json["items"] as? [[String: Any]])?.first?["host"] as? String == "fw-log-1")
            #expect(try await world.send(.get, "/v1/sources/\(firewall)/heartbeats", as: "cus-b").status == 404)

            // The source now carries the probe's attestation (14 days held, 365 declared).
            let source = try await world.send(.get, "/v1/sources/\(firewall)", as: "cyd")
            #expect((source.json["latest_attestation"] as? [String: Any])?["method"] as? String == "probe", "\(source.text)")

            // In the gap report: silent, and holding less than it declares.
            let gaps = try await world.send(.post, "/v1/gap-reports?policy=ir-baseline", as: "cus-a")
            let shortfalls = (gaps.json["findings"] as? [[String: Any]] ?? []).filter { ($0["source_ids"] as? [String])?.contains(firewall) == true }
                .flatMap { $0["shortfalls"] as? [String] ?? [] }
            #expect(shortfalls.contains { $0.hasPrefix("silent for 7") && $0.hasSuffix("h (expected every 24 h)") }, "\(shortfalls)")
            #expect(shortfalls.contains("attested 14 d contradicts declared 365 d"), "\(shortfalls)")

            // The console's source page says so too.
            try await world.setConsolePasswords()
            let page = try await (world.visitor(signedInAs: "cus-a")).get("/sources/\(firewall)")
            let probe = try #require(page.text.firstMatch(of: /<dd id="probe">(.*?)<\/dd>/).map { String($0.1) }, "\(page.text)")
            #expect(probe.contains("fw-log-1") && probe.contains("120000 records") && probe.contains(#"<strong class="silent">silent for 7"#), "\(probe)")

            // A fresh heartbeat ends the silence.
            var fresh = report
            fresh["newest_record_at"] = Timestamp.format(now.addingTimeInterval(-600))
            #expect(try await world.send(.post, "/v1/sources/\(firewall)/heartbeats", as: "cus-a", json: fresh).json["silent"] as? Bool == false)
            let after = try await world.send(.post, "/v1/gap-reports?policy=ir-baseline", as: "cus-a")
            #expect(!after.text.contains("silent for"))
        }
    }
}
