import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LogAtlasCore
@testable import LogAtlasServer
import LogAtlasStore
import Logging
import OpenAPIRuntime
import PostgresNIO
import Testing
import TestSupport

/// #13: each defect found by probing the service as a new operator would, reproduced here against the router.
/// Every test failed before its fix (the note of #13 says how each was seen).
@Suite("Hardening against hostile input and database failures")
struct HardeningTests {
    static func nested(_ depth: Int) -> String { "orgs: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n" }

    static func problems(_ reply: TestWorld.Reply) -> [[String: Any]] { reply.json["errors"] as? [[String: Any]] ?? [] }

    @Test func nestingBombsAreRefusedWithTheirPositionAndTheServiceStaysUp() async throws {
        try await withTestApp { world in
            for depth in [20_000, 990] {
                let apply = try await world.send(.post, "/v1/inventory/apply?dry_run=true", as: "cus-a", body: Self.nested(depth))
                #expect(apply.status == 422, "\(depth): \(apply.text)")
                #expect(Self.problems(apply).first?["line"] as? Int == 1)
                let policy = try await world.send(.put, "/v1/policies/bomb", as: "ada", body: "id: bomb\nrequirements: " + Self.nested(depth))
                #expect(policy.status == 422, "\(depth): \(policy.text)")
            }
            let deep = try await world.send(.post, "/v1/inventory/apply?dry_run=true", as: "cus-a", body: Self.nested(20_000))
            #expect(deep.text.contains("nested deeper than 1000 levels"))
            // JSON bodies: Foundation's decoder has its own depth limit; a bomb is a 400, not a crash.
            let json = String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)
            let source = try await world.send(.post, "/v1/sources", as: "cus-a", body: json, contentType: "application/json")
            #expect(source.status == 400, "\(source.text)")
            #expect(try await world.send(.get, "/healthz", as: nil).status == 200)
        }
    }

    @Test func controlCharactersAreRefusedWithTheFieldPath() async throws {
        try await withTestApp { world in
            let ids = try await world.sourceIDs()
            // A NUL byte in notes used to reach PostgreSQL and come back as 400 "User handler threw an error.".
            let patch = try await world.send(.patch, "/v1/sources/\(ids["firewall"]!)", as: "cus-a", json: ["notes": "before\u{0}after"])
            #expect(patch.status == 422, "\(patch.text)")
            #expect(Self.problems(patch).first?["path"] as? String == "notes")
            let named = try await world.send(.patch, "/v1/sources/\(ids["firewall"]!)", as: "cus-a", json: ["name": "fire\u{86}wall"])
            #expect(named.status == 422)
            #expect(Self.problems(named).first?["path"] as? String == "name")
            // Tabs and line breaks stay allowed in free text.
            #expect(try await world.send(.patch, "/v1/sources/\(ids["firewall"]!)", as: "cus-a", json: ["notes": "a\tb\r\nc"]).status == 200)

            let request = try await world.file(["firewall"])
            let item = request.items["dept-a"]!
            let note = try await world.fire("acknowledge", on: request.id, item: item, as: "cus-a", note: "ok\u{0}")
            #expect(note.status == 422, "\(note.text)")
            #expect(Self.problems(note).first?["path"] as? String == "note")
            let comment = try await world.send(.post, "/v1/requests/\(request.id)/comments", as: "cyd", json: ["body": "x\u{1b}[31m"])
            #expect(comment.status == 422)
            #expect(Self.problems(comment).first?["path"] as? String == "body")
        }
    }

    @Test func anUnexpectedErrorIsA500WithARequestIDAndNoDetail() async throws {
        struct Boom: Error { let secret = "SELECT * FROM users" }
        let router = Router()
        router.add(middleware: ProblemMiddleware(logger: Logger(label: "test")))
        router.get("/boom") { _, _ -> String in throw Boom() }
        router.get("/handler") { request, _ -> String in
            // What the OpenAPI runtime throws when a generated handler fails after reading its input.
            throw ServerError(operationID: "x", request: request.head, requestBody: nil, requestMetadata: .init(),
                              operationInput: "input", causeDescription: "User handler threw an error.", underlyingError: Boom())
        }
        try await Application(router: router).test(.router) { client in
            for path in ["/boom", "/handler"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .internalServerError)
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let body = String(buffer: response.body)
                    #expect(!body.contains("SELECT") && !body.contains("Boom") && !body.contains("User handler"))
                    let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    #expect((json?["request_id"] as? String)?.count == 36)
                }
            }
        }
    }

    @Test func parametersAreCheckedAsDeclared() async throws {
        try await withTestApp { world in
            for limit in ["0", "-1", "501"] {
                let reply = try await world.send(.get, "/v1/sources?limit=\(limit)", as: "ada")
                #expect(reply.status == 400, "limit=\(limit): \(reply.text)")
                #expect(Self.problems(reply).first?["path"] as? String == "query.limit")
            }
            #expect(try await world.send(.get, "/v1/sources?limit=500", as: "ada").status == 200)
            let typed = try await world.send(.get, "/v1/sources?limit=ten", as: "ada")
            #expect(typed.status == 400 && typed.text.contains("query"), "\(typed.text)")

            let wrongMethod = try await world.send(.delete, "/v1/sources", as: "ada")
            #expect(wrongMethod.status == 405, "\(wrongMethod.text)")
            #expect(wrongMethod.headers[.allow] == "GET, POST")
            #expect(try await world.send(.get, "/v1/nothing-here", as: "ada").status == 404)

        }
    }

    /// Before: `"days": 3.5` or a number past 2⁶³ answered 400 "The given data was not valid JSON" naming no field.
    @Test func aNumberAnIntegerFieldCannotHoldIsA422NamingTheField() async throws {
        try await withTestApp { world in
            func source(_ tiers: String) -> String {
                #"{"system":"corp-net","name":"dns2","log_type":"network.dns","custodian_org":"dept-a","volume_gb_per_day":1.5,"retention_tiers":\#(tiers)}"#
            }
            let before = try await world.send(.get, "/v1/sources", as: "ada").json["total"] as? Int
            let cases = [
                (#"[{"medium":"siem","days":30,"retrieval_hours":0.5},{"medium":"nas","days":99999999999999999999}]"#, ["retention_tiers[1].days"]),
                (#"[{"medium":"siem","days":3.5},{"medium":"nas","days":-1e300}]"#, ["retention_tiers[0].days", "retention_tiers[1].days"]),
            ]
            for (tiers, paths) in cases {
                let reply = try await world.send(.post, "/v1/sources", as: "ada", body: source(tiers), contentType: "application/json")
                #expect(reply.status == 422, "\(reply.text)")
                #expect(reply.contentType == "application/problem+json")
                #expect(Self.problems(reply).compactMap { $0["path"] as? String } == paths, "\(reply.text)")
            }
            let exponent = try await world.send(.post, "/v1/sources", as: "ada", body: source(#"[{"medium":"siem","days":1e3}]"#), contentType: "application/json")
            #expect(exponent.status == 201, "an integer written with an exponent is still an integer: \(exponent.text)")
            #expect(try await world.send(.get, "/v1/sources", as: "ada").json["total"] as? Int == before.map { $0 + 1 })
            let broken = try await world.send(.post, "/v1/sources", as: "ada", body: #"{"system": "#, contentType: "application/json")
            #expect(broken.status == 400, "JSON that is not JSON stays a 400: \(broken.text)")
        }
    }

    @Test func evidenceHeadersAndNamesAreChecked() async throws {
        try await withTestApp { world in
            let request = try await world.file(["firewall"])
            let item = request.items["dept-a"]!
            try await world.approve(request.id, item: item, as: "cus-a")
            let path = "/v1/requests/\(request.id)/items/\(item)/artifacts"
            let bytes = Array("log line\n".utf8)
            let sha512 = try await world.send(.post, path + "?file_name=a.log", as: "cus-a", bytes: bytes,
                                              headers: [HTTPField.Name("Content-Digest")!: "sha-512=:AAAA:"])
            #expect(sha512.status == 400, "\(sha512.text)")
            let backslash = try await world.send(.post, path + "?file_name=..%5C..%5Cboot.ini", as: "cus-a", bytes: bytes)
            #expect(backslash.status == 422, "\(backslash.text)")
            #expect(try await world.send(.post, path + "?file_name=a.log", as: "cus-a", bytes: bytes).status == 201)
        }
    }

    @Test func invalidUTF8InUploadedFilesIsRefusedAtItsPosition() async throws {
        try await withTestApp { world in
            for (type, text) in [("application/yaml", "orgs: []\nsystems: []\nsources:\n  - name: caf\u{FFFD}\n"),
                                 ("text/csv", "system,name,log_type,custodian_org\ncorp-net,caf\u{FFFD},network.dns,dept-a\n")] {
                // U+FFFD stands for the byte 0xE9 (Latin-1 "é"), which is not UTF-8.
                var bytes = Array(text.utf8)
                let marker = Array("\u{FFFD}".utf8)
                let at = (0...(bytes.count - marker.count)).first { Array(bytes[$0..<$0 + marker.count]) == marker }!
                bytes.replaceSubrange(at..<at + marker.count, with: [0xE9])
                let reply = try await world.send(.post, "/v1/inventory/apply?dry_run=true", as: "ada", bytes: bytes, headers: [.contentType: type])
                #expect(reply.status == 422, "\(type): \(reply.text)")
                let problem = Self.problems(reply).first
                #expect(problem?["line"] as? Int == (type == "text/csv" ? 2 : 4))
                #expect(problem?["column"] as? Int == (type == "text/csv" ? 13 : 14))
            }
        }
    }

    @Test func anExportAppliesBackUnchanged() async throws {
        try await withTestApp { world in
            var source = APITests.newSource
            source["access_procedure"] = [String: Any]()
            source["notes"] = "line one\nline\ttwo \u{2028} \u{2029} \"quoted\" # not a comment"
            #expect(try await world.send(.post, "/v1/sources", as: "cus-a", json: source).status == 201)
            let exported = try await world.send(.get, "/v1/inventory/export", as: "ada")
            #expect(exported.status == 200)
            let again = try await world.send(.post, "/v1/inventory/apply?dry_run=true", as: "ada", body: exported.text)
            #expect(again.status == 200, "\(again.text)")
            for kind in ["orgs", "systems", "sources"] {
                let changes = again.json[kind] as? [String: Any] ?? [:]
                for change in ["created", "updated", "deleted"] { #expect((changes[change] as? [String])?.isEmpty == true, "\(kind).\(change): \(changes)") }
                #expect((changes["unchanged"] as? Int ?? 0) > 0, "\(kind)")
            }
        }
    }

    /// The custody manifest re-verified the whole audit chain (4–4.6 s at 60,149 events). It now checks the request's
    /// own events against their neighbours: an altered event of another object does not touch it, one of its own does.
    @Test func custodyVerifiesOnlyTheRequestsOwnEvents() async throws {
        try await withTestApp { world in
            let request = try await world.file(["firewall"])
            let custody = try await world.send(.get, "/v1/requests/\(request.id)/custody", as: "aud")
            #expect(custody.json["chain_intact"] as? Bool == true)
            let client = world.database.client
            try await client.query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
            try await client.query("UPDATE audit_events SET actor = 'mallory' WHERE seq = (SELECT min(seq) FROM audit_events WHERE object_type = 'org')")
            guard case .broken = try await AuditTrail(database: world.database).verify() else {
                Issue.record("the full walk should see the altered org event"); return
            }
            #expect(try await world.send(.get, "/v1/requests/\(request.id)/custody", as: "aud").json["chain_intact"] as? Bool == true)
            try await client.query("UPDATE audit_events SET actor = 'mallory' WHERE object_type = 'request' AND object_id = \(request.id)")
            #expect(try await world.send(.get, "/v1/requests/\(request.id)/custody", as: "aud").json["chain_intact"] as? Bool == false)
        }
    }

    /// A vendor custodian could subscribe `http://127.0.0.1:…` or `http://169.254.169.254/…` and read each answer's
    /// status in the delivery log. Internal destinations are refused when subscribing (address literals, localhost)
    /// and again after resolution at delivery; an administrator may allow a range.
    @Test func webhooksNeverReachTheInternalNetwork() async throws {
        try await withTestApp { world in
            for url in ["http://127.0.0.1:5432/", "http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/", "http://[::1]:8080/",
                        "http://[fd00::1]/", "http://[::ffff:127.0.0.1]/", "http://localhost:9/", "http://192.168.0.1/", "http://0.0.0.0/"] {
                let reply = try await world.send(.post, "/v1/webhooks", as: "cus-b", json: ["org": "vendor-b", "url": url])
                #expect(reply.status == 422, "\(url): \(reply.status)")
                #expect(Self.problems(reply).first?["path"] as? String == "url")
            }
            #expect(try await world.send(.post, "/v1/webhooks", as: "cus-b", json: ["org": "vendor-b", "url": "https://hooks.example/b"]).status == 201)
        }
        // At delivery every name is resolved and each address judged (the sender has no list of names): "localhost"
        // resolves to loopback and is refused without connecting; the error names no address.
        let message = OutboxMessage(id: 1, event: "item.requested", payload: "{}", url: URL(string: "http://localhost:9/hook")!, secret: "s", attempts: 0)
        let refused = await WebhookSender(timeout: .seconds(2)).send([message])
        #expect(refused.first?.statusCode == nil)
        #expect(refused.first?.error == "refused: the host resolves to a loopback address, which webhooks may not reach")
        // Allowed by configuration, the same destination is tried (nothing listens on port 9): a connection failure,
        // reported without the address or port.
        let allowed = await WebhookSender(timeout: .seconds(2), allowing: [IPRange("127.0.0.0/8")!, IPRange("::1/128")!]).send([message])
        #expect(allowed.first?.error == "the connection failed", "\(allowed.first?.error ?? "")")
        #expect(WebhookDestination.refusal(of: IPRange.bytes(of: "93.184.216.34")!, allowing: []) == nil)
        #expect(WebhookDestination.refusal(of: IPRange.bytes(of: "2606:2800:220:1::")!, allowing: []) == nil)
        #expect(IPRange("10.0.0.0/33") == nil && IPRange("nonsense") == nil)
    }

    /// With PostgreSQL unreachable requests waited 22–68 s and got a 500 (or a 400). Now: 503 with Retry-After within
    /// the acquisition time-out, and /readyz says 503 as fast.
    @Test func anUnreachableDatabaseIsAPrompt503() async throws {
        var configuration = PostgresClient.Configuration(host: "127.0.0.1", port: 1, username: "nobody", password: nil, database: "none", tls: .disable)
        configuration.options.connectTimeout = .seconds(1)
        try await withRunningClient(configuration) { client in
            let database = Database(client: client, acquireTimeout: .seconds(1))
            let router = try buildRouter(configuration: ServerConfiguration(), database: database, logger: .testApp)
            try await Application(router: router).test(.router) { client in
                for (path, auth) in [("/readyz", false), ("/v1/sources", true)] {
                    let started = ContinuousClock.now
                    let headers: HTTPFields = auth ? [.authorization: "Bearer la_" + String(repeating: "A", count: 43)] : [:]
                    try await client.execute(uri: path, method: .get, headers: headers) { response in
                        #expect(response.status == .serviceUnavailable, "\(path)")
                        if auth {
                            #expect(response.headers[.retryAfter] == "5")
                            #expect(response.headers[.contentType] == "application/problem+json")
                        }
                    }
                    // Two bounded waits of 1 s (the token, then the handler) and a connect time-out of 1 s: a few seconds,
                    // not the 22–68 s of before; the bound leaves room for a loaded machine.
                    #expect(ContinuousClock.now - started < .seconds(10), "\(path)")
                }
            }
        }
    }
}

@Suite("Live connections")
struct LiveConnectionTests {
    /// A chunked body (no Content-Length) over the limit was a 500 (`NIOTooManyBytesError`); it is a 413 now.
    @Test func aChunkedBodyOverTheLimitIs413() async throws {
        try await withTestDatabase { database in
            let app = try buildApplication(configuration: ServerConfiguration(port: 0, bodyLimit: 1_000), database: database)
            try await app.test(.live) { client in
                let port = try #require(client.port)
                let chunk = String(repeating: "x", count: 4_000)
                let head = "POST /v1/inventory/apply HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/yaml\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                let answer = try RawHTTP.exchange(port: port, head + String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n0\r\n\r\n")
                #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(200))")
                #expect(answer.contains("application/problem+json"))
            }
        }
    }
}

/// One HTTP exchange over a plain socket: what no HTTP client library sends on purpose (a chunked body past the
/// limit), and GETs without a client library (Foundation on Linux has no synchronous loading).
enum RawHTTP {
    struct Failure: Error { let what: String }

    /// Connects to 127.0.0.1:`port`, sends `request`, and returns everything read until the server closes the
    /// connection (send `Connection: close`) or 30 s pass (a loaded CI machine can be slow to answer).
    static func exchange(port: Int, _ request: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(what: "socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(what: "connect") }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            answer += buffer[0..<count]
        }
        return String(decoding: answer, as: UTF8.self)
    }
}
