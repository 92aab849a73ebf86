import Foundation
import Testing
import TestSupport

/// Action cards in the authorisation matrix: "own" is dept-a and its corp-net, "other" vendor-b and its vendor-dc.
extension AuthorizationMatrixTests {
    static func cardOrg(_ target: Target) -> String { target == .own ? "dept-a" : "vendor-b" }
    static func cardSystem(_ target: Target) -> String { target == .own ? "corp-net" : "vendor-dc" }
    static var cardEdit: [String: Any] { ["entries": [["responsible": "On-call", "contact": "+81 3 5555 0100"]]] }

    static let actionCardOperations: [Operation] = [
        Operation(name: "GET /v1/action-cards", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, user, target, _ in
            #expect(try await world.send(.put, "/v1/action-cards/\(cardOrg(target))", as: "ada", json: cardEdit).status == 200)
            let reply = try await world.send(.get, "/v1/action-cards", as: user)
            if reply.status == 200 { #expect((reply.json["items"] as? [Any])?.count == (user == "cus-a" && target == .other ? 0 : 1)) }
            return reply
        },
        Operation(name: "PUT /v1/action-cards/{org}", expected: expect(admin: (200, 200), csirt: (403, 403), auditor: (403, 403), custodian: (200, 404))) { world, user, target, _ in
            try await world.send(.put, "/v1/action-cards/\(cardOrg(target))", as: user, json: cardEdit)
        },
        Operation(name: "GET /v1/systems/{id}/action-card", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 404))) { world, user, target, _ in
            try await world.send(.get, "/v1/systems/\(cardSystem(target))/action-card?format=md", as: user)
        },
        Operation(name: "PUT /v1/systems/{id}/action-card", expected: expect(admin: (200, 200), csirt: (403, 403), auditor: (403, 403), custodian: (200, 404))) { world, user, target, _ in
            try await world.send(.put, "/v1/systems/\(cardSystem(target))/action-card", as: user, json: cardEdit)
        },
    ]
}
