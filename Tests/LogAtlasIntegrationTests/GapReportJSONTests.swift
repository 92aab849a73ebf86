import Foundation
import LogAtlasCore
import LogAtlasFormats
@testable import LogAtlasServer
import Testing
import TestSupport

/// `GapReportJSON` (what the server and `logatlas gaps --format json` send) against the declared contract: the
/// generated `Components.Schemas.GapReport` encoded by `JSONEncoder`, as the server sent it before.
@Suite("Gap report JSON")
struct GapReportJSONTests {
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    static func reference(_ report: GapReport, id: String?, pretty: Bool) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        return String(decoding: try encoder.encode(APIMapping.gapReport(report, id: id)), as: UTF8.self)
    }

    /// Texts a writer gets wrong first: slashes, quotes, backslashes, control characters, non-ASCII, odd weights.
    static func awkwardPolicy() -> Policy {
        let texts = ["PCI DSS 10.2.1/a \"quoted\" back\\slash", "line\nbreak\ttab\u{1}\u{1F}\u{7F} ≥ 90 d, 日本 😀", "plain"]
        return Policy(id: "house/rules", title: "House \"rules\"", version: "1", citation: "intranet", status: .current, requirements: [
            Requirement(id: "fw/1", title: texts[0], clause: texts[1], appliesTo: TargetSelector(), logTypes: .anyOf(["network.firewall"]),
                        minRetentionDays: 400, requiredFields: ["time", "user/agent"], clockSync: true,
                        incidentTypes: [.unauthorisedAccess, .malware], weight: 0.1 + 0.2),
            Requirement(id: "dns", title: texts[2], clause: texts[0], appliesTo: TargetSelector(scope: .orgs), logTypes: .allOf(["network.dns", "network.dhcp"]),
                        minRetentionDays: 90, incidentTypes: [.reconnaissance], weight: 1e-7),
            Requirement(id: "big", title: texts[2], clause: texts[2], appliesTo: TargetSelector(), logTypes: .anyOf(["host.edr"]),
                        incidentTypes: [], weight: 12345678901234567),
        ])
    }

    static func reports() throws -> [(name: String, report: GapReport)] {
        let shipped = try PolicyCatalogue.shipped()
        let fixture = Fixtures.inventory()
        var awkwardInventory = SyntheticInventory.make(sources: 300)
        awkwardInventory.orgs.append(Organisation(id: OrgID("org/\"ü\""), name: "odd", kind: .vendor))
        awkwardInventory.systems.append(ProtectedSystem(id: SystemID("sys\\odd/1"), name: "odd", ownerOrgID: OrgID("org/\"ü\""), criticality: .high))
        let synthetic = SyntheticInventory.make(sources: 2_000)
        func report(_ policies: [Policy], _ inventory: Inventory) -> GapReport {
            GapReport(findings: GapAnalysis.findings(for: policies, in: inventory, now: now), inventory: inventory)
        }
        return [
            ("fixture, shipped policies", report(shipped, fixture)),
            ("synthetic 2,000 sources, current policies", report(shipped.filter { $0.status == .current }, synthetic)),
            ("awkward texts and numbers", report([awkwardPolicy()] + shipped, awkwardInventory)),
            ("empty", report(shipped, Inventory())),
        ]
    }

    @Test(arguments: [false, true])
    func writesTheBytesTheGeneratedTypesEncodeTo(pretty: Bool) throws {
        for (name, report) in try Self.reports() {
            for id in [nil, "7d0a9a54-7fd6-4c1e-9d5e-0f0b7f1c2a11"] {
                let written = String(decoding: GapReportJSON.render(report, id: id, pretty: pretty), as: UTF8.self)
                let expected = try Self.reference(report, id: id, pretty: pretty)
                // Only the neighbourhood of a difference is worth printing: the documents run to megabytes.
                let same = written == expected
                let at = written.commonPrefix(with: expected).count
                #expect(same, "\(name), id \(id ?? "none"): written …\(written.dropFirst(max(0, at - 60)).prefix(120))… expected …\(expected.dropFirst(max(0, at - 60)).prefix(120))…")
            }
        }
    }

    @Test func theAwkwardReportReallyHasAwkwardContent() throws {
        // Guards the test above against comparing reports that never reach the escaping and number paths.
        let report = try #require(try Self.reports().first { $0.name.hasPrefix("awkward") }?.report)
        let json = String(decoding: GapReportJSON.render(report, id: nil), as: UTF8.self)
        for fragment in [#"house\/rules"#, #"\"quoted\""#, #"back\\slash"#, #"\n"#, #"\t"#, #"\u0001"#, "😀", "0.30000000000000004", "1e-07", "1.2345678901234568e+16", #"org\/\"ü\""#] {
            let found = json.contains(fragment)
            #expect(found, "\(fragment)")
        }
    }

    @Test func servedReportsMatchTheGeneratedEncodingAndStayScoped() async throws {
        try await withTestApp { world in
            let created = try await world.send(.post, "/v1/gap-reports?policy=cis-v8-control-8&policy=ir-baseline", as: "cyd")
            #expect(created.status == 200 && created.headers[.contentType] == "application/json; charset=utf-8")
            let id = try #require(created.json["id"] as? String)
            // What the CSIRT reads back is what it was sent when the run was made.
            let read = try await world.send(.get, "/v1/gap-reports/\(id)", as: "cyd")
            #expect(read.status == 200 && read.body == created.body)
            let asJSON = try await world.send(.get, "/v1/gap-reports/\(id)?format=json", as: "cyd", headers: [.accept: "application/json"])
            #expect(asJSON.body == created.body)
            // A custodian's JSON holds its own organisation's findings only.
            let custodian = try await world.send(.get, "/v1/gap-reports/\(id)", as: "cus-a")
            let orgs = Set((custodian.json["findings"] as? [[String: Any]] ?? []).compactMap { $0["org"] as? String })
            #expect(custodian.status == 200 && orgs == ["dept-a"])
            // Filters, unknown policies and unknown reports behave as through the generated handler.
            let filtered = try await world.send(.post, "/v1/gap-reports?org=vendor-b", as: "cyd")
            #expect(Set((filtered.json["findings"] as? [[String: Any]] ?? []).compactMap { $0["org"] as? String }) == ["vendor-b"])
            let unknown = try await world.send(.post, "/v1/gap-reports?policy=pci", as: "cyd")
            #expect(unknown.status == 422 && unknown.headers[.contentType] == "application/problem+json" && unknown.text.contains("pci-dss-4"))
            #expect(try await world.send(.get, "/v1/gap-reports/not-a-uuid", as: "cyd").status == 404)
            #expect(try await world.send(.post, "/v1/gap-reports?format=xml", as: "cyd").status == 400)
            #expect(try await world.send(.post, "/v1/gap-reports", as: nil).status == 401)
        }
    }
}
