import Foundation
import HTTPTypes
import Testing
import TestSupport

/// The broker's endpoints in the authorisation matrix. "own" is a request for dept-a's firewall (cus-a is its
/// custodian), "other" one for vendor-b's auth log; each is filed by cyd (CSIRT) before the call under test.
extension AuthorizationMatrixTests {
    static func source(_ target: Target) -> String { target == .own ? "firewall" : "auth" }

    /// Files a request for the target's source and returns its id and single item.
    static func filed(_ world: TestWorld, _ target: Target) async throws -> (id: String, item: String) {
        let (id, items) = try await world.file([source(target)])
        return (id, items.values.first!)
    }

    /// A filed request whose item is approved and carries one uploaded artifact (done by the admin, who acts for both sides).
    static func delivered(_ world: TestWorld, _ target: Target) async throws -> (id: String, item: String, artifact: String) {
        let (id, item) = try await filed(world, target)
        try await world.approve(id, item: item, as: "ada")
        let upload = try await world.send(.post, "/v1/requests/\(id)/items/\(item)/artifacts", as: "ada", bytes: Array("evidence".utf8))
        return (id, item, upload.json["id"] as? String ?? "")
    }

    static let brokerOperations: [Operation] = [
        Operation(name: "POST /v1/requests", expected: expect(admin: (201, 201), csirt: (201, 201), auditor: (403, 403), custodian: (403, 403))) { world, user, target, _ in
            try await world.send(.post, "/v1/requests", as: user, json: try await world.draft([source(target)]))
        },
        Operation(name: "POST /v1/requests:preview", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (403, 403), custodian: (403, 403))) { world, user, target, _ in
            try await world.send(.post, "/v1/requests:preview", as: user, json: try await world.draft([source(target)]))
        },
        Operation(name: "GET /v1/requests", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, user, target, _ in
            _ = try await filed(world, target)
            let reply = try await world.send(.get, "/v1/requests", as: user)
            if reply.status == 200 { #expect(reply.json["total"] as? Int == (user == "cus-a" && target == .other ? 0 : 1)) }
            return reply
        },
        Operation(name: "GET /v1/requests/{id}", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 404))) { world, user, target, _ in
            try await world.send(.get, "/v1/requests/\(try await filed(world, target).id)", as: user)
        },
        Operation(name: "POST …/transitions (acknowledge)", expected: expect(admin: (200, 200), csirt: (403, 403), auditor: (403, 403), custodian: (200, 404))) { world, user, target, _ in
            let (id, item) = try await filed(world, target)
            return try await world.fire("acknowledge", on: id, item: item, as: user)
        },
        Operation(name: "POST …/transitions (cancel)", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (403, 403), custodian: (403, 404))) { world, user, target, _ in
            let (id, item) = try await filed(world, target)
            return try await world.fire("cancel", on: id, item: item, as: user)
        },
        Operation(name: "GET /v1/requests/{id}/comments", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 404))) { world, user, target, _ in
            try await world.send(.get, "/v1/requests/\(try await filed(world, target).id)/comments", as: user)
        },
        Operation(name: "POST /v1/requests/{id}/comments", expected: expect(admin: (201, 201), csirt: (201, 201), auditor: (403, 403), custodian: (201, 404))) { world, user, target, _ in
            try await world.send(.post, "/v1/requests/\(try await filed(world, target).id)/comments", as: user, json: ["body": "status?"])
        },
        Operation(name: "GET /v1/requests/{id}/artifacts", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 404))) { world, user, target, _ in
            try await world.send(.get, "/v1/requests/\(try await delivered(world, target).id)/artifacts", as: user)
        },
        Operation(name: "POST …/items/{item}/artifacts", expected: expect(admin: (201, 201), csirt: (403, 403), auditor: (403, 403), custodian: (201, 404))) { world, user, target, _ in
            let (id, item) = try await filed(world, target)
            try await world.approve(id, item: item, as: "ada")
            return try await world.send(.post, "/v1/requests/\(id)/items/\(item)/artifacts", as: user, bytes: Array("logs".utf8))
        },
        Operation(name: "POST …/items/{item}/handovers", expected: expect(admin: (201, 201), csirt: (403, 403), auditor: (403, 403), custodian: (201, 404))) { world, user, target, _ in
            let (id, item) = try await filed(world, target)
            try await world.approve(id, item: item, as: "ada")
            return try await world.send(.post, "/v1/requests/\(id)/items/\(item)/handovers", as: user,
                                        json: ["location": "courier", "method": "encrypted USB", "sha256": String(repeating: "a", count: 64)])
        },
        Operation(name: "GET …/artifacts/{id}/content", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (403, 403), custodian: (403, 404))) { world, user, target, _ in
            let (id, _, artifact) = try await delivered(world, target)
            return try await world.send(.get, "/v1/requests/\(id)/artifacts/\(artifact)/content", as: user)
        },
        Operation(name: "PUT /v1/requests/{id}/evidence-retention", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (403, 403), custodian: (403, 404))) { world, user, target, _ in
            try await world.send(.put, "/v1/requests/\(try await filed(world, target).id)/evidence-retention", as: user,
                                 json: ["days": 30, "legal_hold": "Litigation hold, case 2026-17"])
        },
        // A team's own evidence period: "own" is the CSIRT's team (cyd's), "other" an organisation that is no team of theirs.
        Operation(name: "GET /v1/orgs/{id}/evidence-retention", expected: expect(admin: (200, 200), csirt: (200, 403), auditor: (200, 200), custodian: (403, 403))) { world, user, target, _ in
            try await world.send(.get, "/v1/orgs/\(target == .own ? "csirt" : "vendor-b")/evidence-retention", as: user)
        },
        Operation(name: "PUT /v1/orgs/{id}/evidence-retention", expected: expect(admin: (200, 200), csirt: (200, 403), auditor: (403, 403), custodian: (403, 403))) { world, user, target, _ in
            try await world.send(.put, "/v1/orgs/\(target == .own ? "csirt" : "vendor-b")/evidence-retention", as: user, json: ["days": 90])
        },
        Operation(name: "POST …/items/{item}/guest-links", expected: expect(admin: (201, 201), csirt: (403, 403), auditor: (403, 403), custodian: (201, 404))) { world, user, target, _ in
            let (id, item) = try await filed(world, target)
            return try await world.send(.post, "/v1/requests/\(id)/items/\(item)/guest-links", as: user, json: ["expires_in_days": 3])
        },
        Operation(name: "GET …/items/{item}/guest-links", expected: expect(admin: (200, 200), csirt: (403, 403), auditor: (403, 403), custodian: (200, 404))) { world, user, target, _ in
            let (id, item) = try await filed(world, target)
            _ = try await world.send(.post, "/v1/requests/\(id)/items/\(item)/guest-links", as: "ada", json: ["expires_in_days": 3])
            return try await world.send(.get, "/v1/requests/\(id)/items/\(item)/guest-links", as: user)
        },
        Operation(name: "DELETE …/guest-links/{link}", expected: expect(admin: (204, 204), csirt: (403, 403), auditor: (403, 403), custodian: (204, 404))) { world, user, target, _ in
            let (id, item) = try await filed(world, target)
            let link = try await world.send(.post, "/v1/requests/\(id)/items/\(item)/guest-links", as: "ada", json: ["expires_in_days": 3])
            let linkID = (link.json["link"] as? [String: Any])?["id"] as? String ?? ""
            return try await world.send(.delete, "/v1/requests/\(id)/items/\(item)/guest-links/\(linkID)", as: user)
        },
        Operation(name: "GET /v1/requests/{id}/custody", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 404))) { world, user, target, _ in
            try await world.send(.get, "/v1/requests/\(try await delivered(world, target).id)/custody", as: user)
        },
            Operation(name: "PUT /v1/policies/{id}", expected: expect(admin: (200, 200), csirt: (403, 403), auditor: (403, 403), custodian: (403, 403))) { world, user, target, _ in
            try await world.send(.put, "/v1/policies/house-\(target.rawValue)", as: user,
                                 body: UploadedPolicyTests.yaml.replacingOccurrences(of: "id: house-rules", with: "id: house-\(target.rawValue)"))
        },
        Operation(name: "DELETE /v1/policies/{id}", expected: expect(admin: (204, 204), csirt: (403, 403), auditor: (403, 403), custodian: (403, 403))) { world, user, target, _ in
            _ = try await world.send(.put, "/v1/policies/house-rules", as: "ada", body: UploadedPolicyTests.yaml)
            return try await world.send(.delete, "/v1/policies/house-rules", as: user)
        },
        Operation(name: "GET /v1/metrics/friction", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, user, target, objects in
            _ = try await filed(world, target)
            let reply = try await world.send(.get, "/v1/metrics/friction", as: user)
            if user == "cus-a", target == .other { #expect(!reply.text.contains("vendor-b")) }
            if reply.status == 200, user != "cus-a" || target == .own { #expect(reply.text.contains(objects.org[target]!)) }
            return reply
        },
        Operation(name: "GET /v1/webhooks", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, user, target, objects in
            _ = try await orgWebhook(world, objects.org[target]!)
            let reply = try await world.send(.get, "/v1/webhooks", as: user)
            if user == "cus-a", target == .other { #expect(reply.text == "[]") }
            return reply
        },
        Operation(name: "POST /v1/webhooks (organisation)", expected: expect(admin: (201, 201), csirt: (422, 422), auditor: (422, 422), custodian: (201, 422))) { world, user, target, objects in
            try await world.send(.post, "/v1/webhooks", as: user, json: ["org": objects.org[target]!, "url": "https://hooks.example/\(user)"])
        },
        Operation(name: "POST /v1/webhooks (self)", expected: expect(admin: (201, 201), csirt: (201, 201), auditor: (201, 201), custodian: (201, 201))) { world, user, _, _ in
            try await world.send(.post, "/v1/webhooks", as: user, json: ["url": "https://hooks.example/\(user)"])
        },
        Operation(name: "DELETE /v1/webhooks/{id}", expected: expect(admin: (204, 204), csirt: (404, 404), auditor: (404, 404), custodian: (204, 404))) { world, user, target, objects in
            try await world.send(.delete, "/v1/webhooks/\(try await orgWebhook(world, objects.org[target]!))", as: user)
        },
        Operation(name: "GET /v1/webhooks/{id}/deliveries", expected: expect(admin: (200, 200), csirt: (404, 404), auditor: (404, 404), custodian: (200, 404))) { world, user, target, objects in
            try await world.send(.get, "/v1/webhooks/\(try await orgWebhook(world, objects.org[target]!))/deliveries", as: user)
        },
    ]

    /// A subscription of `org`, made by the admin; returns its id.
    static func orgWebhook(_ world: TestWorld, _ org: String) async throws -> String {
        try await world.send(.post, "/v1/webhooks", as: "ada", json: ["org": org, "url": "https://hooks.example/\(org)"]).json["id"] as? String ?? ""
    }
}
