import Foundation
import HTTPTypes
import Testing
import TestSupport
import Yams

/// Generated clients get typed errors only for the statuses `openapi.yaml` lists: every problem the API answers must
/// be one its operation declares, as `application/problem+json`.
@Suite("Declared responses")
struct DeclaredResponsesTests {
    /// The statuses each operation declares, by operation ID.
    static let declared: [String: Set<Int>] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/LogAtlasServer/openapi.yaml")
        let document = try! Yams.load(yaml: try! String(contentsOf: url, encoding: .utf8)) as! [String: Any]
        var declared: [String: Set<Int>] = [:]
        for case let (_, item as [String: Any]) in document["paths"] as! [String: Any] {
            for case let (_, operation as [String: Any]) in item {
                guard let id = operation["operationId"] as? String, let responses = operation["responses"] as? [String: Any] else { continue }
                declared[id] = Set(responses.keys.compactMap { Int($0) })
            }
        }
        return declared
    }()

    @Test func everyAPIOperationDeclaresItsProblems() {
        let operations = Self.declared.filter { $0.key != "health" && $0.key != "ready" }
        #expect(operations.count == 71)
        for (id, statuses) in operations {
            #expect(statuses.contains(401), "\(id) needs a token")
            #expect(statuses.contains(503), "\(id) needs the database")
        }
        #expect(Self.declared["getSource"] == [200, 401, 404, 503])
        #expect(Self.declared["updateSource"] == [200, 400, 401, 403, 404, 409, 412, 413, 415, 422, 503])
    }

    /// Requests that fail in each way a client can make them fail, with the operation each one calls.
    @Test func theProblemsAnsweredAreTheOnesDeclared() async throws {
        try await withTestApp(bodyLimit: 4096) { world in
            let source = try #require(try await world.send(.get, "/v1/sources?q=firewall", as: "cyd").json["items"] as? [[String: Any]])
            let id = try #require(source.first?["id"] as? String)
            let cases: [(operation: String, status: Int, reply: TestWorld.Reply)] = [
                ("me", 401, try await world.send(.get, "/v1/me", as: nil)),
                ("listSources", 400, try await world.send(.get, "/v1/sources?limit=many", as: "cyd")),
                ("listSources", 400, try await world.send(.get, "/v1/sources?limit=0", as: "cyd")),
                ("listSources", 422, try await world.send(.get, "/v1/sources?cursor=%25%25", as: "cyd")),
                ("getSource", 404, try await world.send(.get, "/v1/sources/\(UUID())", as: "cyd")),
                ("createOrg", 403, try await world.send(.post, "/v1/orgs", as: "cyd", json: ["id": "x", "name": "X", "kind": "vendor"])),
                ("createOrg", 409, try await world.send(.post, "/v1/orgs", as: "ada", json: ["id": "dept-a", "name": "A", "kind": "department"])),
                ("createSource", 413, try await world.send(.post, "/v1/sources", as: "cus-a",
                                                           json: ["system": "corp-net", "name": String(repeating: "x", count: 5000)])),
                ("createSource", 422, try await world.send(.post, "/v1/sources", as: "cus-a",
                                                           json: ["system": "corp-net", "name": "n", "log_type": "network.nope", "custodian_org": "dept-a"])),
                ("createSource", 415, try await world.send(.post, "/v1/sources", as: "cus-a", body: "system: corp-net", contentType: "text/plain")),
                ("updateSource", 412, try await world.send(.patch, "/v1/sources/\(id)", as: "cus-a", json: ["notes": "x"], headers: [.ifMatch: "\"99\""])),
                ("deleteOrg", 409, try await world.send(.delete, "/v1/orgs/dept-a", as: "ada")),
                ("uploadPolicy", 422, try await world.send(.put, "/v1/policies/ir-baseline", as: "ada", body: "id: ir-baseline\n")),
                ("deletePolicy", 409, try await world.send(.delete, "/v1/policies/ir-baseline", as: "ada")),
                ("createGapReport", 422, try await world.send(.post, "/v1/gap-reports?policy=nope", as: "cyd")),
                ("getGapReport", 404, try await world.send(.get, "/v1/gap-reports/\(UUID())", as: "cyd")),
                ("getRequest", 404, try await world.send(.get, "/v1/requests/not-an-id", as: "cyd")),
                ("fileRequest", 403, try await world.send(.post, "/v1/requests", as: "aud", json: [
                    "incident_reference": "INC-1", "purpose": "p", "priority": "medium", "sources": [id],
                    "window": ["from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"]])),
                ("getAgreement", 404, try await world.send(.get, "/v1/agreements/not-an-id", as: "cyd")),
                ("proposeAgreement", 403, try await world.send(.post, "/v1/agreements", as: "aud",
                                                               json: ["custodian_org": "vendor-b", "csirt_org": "csirt", "terms": world.agreementTerms()])),
                ("proposeAgreement", 422, try await world.send(.post, "/v1/agreements", as: "ada",
                                                               json: ["custodian_org": "vendor-b", "csirt_org": "vendor-b", "terms": world.agreementTerms()])),
                ("scheduleDrills", 403, try await world.send(.post, "/v1/drills", as: "aud", json: ["custodian_org": "dept-a", "csirt_org": "csirt",
                                                                                                    "every_days": 90])),
                ("scheduleDrills", 422, try await world.send(.post, "/v1/drills", as: "cyd", json: ["custodian_org": "dept-a", "csirt_org": "csirt",
                                                                                                    "every_days": 1])),
                ("setOrgActionCard", 403, try await world.send(.put, "/v1/action-cards/dept-a", as: "cyd", json: AuthorizationMatrixTests.cardEdit)),
                ("setSystemActionCard", 412, try await world.send(.put, "/v1/systems/corp-net/action-card", as: "ada",
                                                                  json: ["entries": [], "version": 3])),
                ("setSystemActionCard", 422, try await world.send(.put, "/v1/systems/corp-net/action-card", as: "ada",
                                                                  json: ["entries": [["responsible": "", "contact": "x"]]])),
                ("getSystemActionCard", 404, try await world.send(.get, "/v1/systems/nowhere/action-card", as: "cyd")),
                ("reportHeartbeat", 403, try await world.send(.post, "/v1/sources/\(id)/heartbeats", as: "cyd",
                                                              json: ["records": 0, "bytes": 0, "files": 1])),
                ("reportHeartbeat", 422, try await world.send(.post, "/v1/sources/\(id)/heartbeats", as: "cus-a",
                                                              json: ["records": 0, "bytes": 0, "files": 0])),
                ("listHeartbeats", 404, try await world.send(.get, "/v1/sources/\(UUID())/heartbeats", as: "cyd")),
                ("getObservedGap", 404, try await world.send(.get, "/v1/observed-gaps/not-an-id", as: "cyd")),
                ("recordObservedGap", 403, try await world.send(.post, "/v1/observed-gaps", as: "cus-a", json: ["incident_reference": "INC-1",
                                                                                                                 "source_id": id, "kind": "missing"])),
                ("recordObservedGap", 404, try await world.send(.post, "/v1/observed-gaps", as: "cyd", json: ["incident_reference": "INC-1",
                                                                                                               "source_id": UUID().uuidString, "kind": "missing"])),
                ("recordObservedGap", 422, try await world.send(.post, "/v1/observed-gaps", as: "cyd", json: ["source_id": id, "kind": "too_short"])),
                ("recordObservedGap", 400, try await world.send(.post, "/v1/observed-gaps", as: "cyd", json: ["source_id": id, "kind": "lost"])),
                ("closeObservedGap", 404, try await world.send(.post, "/v1/observed-gaps/\(UUID())/closure", as: "ada", json: ["reason": "r"])),
                ("acceptAgreement", 409, try await world.send(.post, "/v1/agreements/\(try await world.agreement())/acceptances", as: "cyd",
                                                              json: ["version": 1])),
            ]
            for (operation, status, reply) in cases {
                #expect(reply.status == status, "\(operation): \(reply.status) \(reply.text)")
                #expect(Self.declared[operation]?.contains(reply.status) == true, "\(operation) does not declare \(reply.status)")
                #expect(reply.contentType == "application/problem+json", "\(operation)")
            }
        }
    }
}
