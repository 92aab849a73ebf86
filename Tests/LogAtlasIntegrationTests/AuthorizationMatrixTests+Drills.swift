import Foundation
import Testing
import TestSupport

/// Drill schedules in the authorisation matrix: "own" drills dept-a's sources, "other" vendor-b's, filed by the CSIRT team.
extension AuthorizationMatrixTests {
    static func drillSchedule(_ target: Target) -> [String: Any] {
        ["custodian_org": target == .own ? "dept-a" : "vendor-b", "csirt_org": "csirt", "every_days": 90]
    }

    static let drillOperations: [Operation] = [
        Operation(name: "GET /v1/drills", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, user, target, _ in
            #expect(try await world.send(.post, "/v1/drills", as: "ada", json: drillSchedule(target)).status == 201)
            let reply = try await world.send(.get, "/v1/drills", as: user)
            if reply.status == 200 { #expect((reply.json["schedules"] as? [Any])?.count == (user == "cus-a" && target == .other ? 0 : 1)) }
            return reply
        },
        Operation(name: "POST /v1/drills", expected: expect(admin: (201, 201), csirt: (201, 201), auditor: (403, 403), custodian: (403, 403))) { world, user, target, _ in
            try await world.send(.post, "/v1/drills", as: user, json: drillSchedule(target))
        },
    ]
}
