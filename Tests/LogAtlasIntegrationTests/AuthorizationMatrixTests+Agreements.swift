import Foundation
import Testing
import TestSupport

/// Standing agreements in the authorisation matrix. "own" is an agreement between dept-a (cus-a's organisation) and
/// the CSIRT team, "other" one between vendor-b and the team; each is proposed by the admin before the call under test.
extension AuthorizationMatrixTests {
    static func custodian(_ target: Target) -> String { target == .own ? "dept-a" : "vendor-b" }

    static func proposal(_ world: TestWorld, _ target: Target) -> [String: Any] {
        ["custodian_org": custodian(target), "csirt_org": "csirt", "terms": world.agreementTerms()]
    }

    /// A proposed agreement for the target's custodian organisation.
    static func proposed(_ world: TestWorld, _ target: Target) async throws -> String {
        let reply = try await world.send(.post, "/v1/agreements", as: "ada", json: proposal(world, target))
        #expect(reply.status == 201, "\(reply.text)")
        return reply.json["id"] as? String ?? ""
    }

    static let agreementOperations: [Operation] = [
        Operation(name: "GET /v1/agreements", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, user, target, _ in
            _ = try await proposed(world, target)
            let reply = try await world.send(.get, "/v1/agreements", as: user)
            if reply.status == 200 { #expect((reply.json["items"] as? [Any])?.count == (user == "cus-a" && target == .other ? 0 : 1)) }
            return reply
        },
        Operation(name: "POST /v1/agreements", expected: expect(admin: (201, 201), csirt: (201, 201), auditor: (403, 403), custodian: (201, 403))) { world, user, target, _ in
            try await world.send(.post, "/v1/agreements", as: user, json: proposal(world, target))
        },
        Operation(name: "GET /v1/agreements/{id}", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 404))) { world, user, target, _ in
            try await world.send(.get, "/v1/agreements/\(try await proposed(world, target))", as: user)
        },
        Operation(name: "PUT /v1/agreements/{id}", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (403, 403), custodian: (200, 404))) { world, user, target, _ in
            try await world.send(.put, "/v1/agreements/\(try await proposed(world, target))", as: user,
                                 json: ["version": 1, "terms": world.agreementTerms(lead: 24)])
        },
        Operation(name: "POST /v1/agreements/{id}/acceptances", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (403, 403), custodian: (200, 404))) { world, user, target, _ in
            var body: [String: Any] = ["version": 1]
            if user == "ada" { body["side"] = "custodian" }
            return try await world.send(.post, "/v1/agreements/\(try await proposed(world, target))/acceptances", as: user, json: body)
        },
        Operation(name: "POST /v1/agreements/{id}/withdrawal", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (403, 403), custodian: (200, 404))) { world, user, target, _ in
            try await world.send(.post, "/v1/agreements/\(try await proposed(world, target))/withdrawal", as: user)
        },
    ]
}
