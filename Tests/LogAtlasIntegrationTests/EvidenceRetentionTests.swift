import Foundation
import HTTPTypes
import LogAtlasCore
import LogAtlasStore
import Testing
import TestSupport

/// Delivered evidence is purged a period after its request closes, unless a legal hold stands; the retention pass
/// runs with an injected clock.
@Suite("Evidence retention")
struct EvidenceRetentionTests {
    static let day: TimeInterval = 86_400

    /// A request whose dept-a item received an uploaded artifact and whose vendor-b item was cancelled: it closes now.
    static func closedRequest(_ world: TestWorld, _ logs: [UInt8]) async throws -> (id: String, artifact: String) {
        let (id, items) = try await world.file()
        let (a, b) = (items["dept-a"]!, items["vendor-b"]!)
        try await world.approve(id, item: a, as: "cus-a")
        let upload = try await world.send(.post, "/v1/requests/\(id)/items/\(a)/artifacts?file_name=fw.log", as: "cus-a", bytes: logs)
        #expect(upload.status == 201, "\(upload.text)")
        #expect(try await world.fire("deliver", on: id, item: a, as: "cus-a").status == 200)
        #expect(try await world.fire("receive", on: id, item: a, as: "cyd", note: "Confirmed and contained.").status == 200)
        #expect(try await world.fire("cancel", on: id, item: b, as: "cyd").status == 200)
        return (id, upload.json["id"] as? String ?? "")
    }

    static func retention(_ world: TestWorld, _ id: String) async throws -> [String: Any] {
        try await world.send(.get, "/v1/requests/\(id)", as: "cyd").json["evidence_retention"] as? [String: Any] ?? [:]
    }

