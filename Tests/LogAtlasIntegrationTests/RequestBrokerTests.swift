import Crypto
import Foundation
import HTTPTypes
import LogAtlasCore
import LogAtlasServer
import LogAtlasStore
import PostgresNIO
import Testing
import TestSupport

/// Helpers that make each broker test read as a story.
extension TestWorld {
    /// Source IDs of the fixture inventory by name.
    func sourceIDs() async throws -> [String: String] {
        let sources = try await PostgresInventoryRepository(database: database).export(as: Fixtures.admin).sources
        return Dictionary(uniqueKeysWithValues: sources.map { ($0.name, $0.id.description) })
    }

    /// A request body over the last `days` days for the named sources.
    func draft(_ names: [String], days: Double = 3, endingDaysAgo: Double = 0, priority: String = "serious") async throws -> [String: Any] {
        let ids = try await sourceIDs()
        let now = Date()
        let iso = ISO8601DateFormatter()
        return ["incident_reference": "INC-2026-0142", "purpose": "Suspected lateral movement from the VPN gateway",
                "priority": priority,
                "window": ["from": iso.string(from: now.addingTimeInterval(-(days + endingDaysAgo) * 86_400)),
                           "to": iso.string(from: now.addingTimeInterval(-endingDaysAgo * 86_400))],
                "hints": ["hosts": ["vpn-gw-1"], "ips": ["203.0.113.7"]],
                "sources": names.map { ids[$0]! }]
    }

    /// Files a request as cyd and returns (request id, item id per custodian org).
    func file(_ names: [String] = ["firewall", "auth"], days: Double = 3, endingDaysAgo: Double = 0) async throws -> (id: String, items: [String: String]) {
        let reply = try await send(.post, "/v1/requests", as: "cyd", json: try await draft(names, days: days, endingDaysAgo: endingDaysAgo))
        #expect(reply.status == 201, "\(reply.text)")
        let items = (reply.json["items"] as? [[String: Any]] ?? []).reduce(into: [String: String]()) {
            $0[$1["custodian_org"] as! String] = ($1["id"] as! String)
        }
        return (reply.json["id"] as! String, items)
    }

    /// Fires `action` on an item.
    func fire(_ action: String, on request: String, item: String, as user: String, note: String? = nil) async throws -> Reply {
        var body: [String: Any] = ["action": action]
        if let note { body["note"] = note }
        return try await send(.post, "/v1/requests/\(request)/items/\(item)/transitions", as: user, json: body)
    }

    /// Brings an item to `approved` as its custodian.
    func approve(_ request: String, item: String, as user: String) async throws {
        #expect(try await fire("acknowledge", on: request, item: item, as: user).status == 200)
        #expect(try await fire("approve", on: request, item: item, as: user).status == 200)
    }
}

func sha256Hex(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }
func sha256Base64(_ bytes: [UInt8]) -> String { Data(SHA256.hash(data: bytes)).base64EncodedString() }

