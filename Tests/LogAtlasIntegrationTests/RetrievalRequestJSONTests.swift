import Foundation
import LogAtlasCore
import LogAtlasStore
@testable import LogAtlasServer
import Testing
import TestSupport

/// `RetrievalRequestJSON` (what filing and previewing send) against the declared contract: the generated
/// `Components.Schemas.RetrievalRequest` encoded as the OpenAPI runtime encodes it — `JSONEncoder`, sorted keys,
/// dates through `FastDateTranscoder`.
@Suite("Retrieval request JSON")
struct RetrievalRequestJSONTests {
    static func reference(_ request: Components.Schemas.RetrievalRequest) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(try FastDateTranscoder().encode(date))
        }
        return String(decoding: try encoder.encode(request), as: UTF8.self)
    }

    static let at = Date(timeIntervalSince1970: 1_900_000_000.123)

    /// Every optional field present and absent, texts and numbers a writer gets wrong first.
    static func awkwardRequests() -> [Components.Schemas.RetrievalRequest] {
        let odd = "a/b \"q\" back\\slash\nline\ttab\u{1}\u{1F} ≥ 日本 😀"
        let segment = Components.Schemas.SourceFeasibility.SegmentsPayloadPayload(
            from: at, to: at.addingTimeInterval(86_400.5), availability: .slow, medium: odd, leadHours: 0.1 + 0.2)
        let bare = Components.Schemas.SourceFeasibility.SegmentsPayloadPayload(from: at, to: at, availability: .expired)
        let full = Components.Schemas.SourceFeasibility(
            source: UUID().uuidString.lowercased(), sourceName: odd, segments: [segment, bare], searchableSeconds: 0,
            slowSeconds: 1e-7, expiredSeconds: 12_345_678_901_234_567, preserveBefore: at, preserveMedium: "tape", preserveIsLoss: true)
        let plain = Components.Schemas.SourceFeasibility(source: "s", sourceName: "plain", segments: [], searchableSeconds: 3_600,
                                                          slowSeconds: -0.5, expiredSeconds: 2)
        let item = Components.Schemas.RequestItem(
            id: "i1", custodianOrg: odd, sources: ["s1", "s/2"], state: .needsInfo, preservation: "Preserve before \(odd)",
            preserveBefore: at, acknowledgeDue: at, deliverDue: at.addingTimeInterval(1), overdue: true,
            acknowledgedAt: at.addingTimeInterval(0.000_5), deliveredAt: at.addingTimeInterval(2), rejectReason: odd, outcome: odd,
            evidence: 12, availableActions: ["answer", "cancel"], feasibility: [full, plain], version: 7)
        let minimal = Components.Schemas.RequestItem(id: "i2", custodianOrg: "c", sources: [], state: .requested, acknowledgeDue: at,
                                                      deliverDue: at, overdue: false, evidence: 0, availableActions: [], feasibility: [], version: 1)
        let event = Components.Schemas.ItemEvent(item: "i1", action: "ask_info", from: "acknowledged", to: "needs_info", actor: odd, note: odd, at: at)
        let silent = Components.Schemas.ItemEvent(item: "i2", action: "acknowledge", from: "requested", to: "acknowledged", actor: "x", at: at)
        return [
            Components.Schemas.RetrievalRequest(
                id: "r1", incidentReference: odd, purpose: odd, priority: .critical, window: .init(from: at, to: at.addingTimeInterval(60)),
                hints: .init(hosts: ["h/1"], users: [odd], ips: ["203.0.113.7"], text: odd), requesterOrg: "csirt", requestedBy: odd,
                filedAt: at, warnings: [odd, "second"], items: [item, minimal], events: [event, silent]),
            Components.Schemas.RetrievalRequest(
                incidentReference: "INC", purpose: "p", priority: .informational, window: .init(from: at, to: at), hints: .init(),
                requestedBy: "cyd", filedAt: at, warnings: [], items: [], events: []),
            Components.Schemas.RetrievalRequest(
                incidentReference: "INC", purpose: "p", priority: .medium, window: .init(from: at, to: at), hints: .init(hosts: []),
                requestedBy: "cyd", filedAt: at, warnings: [], items: [minimal]),
        ]
    }

    @Test func writesTheBytesTheGeneratedTypesEncodeTo() throws {
        for request in Self.awkwardRequests() {
            let written = String(decoding: RetrievalRequestJSON.render(request), as: UTF8.self)
            let expected = try Self.reference(request)
            #expect(written == expected, "first difference after: \(written.commonPrefix(with: expected).suffix(80))")
        }
    }

    /// The requests the server really files, with their feasibility, holds and due dates, byte for byte.
    @Test func filedRequestsServedAsTheGeneratedTypesWouldEncodeThem() async throws {
        try await withTestApp { world in
            let sources = try await PostgresInventoryRepository(database: world.database).export(as: Fixtures.admin).sources
            let now = Date()
            let draft: [String: Any] = [
                "incident_reference": "INC-2026/0142", "purpose": "Lateral movement \"via\" VPN", "priority": "serious",
                "window": ["from": Timestamp.format(now.addingTimeInterval(-3 * 86_400)), "to": Timestamp.format(now.addingTimeInterval(-86_400))],
                "hints": ["ips": ["203.0.113.7"], "text": "smb/445"], "sources": sources.map { $0.id.description },
            ]
            let filed = try await world.send(.post, "/v1/requests", as: "cyd", json: draft)
            #expect(filed.status == 201)
            #expect(filed.contentType == "application/json; charset=utf-8")
            let id = try #require(filed.json["id"] as? String)
            let stored = try await PostgresRequestRepository(database: world.database).request(RequestID(try #require(UUID(uuidString: id))), as: Fixtures.csirt)
            let filedAt = stored.filedAt
            let mapped = APIMapping.request(stored, caller: Fixtures.csirt, now: filedAt, events: [])
            // The stored request read back, as the generated types encode it, is what filing sent.
            #expect(filed.text == (try Self.reference(mapped)))
            #expect(filed.text == String(decoding: RetrievalRequestJSON.render(mapped), as: UTF8.self))
            #expect((filed.json["items"] as? [[String: Any]])?.count == 2)

            let preview = try await world.send(.post, "/v1/requests:preview", as: "cyd", json: draft)
            #expect(preview.status == 200)
            #expect(preview.json["id"] == nil && (preview.json["items"] as? [Any])?.count == 2)
            // What the fast path does not take goes on to the generated handlers, which answer as before.
            #expect(try await world.send(.post, "/v1/requests", as: "cyd", body: "{\"purpose\": 1}", contentType: "application/json").status == 400)
            let wrongType = try await world.send(.post, "/v1/requests", as: "cyd", body: "not json", contentType: "text/plain")
            #expect(wrongType.status == 400 && wrongType.text.contains("Unexpected content type"), "\(wrongType.status) \(wrongType.text)")
            #expect(try await world.send(.post, "/v1/requests", as: "cus-a", json: draft).status == 403)
            #expect(try await world.send(.post, "/v1/requests", as: nil, json: draft).status == 401)
            var expired = draft
            expired["window"] = ["from": "2001-01-01T00:00:00Z", "to": "2001-01-02T00:00:00Z"]
            let refused = try await world.send(.post, "/v1/requests:preview", as: "cyd", json: expired)
            #expect(refused.status == 422)
            #expect(refused.contentType == "application/problem+json")
        }
    }
}