    @Test("content is purged 180 days after the request closes, once, and recorded in the audit trail and custody manifest")
    func purgedAfterTheDefaultPeriod() async throws {
        try await withTestApp { world in
            let logs = Array("2026-11-20T10:00:00Z fw1 deny 203.0.113.7 -> 10.0.0.5:445\n".utf8)
            let (id, artifact) = try await Self.closedRequest(world, logs)
            let closed = Date()
            let file = world.artifactFolder.appendingPathComponent(try #require(try FileManager.default.contentsOfDirectory(atPath: world.artifactFolder.path).first))

            let shown = try await Self.retention(world, id)
            #expect(shown["days"] as? Int == 180)
            #expect(shown["default_period"] as? Bool == true)
            let purgeAfter = try #require(ISO8601DateFormatter().date(from: shown["purge_after"] as? String ?? ""))
            #expect(abs(purgeAfter.timeIntervalSince(closed) - 180 * Self.day) < 60)

            let job = EvidenceRetentionStore(database: world.database)
            let store = FileSystemArtifactStore(folder: world.artifactFolder)
            func pass(afterDays days: Double) async throws -> [String] {
                try await job.runPass(now: closed.addingTimeInterval(days * Self.day), policy: EvidenceRetentionPolicy(), store: store,
                                      logger: .testApp)?.map(\.id.description) ?? []
            }
            #expect(try await pass(afterDays: 179).isEmpty)
            #expect(FileManager.default.fileExists(atPath: file.path))
            #expect(try await pass(afterDays: 181) == [artifact])
            #expect(!FileManager.default.fileExists(atPath: file.path))
            #expect(try await pass(afterDays: 182).isEmpty, "purged once")

            // The record stays, marked; the content is gone for good.
            let listed = try await world.send(.get, "/v1/requests/\(id)/artifacts", as: "cyd")
            let entry = (try JSONSerialization.jsonObject(with: listed.body) as? [[String: Any]])?.first
            #expect(entry?["sha256"] as? String == sha256Hex(logs))
            #expect(entry?["purged_by"] as? String == "retention")
            #expect(entry?["purged_at"] != nil)
            let download = try await world.send(.get, "/v1/requests/\(id)/artifacts/\(artifact)/content", as: "cyd")
            #expect(download.status == 410)
            #expect(download.text.contains("deleted by the evidence retention"))

            // The deletion is in the chain: who, when, and the digest and size of what was deleted.
            let custody = try await world.send(.get, "/v1/requests/\(id)/custody", as: "aud")
            #expect(custody.json["chain_intact"] as? Bool == true)
            let accesses = ((custody.json["artifacts"] as? [[String: Any]])?.first?["accesses"] as? [[String: Any]] ?? [])
                .map { "\($0["action"]!) by \($0["actor"]!)" }
            #expect(accesses == ["upload by cus-a", "purge by retention"])
            let purge = try #require((custody.json["events"] as? [[String: Any]])?.first { $0["action"] as? String == "artifact.purge" })
            let recorded = #"{"size": \#(logs.count), "sha256": "\#(sha256Hex(logs))", "request": "\#(id)", "retention_days": 180}"#
            #expect(purge["after_digest"] as? String == sha256Hex(Array(recorded.utf8)))
            #expect(try await AuditTrail(database: world.database).verify() == .intact(events: try await world.auditCount()))
        }
    }

    @Test("a team's own period applies to its requests that set none, between the request's own period and the default")
    func teamPeriod() async throws {
        try await withTestApp { world in
            let (id, artifact) = try await Self.closedRequest(world, Array("team".utf8))
            let closed = Date()
            let path = "/v1/orgs/csirt/evidence-retention"
            #expect(try await world.send(.get, path, as: "cyd").json["default_period"] as? Bool == true)
            let set = try await world.send(.put, path, as: "cyd", json: ["days": 90])
            #expect(set.status == 200 && set.json["days"] as? Int == 90 && set.json["default_period"] as? Bool == false, "\(set.text)")
            let shown = try await Self.retention(world, id)
            #expect(shown["days"] as? Int == 90 && shown["period"] as? String == "team" && shown["default_period"] as? Bool == true)

            // Refused, and nothing changes: a custodian, an auditor, another organisation, a period out of range.
            #expect(try await world.send(.put, path, as: "cus-a", json: ["days": 5]).status == 403)
            #expect(try await world.send(.put, path, as: "aud", json: ["days": 5]).status == 403)
            #expect(try await world.send(.get, path, as: "aud").json["days"] as? Int == 90)
            #expect(try await world.send(.put, "/v1/orgs/dept-a/evidence-retention", as: "cyd", json: ["days": 5]).status == 403)
            let zero = try await world.send(.put, path, as: "cyd", json: ["days": 0])
            #expect((zero.status == 422 || zero.status == 400) && zero.text.contains("days"))
            #expect(try await world.send(.put, "/v1/orgs/no-such-team/evidence-retention", as: "ada", json: ["days": 5]).status == 404)
            #expect(try await Self.retention(world, id)["days"] as? Int == 90)
            let events = try await AuditTrail(database: world.database).recent(limit: 20)
            #expect(events.contains { $0.action == "org.update" && $0.objectID == "csirt" && $0.actor == "cyd" })

            let job = EvidenceRetentionStore(database: world.database)
            let store = FileSystemArtifactStore(folder: world.artifactFolder)
            func pass(afterDays days: Double) async throws -> [String] {
                try await job.runPass(now: closed.addingTimeInterval(days * Self.day), policy: EvidenceRetentionPolicy(), store: store,
                                      logger: .testApp)?.map(\.id.description) ?? []
            }
            #expect(try await pass(afterDays: 89).isEmpty)
            // The request's own period comes before the team's.
            #expect(try await world.send(.put, "/v1/requests/\(id)/evidence-retention", as: "cyd", json: ["days": 120]).json["period"] as? String == "request")
            #expect(try await pass(afterDays: 91).isEmpty)
            #expect(try await world.send(.put, "/v1/requests/\(id)/evidence-retention", as: "cyd", json: [String: Any]()).json["period"] as? String == "team")
            #expect(try await pass(afterDays: 91) == [artifact])
            // Without the team's period the service's default applies again.
            let reset = try await world.send(.put, path, as: "cyd", json: [String: Any]())
            #expect(reset.json["days"] as? Int == 180 && reset.json["default_period"] as? Bool == true)
        }
    }

    @Test("the period comes from the request, else the team, else the service")
    func periodPrecedence() {
        let policy = EvidenceRetentionPolicy(defaultDays: 180)
        typealias Source = EvidenceRetentionPolicy.Source
        #expect(policy.period(of: RequestRetention()) == (180, Source.service))
        #expect(policy.period(of: RequestRetention(teamDays: 90)) == (90, Source.team))
        #expect(policy.period(of: RequestRetention(days: 30, teamDays: 90)) == (30, Source.request))
        let closed = Date(timeIntervalSince1970: 1_900_000_000)
        #expect(policy.purgeAfter(RequestRetention(teamDays: 90, closedAt: closed)) == closed.addingTimeInterval(90 * Self.day))
        #expect(policy.purgeAfter(RequestRetention(teamDays: 90, legalHold: LegalHold(reason: "r", placedBy: "p", placedAt: closed), closedAt: closed)) == nil)
    }

    @Test("a legal hold suspends the purge until lifted; the request's own period replaces the default; open requests keep their evidence")
    func legalHoldsAndPeriods() async throws {
        try await withTestApp { world in
            let (id, artifact) = try await Self.closedRequest(world, Array("closed".utf8))
            let closed = Date()
            // A second request, still open, with evidence delivered.
            let (open, items) = try await world.file(["firewall"])
            try await world.approve(open, item: items["dept-a"]!, as: "cus-a")
            #expect(try await world.send(.post, "/v1/requests/\(open)/items/\(items["dept-a"]!)/artifacts", as: "cus-a",
                                         bytes: Array("open".utf8)).status == 201)
            let job = EvidenceRetentionStore(database: world.database)
            let store = FileSystemArtifactStore(folder: world.artifactFolder)
            func pass(afterDays days: Double) async throws -> [String] {
                try await job.runPass(now: closed.addingTimeInterval(days * Self.day), policy: EvidenceRetentionPolicy(), store: store,
                                      logger: .testApp)?.map(\.id.description) ?? []
            }
            let path = "/v1/requests/\(id)/evidence-retention"

            let held = try await world.send(.put, path, as: "cyd", json: ["days": 30, "legal_hold": "Litigation hold, case 2026-17"])
            #expect(held.status == 200, "\(held.text)")
            #expect(held.json["days"] as? Int == 30)
            #expect(held.json["default_period"] as? Bool == false)
            #expect(held.json["purge_after"] == nil)
            #expect((held.json["legal_hold"] as? [String: Any])?["placed_by"] as? String == "cyd")
            #expect(try await pass(afterDays: 400).isEmpty, "nothing is purged under a legal hold")
            // The console's request page says so.
            try await world.setConsolePasswords()
            let page = try await world.visitor(signedInAs: "cyd").get("/requests/\(id)")
            #expect(page.text.contains("Legal hold — not deleted while it stands: Litigation hold, case 2026-17 (cyd,"), "\(page.text)")

            // Bad changes are refused with the field named and change nothing.
            let zero = try await world.send(.put, path, as: "cyd", json: ["days": 0])
            #expect(zero.status == 422 || zero.status == 400)
            #expect(zero.text.contains("days"))
            let blank = try await world.send(.put, path, as: "cyd", json: ["legal_hold": "   "])
            #expect(blank.status == 422)
            #expect(blank.text.contains("legal_hold"))
            #expect(try await world.send(.put, path, as: "aud", json: [String: Any]()).status == 403)
            #expect((try await Self.retention(world, id)["legal_hold"] as? [String: Any])?["reason"] as? String == "Litigation hold, case 2026-17")

            // The hold is lifted: the request's own 30 days apply from its closing.
            let lifted = try await world.send(.put, path, as: "cyd", json: ["days": 30])
            #expect(lifted.status == 200)
            #expect(lifted.json["legal_hold"] == nil)
            let purgeAfter = try #require(ISO8601DateFormatter().date(from: lifted.json["purge_after"] as? String ?? ""))
            #expect(abs(purgeAfter.timeIntervalSince(closed) - 30 * Self.day) < 60)
            #expect(try await pass(afterDays: 29).isEmpty)
            let before = try await world.visitor(signedInAs: "cyd").get("/requests/\(id)")
            #expect(before.text.contains("(30 days after the request closed)"))
            #expect(before.text.contains("/artifacts/\(artifact)\""))
            #expect(try await pass(afterDays: 31) == [artifact])
            let after = try await world.visitor(signedInAs: "cyd").get("/requests/\(id)")
            #expect(after.text.contains("content deleted by the evidence retention"))
            #expect(!after.text.contains("/artifacts/\(artifact)\""), "no download link for purged content")
            #expect(try await pass(afterDays: 4_000).isEmpty, "the open request's evidence stays")
            #expect(FileManager.default.fileExists(atPath: world.artifactFolder.path))
            #expect(try FileManager.default.contentsOfDirectory(atPath: world.artifactFolder.path).count == 1)

            // Placing and lifting the hold are audited as changes of the request, by the CSIRT member.
            var actors: [String] = []
            for try await actor in try await world.database.client.query("""
                SELECT actor FROM audit_events WHERE object_type = 'request' AND action = 'request.update' AND object_id = \(id) ORDER BY seq
                """).decode(String.self) { actors.append(actor) }
            #expect(actors == ["cyd", "cyd"])
        }
    }
}