@Suite("Retrieval broker")
struct RequestBrokerTests {
    @Test("file → acknowledge → needs_info → answer → approve → upload → deliver → download → close → custody verifies")
    func endToEndStory() async throws {
        try await withTestApp { world in
            let preview = try await world.send(.post, "/v1/requests:preview", as: "cyd", json: try await world.draft(["firewall", "auth"]))
            #expect(preview.status == 200, "\(preview.text)")
            #expect(preview.json["id"] == nil)
            #expect(try await world.send(.get, "/v1/requests", as: "cyd").json["total"] as? Int == 0)

            let (id, items) = try await world.file()
            #expect(Set(items.keys) == ["dept-a", "vendor-b"])
            let a = items["dept-a"]!

            // Each custodian sees the shared fields and only its own item.
            let seenByA = try await world.send(.get, "/v1/requests/\(id)", as: "cus-a")
            let seenByB = try await world.send(.get, "/v1/requests/\(id)", as: "cus-b")
            // vendor-b's auth log has never been attested: only vendor-b reads that warning.
            #expect(seenByB.text.contains("auth: retention has never been attested"))
            #expect(!seenByA.text.contains("auth:"))
            #expect(seenByA.status == 200)
            #expect((seenByA.json["items"] as? [[String: Any]])?.map { $0["custodian_org"] as? String } == ["dept-a"])
            #expect(seenByA.json["purpose"] as? String == "Suspected lateral movement from the VPN gateway")
            #expect(!seenByA.text.contains("vendor-b"))

            #expect(try await world.fire("acknowledge", on: id, item: a, as: "cus-a").json["state"] as? String == "acknowledged")
            #expect(try await world.fire("ask_info", on: id, item: a, as: "cus-a", note: "Which VLAN?").json["state"] as? String == "needs_info")
            #expect(try await world.fire("answer", on: id, item: a, as: "cus-a", note: "x").status == 403)
            #expect(try await world.fire("answer", on: id, item: a, as: "cyd", note: "VLAN 20").json["state"] as? String == "acknowledged")
            #expect(try await world.fire("approve", on: id, item: a, as: "cus-a").json["state"] as? String == "approved")
            let early = try await world.fire("deliver", on: id, item: a, as: "cus-a")
            #expect(early.status == 422, "delivering without evidence: \(early.text)")

            let logs = Array("2026-11-20T10:00:00Z fw1 deny 203.0.113.7 -> 10.0.0.5:445\n".utf8)
            let upload = try await world.send(.post, "/v1/requests/\(id)/items/\(a)/artifacts?file_name=fw.log&media_type=text/plain",
                                              as: "cus-a", bytes: logs, headers: [HTTPField.Name("Content-Digest")!: "sha-256=:\(sha256Base64(logs)):"])
            #expect(upload.status == 201, "\(upload.text)")
            #expect(upload.json["sha256"] as? String == sha256Hex(logs))
            #expect(upload.json["size"] as? Int == logs.count)
            let artifactID = upload.json["id"] as! String
            #expect(try await world.fire("deliver", on: id, item: a, as: "cus-a").json["state"] as? String == "delivered")

            // Auditors and custodians see metadata; only the requesting team downloads.
            #expect(try await world.send(.get, "/v1/requests/\(id)/artifacts", as: "aud").status == 200)
            #expect(try await world.send(.get, "/v1/requests/\(id)/artifacts/\(artifactID)/content", as: "aud").status == 403)
            #expect(try await world.send(.get, "/v1/requests/\(id)/artifacts/\(artifactID)/content", as: "cus-a").status == 403)
            let download = try await world.send(.get, "/v1/requests/\(id)/artifacts/\(artifactID)/content", as: "cyd")
            #expect(download.status == 200)
            #expect(Array(download.body) == logs)
            #expect(download.headers[HTTPField.Name("Content-Digest")!] == "sha-256=:\(sha256Base64(logs)):")
            #expect(download.headers[HTTPField.Name("Digest")!] == "SHA-256=\(sha256Base64(logs))")

            #expect(try await world.fire("receive", on: id, item: a, as: "cyd").status == 422)
            let closed = try await world.fire("receive", on: id, item: a, as: "cyd", note: "Confirmed: SMB scan from the VPN; contained.")
            #expect(closed.json["state"] as? String == "received")
            // The outcome travels back to the custodian.
            let afterwards = try await world.send(.get, "/v1/requests/\(id)", as: "cus-a")
            #expect((afterwards.json["items"] as? [[String: Any]])?.first?["outcome"] as? String == "Confirmed: SMB scan from the VPN; contained.")
            let history = (afterwards.json["events"] as? [[String: Any]] ?? []).map { $0["action"] as? String ?? "" }
            #expect(history == ["acknowledge", "ask_info", "answer", "approve", "deliver", "receive"])

            let custody = try await world.send(.get, "/v1/requests/\(id)/custody", as: "aud")
            #expect(custody.status == 200)
            #expect(custody.json["chain_intact"] as? Bool == true)
            let entry = (custody.json["artifacts"] as? [[String: Any]])?.first
            #expect((entry?["artifact"] as? [String: Any])?["sha256"] as? String == sha256Hex(logs))
            let accesses = (entry?["accesses"] as? [[String: Any]] ?? []).map { "\($0["action"]!) by \($0["actor"]!)" }
            #expect(accesses == ["upload by cus-a", "download by cyd"])
            let actions = (custody.json["events"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            #expect(actions.filter { $0 == "request-item.update" }.count == 6)
            #expect(actions.first == "request.create")
            // Each quoted event's hash matches the chain the server verifies independently.
            #expect(try await AuditTrail(database: world.database).verify() == .intact(events: try await world.auditCount()))
        }
    }

    @Test("a window that has entirely expired is refused, a partly expired one is filed with a warning")
    func feasibilityAtFiling() async throws {
        try await withTestApp { world in
            let gone = try await world.send(.post, "/v1/requests", as: "cyd", json: try await world.draft(["proxy"], days: 5, endingDaysAgo: 60))
            #expect(gone.status == 422)
            #expect(gone.text.contains("whole window has expired"), "\(gone.text)")
            #expect(try await world.send(.get, "/v1/requests", as: "cyd").json["total"] as? Int == 0)

            let partly = try await world.send(.post, "/v1/requests", as: "cyd", json: try await world.draft(["proxy", "firewall"], days: 40))
            #expect(partly.status == 201)
            #expect((partly.json["warnings"] as? [String] ?? []).contains { $0.contains("proxy: records before") })
            // The custodian of the other source reads no warning about the proxy.
            let partlyID = try #require(partly.json["id"] as? String)
            #expect(try await world.send(.get, "/v1/requests/\(partlyID)", as: "cus-a").text.contains("proxy: records before"))
            let item = (partly.json["items"] as? [[String: Any]])?.first
            // The proxy's oldest requested records leave the SIEM now: the custodian is told to preserve at once.
            #expect((item?["preservation"] as? String)?.hasPrefix("Preserve now") == true, "\(item ?? [:])")
            let proxy = (item?["feasibility"] as? [[String: Any]])?.first { $0["source_name"] as? String == "proxy" }
            #expect((proxy?["segments"] as? [[String: Any]])?.map { $0["availability"] as? String } == ["expired", "searchable"])
        }
    }

    @Test("50 simultaneous approvals across two server instances: exactly one succeeds, the rest get 409 with the state")
    func concurrentApprovals() async throws {
        try await withTestApp { world in
            let (id, items) = try await world.file()
            let a = items["dept-a"]!
            #expect(try await world.fire("acknowledge", on: id, item: a, as: "cus-a").status == 200)
            try await world.withSecondInstance { second in
                let replies = try await withThrowingTaskGroup(of: TestWorld.Reply.self) { group in
                    for attempt in 0..<50 {
                        group.addTask { try await (attempt.isMultiple(of: 2) ? world : second).fire("approve", on: id, item: a, as: "cus-a") }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(replies.filter { $0.status == 200 }.count == 1)
                let losers = replies.filter { $0.status != 200 }
                #expect(losers.count == 49)
                #expect(losers.allSatisfy { $0.status == 409 && $0.json["current_state"] as? String == "approved" })
            }
            let events = try await world.send(.get, "/v1/requests/\(id)", as: "cyd").json["events"] as? [[String: Any]]
            #expect(events?.map { $0["action"] as? String } == ["acknowledge", "approve"])
        }
    }

    @Test("uploads: digest mismatch, oversize and the wrong party store nothing")
    func uploadRefusals() async throws {
        try await withTestApp(broker: BrokerSettings(maxArtifactBytes: 1_000)) { world in
            let (id, items) = try await world.file()
            let a = items["dept-a"]!
            let bytes = Array(repeating: UInt8(ascii: "x"), count: 600)
            let path = "/v1/requests/\(id)/items/\(a)/artifacts"
            #expect(try await world.send(.post, path, as: "cus-a", bytes: bytes).status == 409, "not approved yet")
            try await world.approve(id, item: a, as: "cus-a")
            let mismatch = try await world.send(.post, path, as: "cus-a", bytes: bytes,
                                                headers: [HTTPField.Name("Content-Digest")!: "sha-256=:\(sha256Base64([1, 2, 3])):"])
            #expect(mismatch.status == 400)
            #expect(mismatch.text.contains("Content-Digest"))
            #expect(try await world.send(.post, path, as: "cus-a", bytes: bytes + bytes).status == 413)
            #expect(try await world.send(.post, path, as: "cus-b", bytes: bytes).status == 404)
            #expect(try await world.send(.post, path, as: "cyd", bytes: bytes).status == 403)
            #expect(try await world.send(.post, path, as: "cus-a", bytes: bytes, headers: [HTTPField.Name("Content-Digest")!: "sha-256=:nope:"]).status == 400)
            #expect((try await world.send(.get, "/v1/requests/\(id)/artifacts", as: "cyd").body).elementsEqual(Data("[]".utf8)))
            let files = (try? FileManager.default.contentsOfDirectory(atPath: world.artifactFolder.path)) ?? []
            #expect(files.isEmpty, "left behind: \(files)")
            // A hand-over record is evidence too.
            let handover = try await world.send(.post, "/v1/requests/\(id)/items/\(a)/handovers", as: "cus-a",
                                                json: ["location": "sftp://drop.a.example/inc-0142/", "method": "SFTP, PGP-encrypted",
                                                       "sha256": sha256Hex(bytes)])
            #expect(handover.status == 201, "\(handover.text)")
            #expect(try await world.fire("deliver", on: id, item: a, as: "cus-a").json["state"] as? String == "delivered")
        }
    }

    @Test("evidence is limited by the artifact limit, not by the JSON body limit")
    func uploadsAreNotBoundByTheBodyLimit() async throws {
        try await withTestApp(bodyLimit: 1_000, broker: BrokerSettings(maxArtifactBytes: 100_000)) { world in
            let (id, items) = try await world.file(["firewall"])
            try await world.approve(id, item: items["dept-a"]!, as: "cus-a")
            let bytes = Array(repeating: UInt8(ascii: "y"), count: 50_000)
            let upload = try await world.send(.post, "/v1/requests/\(id)/items/\(items["dept-a"]!)/artifacts", as: "cus-a", bytes: bytes,
                                              headers: [.contentLength: String(bytes.count)])
            #expect(upload.status == 201, "\(upload.text)")
            #expect(upload.json["size"] as? Int == 50_000)
            // JSON bodies still are.
            let big = try await world.send(.post, "/v1/requests/\(id)/comments", as: "cyd", json: ["body": String(repeating: "z", count: 2_000)])
            #expect(big.status == 413)
        }
    }

    @Test("comments: a custodian reads what is addressed to all or to its own organisation and writes only to its own")
    func commentScoping() async throws {
        try await withTestApp { world in
            let (id, _) = try await world.file()
            let path = "/v1/requests/\(id)/comments"
            #expect(try await world.send(.post, path, as: "cyd", json: ["body": "Background: VPN alert 11:02 UTC"]).status == 201)
            #expect(try await world.send(.post, path, as: "cyd", json: ["body": "Vendor B: include the jump host", "to": "vendor-b"]).status == 201)
            let fromA = try await world.send(.post, path, as: "cus-a", json: ["body": "Export will be gzip"])
            #expect(fromA.json["to"] as? String == "dept-a")
            #expect(try await world.send(.post, path, as: "cus-a", json: ["body": "psst", "to": "vendor-b"]).status == 422)
            #expect(try await world.send(.post, path, as: "aud", json: ["body": "hello"]).status == 403)
            func bodies(_ user: String) async throws -> [String] {
                ((try await world.send(.get, path, as: user).json(array: true)) ?? []).compactMap { $0["body"] as? String }
            }
            #expect(try await bodies("cyd").count == 3)
            #expect(try await bodies("aud").count == 3)
            #expect(try await bodies("cus-a") == ["Background: VPN alert 11:02 UTC", "Export will be gzip"])
            #expect(try await bodies("cus-b") == ["Background: VPN alert 11:02 UTC", "Vendor B: include the jump host"])
        }
    }

    @Test("lists are scoped and filtered")
    func listScoping() async throws {
        try await withTestApp { world in
            let (id, items) = try await world.file()
            _ = try await world.file(["proxy"])
            #expect(try await world.send(.get, "/v1/requests", as: "cyd").json["total"] as? Int == 2)
            #expect(try await world.send(.get, "/v1/requests", as: "aud").json["total"] as? Int == 2)
            #expect(try await world.send(.get, "/v1/requests", as: "cus-a").json["total"] as? Int == 2)
            #expect(try await world.send(.get, "/v1/requests", as: "cus-b").json["total"] as? Int == 1)
            #expect(try await world.send(.get, "/v1/requests?org=vendor-b", as: "cus-a").json["total"] as? Int == 0)
            #expect(try await world.fire("acknowledge", on: id, item: items["vendor-b"]!, as: "cus-b").status == 200)
            #expect(try await world.send(.get, "/v1/requests?state=acknowledged", as: "cyd").json["total"] as? Int == 1)
            #expect(try await world.send(.get, "/v1/requests?state=acknowledged", as: "cus-a").json["total"] as? Int == 0)
            #expect(try await world.send(.get, "/v1/requests?overdue=true", as: "cyd").json["total"] as? Int == 0)
            let page = try await world.send(.get, "/v1/requests?limit=1", as: "cyd")
            let next = try #require(page.json["next_cursor"] as? String)
            let second = try await world.send(.get, "/v1/requests?limit=1&cursor=\(next)", as: "cyd")
            #expect((second.json["items"] as? [[String: Any]])?.first?["id"] as? String == id)
            #expect(try await world.send(.get, "/v1/requests/\(UUID())", as: "cyd").status == 404)
            #expect(try await world.send(.get, "/v1/requests/\(id)", as: "cus-b").json["items"].map { ($0 as! [Any]).count } == 1)
        }
    }
}

@Suite("Retrieval broker: row-level security")
struct RequestRowLevelSecurityTests {
    @Test("the database itself hides other teams' requests and other organisations' items, comments and evidence")
    func rawSQLIsScoped() async throws {
        try await withTestApp { world in
            let (id, items) = try await world.file()
            _ = try await world.send(.post, "/v1/requests/\(id)/comments", as: "cyd", json: ["body": "for vendor-b only", "to": "vendor-b"])
            try await world.approve(id, item: items["vendor-b"]!, as: "cus-b")
            _ = try await world.send(.post, "/v1/requests/\(id)/items/\(items["vendor-b"]!)/artifacts", as: "cus-b", bytes: Array("x".utf8))
            let outsider = Principal(userID: UserID(), name: "other-csirt", role: .csirt, orgIDs: [OrgID("other-team")])
            func counts(as caller: Principal) async throws -> [Int] {
                try await world.database.withCaller(caller) { connection in
                    var counts: [Int] = []
                    for table in ["requests", "request_items", "request_comments", "artifacts", "item_events"] {
                        let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*)::integer FROM \(table)"), logger: .init(label: "rls"))
                        for try await count in rows.decode(Int.self) { counts.append(count) }
                    }
                    return counts
                }
            }
            #expect(try await counts(as: Fixtures.csirt) == [1, 2, 1, 1, 2])
            #expect(try await counts(as: Fixtures.auditor) == [1, 2, 1, 1, 2])
            #expect(try await counts(as: Fixtures.custodianA) == [1, 1, 0, 0, 0])
            #expect(try await counts(as: Fixtures.custodianB) == [1, 1, 1, 1, 2])
            #expect(try await counts(as: outsider) == [0, 0, 0, 0, 0])
            await #expect(throws: RequestError.notFound(kind: "request", id: id)) {
                try await PostgresRequestRepository(database: world.database).request(RequestID(UUID(uuidString: id)!), as: outsider)
            }
            // A custodian cannot move another organisation's item even with hand-written SQL.
            let moved = try await world.database.withCaller(Fixtures.custodianA) { connection in
                var count = 0
                for try await _ in try await connection.query("UPDATE request_items SET state = 'cancelled' RETURNING id", logger: .init(label: "rls")) { count += 1 }
                return count
            }
            #expect(moved == 1, "only its own item")
        }
    }
}

extension TestWorld.Reply {
    /// The body as a JSON array of objects.
    func json(array: Bool) -> [[String: Any]]? { (try? JSONSerialization.jsonObject(with: body)) as? [[String: Any]] }
}

extension TestWorld {
    func auditCount() async throws -> Int {
        let rows = try await database.client.query("SELECT count(*)::integer FROM audit_events")
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}

@Suite("Uploaded policies")
struct UploadedPolicyTests {
    static let yaml = """
        id: house-rules
        title: House rules
        version: "1"
        citation: "internal standard IS-7"
        status: current
        requirements:
          - id: fw-1y
            title: Firewall kept a year
            clause: "IS-7 §2"
            applies_to: every_system
            log_types: {any_of: [network.firewall]}
            min_retention_days: 365
            incident_types: [100, 500]
            weight: 3
        """

    @Test("admins upload a policy, validated like a shipped file; reports use it; others may not")
    func uploadListEvaluateDelete() async throws {
        try await withTestApp { world in
            let put = try await world.send(.put, "/v1/policies/house-rules", as: "ada", body: Self.yaml)
            #expect(put.status == 200, "\(put.text)")
            #expect(put.json["origin"] as? String == "uploaded")
            let listed = try await world.send(.get, "/v1/policies", as: "cus-a")
            #expect(listed.text.contains("house-rules"))
            let report = try await world.send(.post, "/v1/gap-reports?policy=house-rules&format=csv", as: "cyd")
            #expect(report.status == 200)
            #expect(report.text.contains("fw-1y") && report.text.contains("corp-net"), "\(report.text)")

            let broken = Self.yaml.replacingOccurrences(of: "network.firewall", with: "network.firewal")
                .replacingOccurrences(of: "min_retention_days: 365", with: "min_retention_days: -5")
            let refused = try await world.send(.put, "/v1/policies/house-rules", as: "ada", body: broken)
            #expect(refused.status == 422)
            let lines = ((refused.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["line"] as? Int }
            #expect(lines.count >= 2 && lines.allSatisfy { $0 > 0 }, "\(refused.text)")
            #expect(try await world.send(.get, "/v1/policies/house-rules", as: "cyd").text.contains("network.firewall"), "nothing was replaced")

            #expect(try await world.send(.put, "/v1/policies/other-id", as: "ada", body: Self.yaml).status == 422)
            #expect(try await world.send(.put, "/v1/policies/house-rules", as: "cyd", body: Self.yaml).status == 403)
            let shipped = Self.yaml.replacingOccurrences(of: "id: house-rules", with: "id: pci-dss-4")
            #expect(try await world.send(.put, "/v1/policies/pci-dss-4", as: "ada", body: shipped).status == 409)
            #expect(try await world.send(.delete, "/v1/policies/pci-dss-4", as: "ada").status == 409)
            #expect(try await world.send(.delete, "/v1/policies/house-rules", as: "cus-a").status == 403)
            #expect(try await world.send(.delete, "/v1/policies/house-rules", as: "ada").status == 204)
            #expect(try await world.send(.get, "/v1/policies/house-rules", as: "ada").status == 404)
        }
    }
}
