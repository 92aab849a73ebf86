import Foundation
import Testing
import TestSupport

/// Probe heartbeats in the authorisation matrix: "own" is dept-a's firewall, "other" vendor-b's auth log.
extension AuthorizationMatrixTests {
    static func probeReport() -> [String: Any] {
        ["oldest_record_at": "2026-11-01T00:00:00Z", "newest_record_at": "2026-12-01T00:00:00Z", "records": 10, "bytes": 1_000, "files": 1]
    }

    static let heartbeatOperations: [Operation] = [
        Operation(name: "GET /v1/sources/{id}/heartbeats", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 404))) { world, user, target, _ in
            let source = try await world.sourceIDs()[AuthorizationMatrixTests.source(target)]!
            #expect(try await world.send(.post, "/v1/sources/\(source)/heartbeats", as: "ada", json: probeReport()).status == 201)
            let reply = try await world.send(.get, "/v1/sources/\(source)/heartbeats", as: user)
            if reply.status == 200 { #expect((reply.json["items"] as? [Any])?.count == 1) }
            return reply
        },
        Operation(name: "POST /v1/sources/{id}/heartbeats", expected: expect(admin: (201, 201), csirt: (403, 403), auditor: (403, 403), custodian: (201, 404))) { world, user, target, _ in
            let source = try await world.sourceIDs()[AuthorizationMatrixTests.source(target)]!
            return try await world.send(.post, "/v1/sources/\(source)/heartbeats", as: user, json: probeReport())
        },
    ]
}
