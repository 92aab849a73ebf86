import Foundation
import Testing
import TestSupport

/// The readiness trend: every stored run that covered the whole inventory (or the chosen organisation) is a point of
/// each policy's line, in the API and on the console's readiness page, counted over what the reader may see.
@Suite("Readiness trend")
struct ReadinessTrendTests {
    static func score(_ report: TestWorld.Reply, _ policy: String) -> Double? {
        ((report.json["by_policy"] as? [String: Any])?[policy] as? [String: Any])?["percent"] as? Double
    }

    static func points(_ world: TestWorld, as user: String, query: String = "policy=ir-baseline") async throws -> [[String: Any]] {
        try await world.send(.get, "/v1/readiness/trend?\(query)", as: user).json["points"] as? [[String: Any]] ?? []
    }

    @Test func eachStoredRunIsAPointOfItsPolicysLineInTheAPIAndOnThePage() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let csirt = try await world.visitor(signedInAs: "cyd")
            #expect(try await csirt.get("/readiness").text.contains("No report is stored yet"))

            let first = try await world.send(.post, "/v1/gap-reports?policy=ir-baseline", as: "cyd")
            // The inventory gets worse between the two runs: a source goes.
            #expect(try await world.send(.delete, "/v1/sources/\(try await world.sourceIDs()["firewall"]!)", as: "ada").status == 204)
            let second = try await world.send(.post, "/v1/gap-reports?policy=ir-baseline", as: "cyd")
            let (before, after) = (try #require(Self.score(first, "ir-baseline")), try #require(Self.score(second, "ir-baseline")))
            #expect(after < before)

            let points = try await Self.points(world, as: "cyd")
            #expect(points.map { $0["report_id"] as? String } == [first.json["id"] as? String, second.json["id"] as? String])
            #expect(points.map { $0["score"] as? Double } == [before, after])

            let page = try await csirt.get("/readiness?policy=ir-baseline")
            #expect(page.text.matches(of: /class="trend-dot"/).count == 2)
            #expect(page.text.contains("ir-baseline: latest \(String(format: "%.1f", after)) %"))
            #expect(page.text.contains("stored reports: 2 · change since the first \(String(format: "%+.1f", after - before)) points"))

            // Recording from the page stores the current report: a third point.
            let recorded = try await csirt.post("/readiness", ["csrf_token": csirt.csrf, "policy": "ir-baseline"])
            #expect(recorded.status == 303 && recorded.headers[.location] == "/readiness?policy=ir-baseline#trend")
            #expect(try await csirt.get("/readiness?policy=ir-baseline").text.matches(of: /class="trend-dot"/).count == 3)
            #expect(try await Self.points(world, as: "cyd").count == 3)
        }
    }

    @Test func narrowedRunsStayOffAndACustodianCountsOnlyItsOwnOrganisations() async throws {
        try await withTestApp { world in
            _ = try await world.send(.post, "/v1/gap-reports?policy=ir-baseline", as: "cyd")
            // A run narrowed to one system, or to an organisation, is not a point of the whole inventory's line.
            _ = try await world.send(.post, "/v1/gap-reports?policy=ir-baseline&system=corp-net", as: "cyd")
            _ = try await world.send(.post, "/v1/gap-reports?policy=ir-baseline&org=dept-a", as: "cyd")
            #expect(try await Self.points(world, as: "cyd").count == 1)
            #expect(try await Self.points(world, as: "cyd", query: "policy=ir-baseline&org=dept-a").count == 2)

            // A custodian's own run is on its line, not on the CSIRT's (it covered only the custodian's organisations);
            // the CSIRT's run is on the custodian's line with the custodian's organisations' findings only.
            _ = try await world.send(.post, "/v1/gap-reports?policy=ir-baseline", as: "cus-a")
            let csirt = try await Self.points(world, as: "cyd"), custodian = try await Self.points(world, as: "cus-a")
            #expect(csirt.count == 1 && custodian.count == 2)
            let counted = { (point: [String: Any]) in ["met", "partial", "missing"].map { point[$0] as? Int ?? 0 }.reduce(0, +) }
            #expect(counted(custodian[0]) < counted(csirt[0]) && counted(custodian[0]) == counted(custodian[1]))
            #expect(try await Self.points(world, as: "cus-a", query: "org=vendor-b").isEmpty)
        }
    }
}
