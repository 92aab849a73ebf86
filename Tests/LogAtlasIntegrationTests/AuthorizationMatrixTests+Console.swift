import Foundation
import HTTPTypes
import Testing
import TestSupport

/// The console's pages in the authorisation matrix: every page and form × every role × a request of the custodian's
/// own organisation (dept-a's firewall) and of another (vendor-b's auth log), signed in through the console. The
/// statuses match the API's for the same operation; a page never answers problem+json.
@Suite("Authorisation matrix: console pages")
struct ConsolePageMatrixTests {
    typealias Target = AuthorizationMatrixTests.Target

    struct Page: Sendable, CustomTestStringConvertible {
        let name: String
        /// Expected status per user for (own, other).
        let expected: [String: (Int, Int)]
        let perform: @Sendable (TestWorld, ConsoleVisitor, Target) async throws -> TestWorld.Reply
        var testDescription: String { name }
    }

    static func expect(admin: (Int, Int), csirt: (Int, Int), auditor: (Int, Int), custodian: (Int, Int)) -> [String: (Int, Int)] {
        AuthorizationMatrixTests.expect(admin: admin, csirt: csirt, auditor: auditor, custodian: custodian)
    }

    static func filed(_ world: TestWorld, _ target: Target) async throws -> (id: String, item: String) {
        try await AuthorizationMatrixTests.filed(world, target)
    }

