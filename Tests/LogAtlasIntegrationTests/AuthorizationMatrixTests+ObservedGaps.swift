import Foundation
import Testing
import TestSupport

/// Observed gaps in the authorisation matrix. "own" is a gap on corp-net (dept-a, cus-a's organisation), "other" one on
/// vendor-dc (vendor-b); each is recorded by the CSIRT before the call under test.
extension AuthorizationMatrixTests {
    static func gapDraft(_ target: Target) -> [String: Any] {
        ["incident_reference": "INC-2026-0142", "system_id": target == .own ? "corp-net" : "vendor-dc", "log_type": "network.dns", "kind": "missing"]
    }

    /// A gap recorded by cyd on the target's system.
    static func observedGap(_ world: TestWorld, _ target: Target) async throws -> String {
        let reply = try await world.send(.post, "/v1/observed-gaps", as: "cyd", json: gapDraft(target))
        #expect(reply.status == 201, "\(reply.text)")
        return reply.json["id"] as? String ?? ""
    }

    static let observedGapOperations: [Operation] = [
        Operation(name: "GET /v1/observed-gaps", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, user, target, _ in
            _ = try await observedGap(world, target)
            let reply = try await world.send(.get, "/v1/observed-gaps", as: user)
            if reply.status == 200 { #expect((reply.json["items"] as? [Any])?.count == (user == "cus-a" && target == .other ? 0 : 1)) }
            return reply
        },
        Operation(name: "POST /v1/observed-gaps", expected: expect(admin: (201, 201), csirt: (201, 201), auditor: (403, 403), custodian: (403, 403))) { world, user, target, _ in
            try await world.send(.post, "/v1/observed-gaps", as: user, json: gapDraft(target))
        },
        Operation(name: "GET /v1/observed-gaps/{id}", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 404))) { world, user, target, _ in
            try await world.send(.get, "/v1/observed-gaps/\(try await observedGap(world, target))", as: user)
        },
        Operation(name: "POST /v1/observed-gaps/{id}/closure", expected: expect(admin: (200, 200), csirt: (403, 403), auditor: (403, 403), custodian: (403, 404))) { world, user, target, _ in
            try await world.send(.post, "/v1/observed-gaps/\(try await observedGap(world, target))/closure", as: user, json: ["reason": "duplicate of INC-2026-0141"])
        },
    ]
}
