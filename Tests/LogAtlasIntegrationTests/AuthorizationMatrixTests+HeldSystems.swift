import Foundation
import HTTPTypes
import LogAtlasCore
import LogAtlasStore
import Testing
import TestSupport

/// #13 item 13: an outsourced vendor (cus-b of vendor-b) holds the EDR logs of dept-a's corporate network. It could
/// neither read the system's name, nor PATCH its own source there (422 "unknown system"), nor apply its own export.
/// Now it reads the systems it holds sources on — read-only — and still nothing else of dept-a.
@Suite("Authorisation matrix: a vendor's sources on a client's system")
struct HeldSystemsMatrixTests {
    /// Adds vendor-b's source on corp-net and a dept-a system vendor-b holds nothing on; returns the source's id.
    static func vendorHoldsLogsOnCorpNet(_ world: TestWorld) async throws -> String {
        #expect(try await world.send(.post, "/v1/systems", as: "ada", json: ["id": "hr-app", "name": "HR application", "owner_org": "dept-a"]).status == 201)
        let created = try await world.send(.post, "/v1/sources", as: "ada", json: [
            "system": "corp-net", "name": "edr", "log_type": "host.edr", "custodian_org": "vendor-b",
            "retention_tiers": [["medium": "siem", "days": 30]]])
        #expect(created.status == 201, "\(created.text)")
        return try #require(created.json["id"] as? String)
    }

    @Test func theVendorReadsTheSystemsItHoldsSourcesOnAndChangesNoneOfThem() async throws {
        try await withTestApp { world in
            let edr = try await Self.vendorHoldsLogsOnCorpNet(world)
            let cases: [(String, Int, TestWorld.Reply)] = [
                ("GET held system", 200, try await world.send(.get, "/v1/systems/corp-net", as: "cus-b")),
                ("GET other system of the same owner", 404, try await world.send(.get, "/v1/systems/hr-app", as: "cus-b")),
                ("PATCH held system", 404, try await world.send(.patch, "/v1/systems/corp-net", as: "cus-b", json: ["criticality": "low"])),
                ("DELETE held system", 404, try await world.send(.delete, "/v1/systems/corp-net", as: "cus-b")),
                ("PATCH own source on held system", 200, try await world.send(.patch, "/v1/sources/\(edr)", as: "cus-b", json: ["notes": "kept 30 days"])),
                ("GET own source", 200, try await world.send(.get, "/v1/sources/\(edr)", as: "cus-b")),
                ("GET the owner's source on the held system", 404,
                 try await world.send(.get, "/v1/sources/\(try await world.sourceIDs()["firewall"]!)", as: "cus-b")),
                ("POST a source on the held system", 201, try await world.send(.post, "/v1/sources", as: "cus-b", json: [
                    "system": "corp-net", "name": "edr-2", "log_type": "host.edr", "custodian_org": "vendor-b"])),
                ("POST a source on a system it holds nothing on", 422, try await world.send(.post, "/v1/sources", as: "cus-b", json: [
                    "system": "hr-app", "name": "x", "log_type": "host.edr", "custodian_org": "vendor-b"])),
                ("GET held system as its owner", 200, try await world.send(.get, "/v1/systems/corp-net", as: "cus-a")),
            ]
            for (name, status, reply) in cases { #expect(reply.status == status, "\(name): \(reply.status) \(reply.text)") }
            let listed = (try await world.send(.get, "/v1/systems", as: "cus-b").json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(Set(listed) == ["corp-net", "vendor-dc"])
            // It reads the client organisation that owns the held system, changes nothing of it, and sees no other.
            #expect(try await world.send(.get, "/v1/orgs/dept-a", as: "cus-b").status == 200)
            #expect(try await world.send(.patch, "/v1/orgs/dept-a", as: "cus-b", json: ["name": "Mine"]).status == 403)
            #expect(try await world.send(.get, "/v1/orgs/csirt", as: "cus-b").status == 404)
            let orgs = (try await world.send(.get, "/v1/orgs", as: "cus-b").json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(Set(orgs) == ["dept-a", "vendor-b"])
            // Nothing of the held system changed.
            #expect(try await world.send(.get, "/v1/systems/corp-net", as: "ada").json["criticality"] as? String == "high")
        }
    }

    @Test func theVendorAppliesItsOwnExport() async throws {
        try await withTestApp { world in
            _ = try await Self.vendorHoldsLogsOnCorpNet(world)
            let exported = try await world.send(.get, "/v1/inventory/export", as: "cus-b")
            #expect(exported.text.contains("id: corp-net") && !exported.text.contains("hr-app"))
            for dryRun in [true, false] {
                let applied = try await world.send(.post, "/v1/inventory/apply?dry_run=\(dryRun)", as: "cus-b", body: exported.text)
                #expect(applied.status == 200, "\(applied.text)")
                for kind in ["orgs", "systems", "sources"] {
                    let changes = applied.json[kind] as? [String: Any] ?? [:]
                    for change in ["created", "updated", "deleted"] { #expect((changes[change] as? [String])?.isEmpty == true, "\(kind).\(change)") }
                }
            }
            // Changing the held system through a file is refused, and nothing is applied.
            let renamed = exported.text.replacingOccurrences(of: "name: Corporate network", with: "name: Mine now")
            #expect(renamed != exported.text)
            let refused = try await world.send(.post, "/v1/inventory/apply", as: "cus-b", body: renamed)
            #expect([403, 422].contains(refused.status), "\(refused.text)")
            #expect(try await world.send(.get, "/v1/systems/corp-net", as: "ada").json["name"] as? String == "Corporate network")
        }
    }
}