    static let pages: [Page] = [
        Page(name: "GET /", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, visitor, target in
            let id = try await filed(world, target).id
            let reply = try await visitor.get("/")
            // A custodian's home shows no trace of another organisation's request.
            if visitor.user == "cus-a" { #expect(reply.text.contains(id) == (target == .own)) }
            return reply
        },
        Page(name: "GET /readiness", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { _, visitor, target in
            let system = target == .own ? "corp-net" : "vendor-dc"
            let reply = try await visitor.get("/readiness?system=\(system)&incident=100")
            if visitor.user == "cus-a" { #expect(reply.text.contains(">\(system)<") == (target == .own)) }
            return reply
        },
        Page(name: "POST /readiness (record)", expected: expect(admin: (303, 303), csirt: (303, 303), auditor: (303, 303), custodian: (303, 303))) { _, visitor, target in
            let org = target == .own ? "dept-a" : "vendor-b"
            try await visitor.get("/")
            let reply = try await visitor.post("/readiness", ["csrf_token": visitor.csrf, "org": org])
            // The run is a point of the trend, except for a custodian recording another organisation: it counts nothing there.
            let page = try await visitor.get("/readiness?org=\(org)")
            #expect(page.text.contains("class=\"trend-chart\"") == (visitor.user != "cus-a" || target == .own), "\(visitor.user) \(target)")
            return reply
        },
        Page(name: "POST /readiness/sigma", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { _, visitor, target in
            try await visitor.get("/")
            // The rule reads the sshd log of vendor-b (other) or dept-a's firewall (own).
            let rule = target == .own ? "logsource: {category: firewall}" : "logsource: {product: linux, service: sshd}"
            let reply = try await visitor.postMultipart("/readiness/sigma", SigmaAPITests.multipart(
                [("r.yml", "title: Probe\nid: r\n\(rule)\ndetection: {condition: x}\n")], fields: [("csrf_token", visitor.csrf)]))
            let verdict = target == .own ? "runnable" : (visitor.user == "cus-a" ? "cannot-run" : "slower-media")
            #expect(reply.text.contains(#"<tr class="\#(verdict)">"#), "\(visitor.user) \(target)")
            return reply
        },
        Page(name: "GET /friction", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, visitor, target in
            _ = try await filed(world, target)
            let reply = try await visitor.get("/friction")
            if visitor.user == "cus-a" { #expect(!reply.text.contains("vendor-b")) }
            return reply
        },
        Page(name: "GET /inventory", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, visitor, target in
            let source = try await world.sourceIDs()[AuthorizationMatrixTests.source(target)]!
            let reply = try await visitor.get("/inventory")
            if visitor.user == "cus-a" { #expect(reply.text.contains(source) == (target == .own)) }
            return reply
        },
        Page(name: "GET /sources/{id}", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 404))) { world, visitor, target in
            try await visitor.get("/sources/\(try await world.sourceIDs()[AuthorizationMatrixTests.source(target)]!)")
        },
        Page(name: "GET /systems/{id}/action-card", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 404))) { _, visitor, target in
            let reply = try await visitor.get("/systems/\(target == .own ? "corp-net" : "vendor-dc")/action-card")
            if reply.status == 200 { #expect(reply.text.contains("<h1>Action card: ")) }
            return reply
        },
        Page(name: "POST /sources/{id} (edit)", expected: expect(admin: (303, 303), csirt: (403, 403), auditor: (403, 403), custodian: (303, 404))) { world, visitor, target in
            let id = try await world.sourceIDs()[AuthorizationMatrixTests.source(target)]!
            let version = try await world.send(.get, "/v1/sources/\(id)", as: "ada").json["version"] as? Int ?? 0
            try await visitor.get("/")
            return try await visitor.post("/sources/\(id)", ["csrf_token": visitor.csrf, "version": String(version), "notes": "checked"])
        },
        Page(name: "GET /requests/new", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (403, 403), custodian: (403, 403))) { _, visitor, _ in
            try await visitor.get("/requests/new")
        },
        Page(name: "POST /requests/new (file)", expected: expect(admin: (303, 303), csirt: (303, 303), auditor: (403, 403), custodian: (403, 403))) { world, visitor, target in
            let draft = try await world.draft([AuthorizationMatrixTests.source(target)])
            let window = draft["window"] as! [String: String]
            try await visitor.get("/")
            return try await visitor.post("/requests/new", [
                "csrf_token": visitor.csrf, "sources[]": (draft["sources"] as! [String])[0], "incident_reference": "INC-M",
                "purpose": "matrix", "priority": "serious", "from": String(window["from"]!.prefix(16)), "to": String(window["to"]!.prefix(16)),
                "intent": "file"])
        },
        Page(name: "GET /requests/{id}", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 404))) { world, visitor, target in
            try await visitor.get("/requests/\(try await filed(world, target).id)")
        },
        Page(name: "POST …/acknowledge", expected: expect(admin: (303, 303), csirt: (403, 403), auditor: (403, 403), custodian: (303, 404))) { world, visitor, target in
            let (id, item) = try await filed(world, target)
            try await visitor.get("/")
            return try await visitor.post("/requests/\(id)/items/\(item)/acknowledge", ["csrf_token": visitor.csrf])
        },
        Page(name: "POST …/cancel", expected: expect(admin: (303, 303), csirt: (303, 303), auditor: (403, 403), custodian: (403, 404))) { world, visitor, target in
            let (id, item) = try await filed(world, target)
            try await visitor.get("/")
            return try await visitor.post("/requests/\(id)/items/\(item)/cancel", ["csrf_token": visitor.csrf])
        },
        Page(name: "POST /requests/{id}/comments", expected: expect(admin: (303, 303), csirt: (303, 303), auditor: (403, 403), custodian: (303, 404))) { world, visitor, target in
            let id = try await filed(world, target).id
            try await visitor.get("/")
            return try await visitor.post("/requests/\(id)/comments", ["csrf_token": visitor.csrf, "body": "status?"])
        },
        Page(name: "POST …/artifacts (upload)", expected: expect(admin: (201, 201), csirt: (403, 403), auditor: (403, 403), custodian: (201, 404))) { world, visitor, target in
            let (id, item) = try await filed(world, target)
            try await world.approve(id, item: item, as: "ada")
            try await visitor.get("/")
            return try await visitor.upload("/requests/\(id)/items/\(item)/artifacts?name=e.log", bytes: Array("evidence".utf8))
        },
        Page(name: "GET /requests/{id}/artifacts/{artifact}", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (403, 403), custodian: (403, 404))) { world, visitor, target in
            let (id, _, artifact) = try await AuthorizationMatrixTests.delivered(world, target)
            return try await visitor.get("/requests/\(id)/artifacts/\(artifact)")
        },
    ]

    /// Each user's whole row of the matrix in one world: the pages file their own requests, so they do not interfere.
    @Test("status per role and org", arguments: ["ada", "cyd", "aud", "cus-a"])
    func status(user: String) async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let visitor = try await world.visitor(signedInAs: user)
            for page in Self.pages {
                let expected = page.expected[user]!
                for target in Target.allCases {
                    let reply = try await page.perform(world, visitor, target)
                    #expect(reply.status == (target == .own ? expected.0 : expected.1),
                            "\(page.name) as \(user) on \(target): \(reply.status) \(reply.text.prefix(300))")
                    #expect(reply.contentType != "application/problem+json")
                    if reply.status >= 400 { #expect(reply.contentType?.hasPrefix("text/html") == true, "\(page.name)") }
                    if user == "cus-a", target == .other, reply.status == 404 { #expect(!reply.text.contains("vendor-b")) }
                }
            }
        }
    }

    @Test("without a session every page leads to sign-in and no form changes anything")
    func anonymous() async throws {
        try await withTestApp { world in
            let (id, item) = try await Self.filed(world, .own)
            let stranger = ConsoleVisitor(world)
            for path in ["/", "/requests/new", "/requests/\(id)"] {
                let reply = try await stranger.get(path)
                #expect(reply.status == 303 && reply.headers[.location] == "/login", "\(path)")
            }
            for path in ["/requests/new", "/requests/\(id)/items/\(item)/acknowledge", "/requests/\(id)/comments", "/logout"] {
                #expect(try await stranger.post(path, ["csrf_token": "x", "body": "x"]).headers[.location] == "/login", "\(path)")
            }
            #expect(try await stranger.upload("/requests/\(id)/items/\(item)/artifacts", bytes: [1], csrf: "x").headers[.location] == "/login")
            let state = try await world.send(.get, "/v1/requests/\(id)", as: "cus-a")
            #expect((state.json["items"] as? [[String: Any]])?.first?["state"] as? String == "requested")
        }
    }
}
