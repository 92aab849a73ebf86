import Foundation
import HTTPTypes
import LogAtlasCore
import LogAtlasStore
import Synchronization
import Testing
import TestSupport
@testable import LogAtlasServer

/// A browser as far as the console's HTTP is concerned: it keeps cookies and reads the CSRF token off pages.
final class ConsoleVisitor: @unchecked Sendable {
    let world: TestWorld
    private(set) var cookies: [String: String] = [:]
    /// The page last fetched.
    private(set) var last: TestWorld.Reply?
    /// Who last signed in with this visitor.
    private(set) var user: String?

    init(_ world: TestWorld) { self.world = world }

    @discardableResult
    func get(_ path: String, headers extra: HTTPFields = [:]) async throws -> TestWorld.Reply {
        try await send(.get, path, form: nil, headers: extra)
    }

    @discardableResult
    func post(_ path: String, _ form: [String: String]) async throws -> TestWorld.Reply {
        try await send(.post, path, form: form, headers: [:])
    }

    /// The CSRF token of the last page that carried one.
    private(set) var csrf = ""

    /// Opens the sign-in page and signs in; returns the answer to the form.
    @discardableResult
    func signIn(_ user: String, password: String) async throws -> TestWorld.Reply {
        self.user = user
        try await get("/login")
        return try await post("/login", ["username": user, "password": password, "csrf_token": csrf])
    }

    /// What the upload form does without the page's script: `multipart/form-data`, the fields before the file.
    func uploadForm(_ path: String, fields: [(String, String)], fileName: String?, bytes: [UInt8], after: [(String, String)] = [],
                    truncate: Int = 0) async throws -> TestWorld.Reply {
        let boundary = "----formboundary7MA4YWxkTrZu0gW"
        var body: [UInt8] = []
        let field = { (name: String, value: String) in Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8) }
        for (name, value) in fields { body += field(name, value) }
        body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(fileName ?? "")\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        body += bytes + Array("\r\n".utf8)
        for (name, value) in after { body += field(name, value) }
        body += Array("--\(boundary)--\r\n".utf8)
        var headers: HTTPFields = [.contentType: "multipart/form-data; boundary=\(boundary)"]
        headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
        return try await world.send(.post, path, as: nil, bytes: Array(body.dropLast(truncate)), headers: headers)
    }

    /// A form posted as `multipart/form-data` (body and content type as `SigmaAPITests.multipart` makes them).
    func postMultipart(_ path: String, _ form: (body: String, contentType: String)) async throws -> TestWorld.Reply {
        var headers: HTTPFields = [.contentType: form.contentType]
        headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
        return try await world.send(.post, path, as: nil, bytes: Array(form.body.utf8), headers: headers)
    }

    /// What the page's script does: the file as the body, the session's token in `X-CSRF-Token`.
    func upload(_ path: String, bytes: [UInt8], csrf token: String? = nil, contentType: String = "application/octet-stream") async throws -> TestWorld.Reply {
        var headers: HTTPFields = [.contentType: contentType, HTTPField.Name("X-CSRF-Token")!: token ?? csrf]
        headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")
        return try await world.send(.post, path, as: nil, bytes: bytes, headers: headers)
    }

    private func send(_ method: HTTPRequest.Method, _ path: String, form: [String: String]?, headers extra: HTTPFields) async throws -> TestWorld.Reply {
        var headers = extra
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        let body = form.map { fields in
            fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        }
        let reply = try await world.send(method, path, as: nil, body: body, contentType: "application/x-www-form-urlencoded", headers: headers)
        for field in reply.headers[values: .setCookie] {
            let pair = field.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
            let (name, value) = (pair[0], pair.count > 1 ? pair[1] : "")
            if value.isEmpty || field.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        last = reply
        if let range = reply.text.range(of: #"name="csrf_token" value="([^"]+)""#, options: .regularExpression) {
            csrf = String(reply.text[range].dropFirst(#"name="csrf_token" value=""#.count).dropLast())
        }
        return reply
    }
}

extension TestWorld {
    /// Gives every fixture user the console password `"<name>-password-1"` (cheap scrypt parameters: tests only).
    func setConsolePasswords() async throws {
        let store = ConsoleStore(database: database, hasher: PasswordHasher(logRounds: 10))
        for user in ["ada", "cyd", "aud", "cus-a", "cus-b"] {
            try await store.setPassword("\(user)-password-1", for: user, actor: "test")
        }
    }

    func visitor(signedInAs user: String) async throws -> ConsoleVisitor {
        let visitor = ConsoleVisitor(self)
        let reply = try await visitor.signIn(user, password: "\(user)-password-1")
        #expect(reply.status == 303 && reply.headers[.location] == "/", "\(reply.status) \(reply.text)")
        return visitor
    }
}

@Suite("Console")
struct ConsoleTests {
    @Test func signInSetsASessionCookieAndSignOutEndsIt() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let visitor = ConsoleVisitor(world)
            #expect(try await visitor.get("/").headers[.location] == "/login")
            let form = try await visitor.get("/login")
            #expect(form.status == 200 && form.text.contains(#"name="username""#) && form.text.contains(#"name="password""#))
            #expect(form.headers[values: .setCookie].contains { $0.hasPrefix("la_login_csrf=") && $0.contains("HttpOnly") && $0.contains("SameSite=Lax") })
            let signedIn = try await visitor.post("/login", ["username": "cus-a", "password": "cus-a-password-1", "csrf_token": visitor.csrf])
            #expect(signedIn.status == 303 && signedIn.headers[.location] == "/")
            let cookie = try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("la_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"))
            // Loopback: not Secure by default (the demo runs over plain HTTP).
            #expect(!cookie.contains("Secure"))
            let home = try await visitor.get("/")
            #expect(home.status == 200 && home.text.contains("cus-a") && home.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(home.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            // The session is stored as a hash only.
            let secret = try #require(visitor.cookies["la_session"])
            var stored = 0
            for try await count in try await world.database.client.query(
                "SELECT count(*) FROM console_sessions WHERE secret_hash = decode(\(TokenSecret.hashHex(secret)), 'hex')").decode(Int.self) { stored = count }
            #expect(stored == 1)
            #expect(try await visitor.post("/logout", ["csrf_token": visitor.csrf]).headers[.location] == "/login")
            #expect(try await visitor.get("/").headers[.location] == "/login")
        }
    }

    @Test func wrongPasswordsAreRefusedAndThrottledPerUserWithA429() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let visitor = ConsoleVisitor(world)
            for _ in 0..<10 {
                let reply = try await visitor.signIn("cyd", password: "wrong-password-9")
                #expect(reply.status == 401 && reply.text.contains("wrong"))
            }
            // The right password no longer helps while ten failures are in the window.
            let throttled = try await visitor.signIn("cyd", password: "cyd-password-1")
            #expect(throttled.status == 429 && throttled.headers[.retryAfter] == "600")
            #expect(visitor.cookies["la_session"] == nil)
            // Another user from the same address is throttled too (ten failures from it).
            #expect(try await visitor.signIn("ada", password: "ada-password-1").status == 429)
            // Each failure is an audit event; the password never is.
            let events = try await AuditTrail(database: world.database).recent(limit: 50)
            #expect(events.filter { $0.action == "console.sign_in_failed" && $0.actor == "cyd" }.count == 10)
            #expect(try await AuditTrail(database: world.database).verify() == .intact(events: try await auditCount(world)))
        }
    }

    @Test func throttlingCountsAUserNameFromAnyAddressAndEndsAfterTenMinutes() async throws {
        let now = Mutex(Date())
        try await withTestApp(clock: { now.withLock { $0 } }) { world in
            try await world.setConsolePasswords()
            let store = ConsoleStore(database: world.database)
            for index in 0..<10 {
                let result = try await store.signIn(userName: "aud", password: "nope-nope-nope", address: "192.0.2.\(index)", now: now.withLock { $0 })
                guard case .wrongCredentials = result else { Issue.record("attempt \(index): \(result)"); return }
            }
            guard case .throttled = try await store.signIn(userName: "aud", password: "aud-password-1", address: "198.51.100.1", now: now.withLock { $0 })
            else { Issue.record("an eleventh attempt from a new address was not throttled"); return }
            now.withLock { $0 += 601 }
            guard case .signedIn = try await store.signIn(userName: "aud", password: "aud-password-1", address: "198.51.100.1", now: now.withLock { $0 })
            else { Issue.record("still throttled after ten minutes"); return }
        }
    }

    @Test func sessionsEndAfterEightIdleHoursOrSevenDays() async throws {
        let now = Mutex(Date())
        try await withTestApp(clock: { now.withLock { $0 } }) { world in
            try await world.setConsolePasswords()
            let visitor = try await world.visitor(signedInAs: "cyd")
            now.withLock { $0 += 7.9 * 3_600 }
            #expect(try await visitor.get("/").status == 200)
            now.withLock { $0 += 8.1 * 3_600 }
            #expect(try await visitor.get("/").headers[.location] == "/login", "idle for 8.1 hours")

            let busy = try await world.visitor(signedInAs: "cyd")
            for _ in 0..<23 {   // used every 7 hours: never idle, but 7 days is the limit
                now.withLock { $0 += 7 * 3_600 }
                #expect(try await busy.get("/").status == 200)
            }
            now.withLock { $0 += 7 * 3_600 }   // 168 hours after sign-in
            #expect(try await busy.get("/").headers[.location] == "/login", "7 days after sign-in")

            // A use within a minute of the recorded one is not written (no database write per page view): the idle
            // clock runs from the recorded use, to the minute.
            let brief = try await world.visitor(signedInAs: "aud")
            now.withLock { $0 += 50 }
            #expect(try await brief.get("/").status == 200)
            now.withLock { $0 += 8 * 3_600 - 40 }
            #expect(try await brief.get("/").headers[.location] == "/login", "8 hours after the recorded use")
        }
    }

    @Test func signOutEverywhereEndsEverySessionOfTheUser() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let laptop = try await world.visitor(signedInAs: "ada"), phone = try await world.visitor(signedInAs: "ada")
            let other = try await world.visitor(signedInAs: "cyd")
            try await laptop.get("/")
            #expect(try await laptop.post("/logout", ["csrf_token": laptop.csrf, "everywhere": "1"]).status == 303)
            #expect(try await phone.get("/").headers[.location] == "/login")
            #expect(try await other.get("/").status == 200)
        }
    }

    @Test func formsWithoutTheSessionsCSRFTokenAre403AndChangeNothing() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let filed = try await world.file()
            let item = filed.items["dept-a"]!
            // The sign-in form: no cookie, or a token that is not the cookie's.
            let stranger = ConsoleVisitor(world)
            #expect(try await stranger.post("/login", ["username": "cus-a", "password": "cus-a-password-1", "csrf_token": "la_forged-forged-forged-forged"]).status == 403)
            try await stranger.get("/login")
            #expect(try await stranger.post("/login", ["username": "cus-a", "password": "cus-a-password-1"]).status == 403)
            #expect(stranger.cookies["la_session"] == nil)

            let custodian = try await world.visitor(signedInAs: "cus-a")
            for token in ["", "la_another-token-entirely-000000000000000000", world.tokens["cus-a"]!] {
                let reply = try await custodian.post("/requests/\(filed.id)/items/\(item)/acknowledge", ["csrf_token": token])
                #expect(reply.status == 403 && reply.text.contains("form"), "token \(token.prefix(6))")
            }
            #expect(try await custodian.post("/requests/\(filed.id)/comments", ["body": "hello"]).status == 403)
            // A form over the console's 64 KiB: a 413 page, not an error.
            let huge = try await custodian.post("/requests/\(filed.id)/comments", ["csrf_token": custodian.csrf, "body": String(repeating: "x", count: 70_000)])
            #expect(huge.status == 413 && huge.contentType?.hasPrefix("text/html") == true)
            #expect(try await custodian.post("/logout", [:]).status == 403)
            let state = try await world.send(.get, "/v1/requests/\(filed.id)", as: "cus-a")
            #expect((state.json["items"] as? [[String: Any]])?.first?["state"] as? String == "requested")
            #expect(try await world.send(.get, "/v1/requests/\(filed.id)/comments", as: "cyd").text.contains("hello") == false)
        }
    }

    @Test func bearerTokensNeverSignIntoTheConsoleAndSessionsNeverCallTheAPI() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let page = try await world.send(.get, "/", as: "ada")
            #expect(page.status == 303 && page.headers[.location] == "/login")
            let visitor = try await world.visitor(signedInAs: "ada")
            let api = try await world.send(.get, "/v1/me", as: nil, headers: [.cookie: "la_session=\(visitor.cookies["la_session"]!)"])
            #expect(api.status == 401)
            // An API token is not a console password either.
            #expect(try await ConsoleVisitor(world).signIn("ada", password: world.tokens["ada"]!).status == 401)
        }
    }

    @Test func eachRoleSeesItsHomeAndNothingOfOtherOrganisations() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let onlyA = try await world.file(["firewall"])        // an item for dept-a only
            let both = try await world.file(["firewall", "auth"]) // dept-a and vendor-b

            let a = try await world.visitor(signedInAs: "cus-a")
            let inboxA = try await a.get("/")
            #expect(inboxA.text.contains(#"id="inbox""#) && inboxA.text.contains(onlyA.id) && inboxA.text.contains(both.id))
            #expect(!inboxA.text.contains("vendor-b") && !inboxA.text.contains(#"id="audit""#) && !inboxA.text.contains(#"id="users""#))

            let b = try await world.visitor(signedInAs: "cus-b")
            let inboxB = try await b.get("/")
            #expect(inboxB.text.contains(both.id) && !inboxB.text.contains(onlyA.id) && !inboxB.text.contains("dept-a"))
            // Another organisation's request is a 404 page, exactly like a request that does not exist.
            let hidden = try await b.get("/requests/\(onlyA.id)")
            let missing = try await b.get("/requests/\(UUID().uuidString.lowercased())")
            #expect(hidden.status == 404 && missing.status == 404)
            #expect(hidden.text.replacingOccurrences(of: onlyA.id, with: "ID") == missing.text.replacingOccurrences(of: missing.text.matchOfUUID, with: "ID"))
            #expect(try await b.get("/requests/not-a-uuid").status == 404)
            // On a shared request, vendor-b sees its own item only, with the shared fields.
            let shared = try await b.get("/requests/\(both.id)")
            #expect(shared.status == 200 && shared.text.contains("Suspected lateral movement") && shared.text.contains(both.items["vendor-b"]!))
            #expect(!shared.text.contains(both.items["dept-a"]!) && !shared.text.contains("dept-a"))
            // Nor can it act on the other organisation's item.
            let acted = try await b.post("/requests/\(both.id)/items/\(both.items["dept-a"]!)/acknowledge", ["csrf_token": b.csrf])
            #expect(acted.status == 404)

            let csirt = try await (world.visitor(signedInAs: "cyd")).get("/")
            #expect(csirt.text.contains(#"id="requests""#) && csirt.text.contains(both.id) && csirt.text.contains("dept-a") && csirt.text.contains("vendor-b"))
            #expect(!csirt.text.contains(#"id="inbox""#) && !csirt.text.contains(#"id="audit""#))

            let auditor = try await (world.visitor(signedInAs: "aud")).get("/")
            #expect(auditor.text.contains(#"id="audit""#) && auditor.text.contains("request-item.create") && !auditor.text.contains(#"id="users""#))
            let admin = try await (world.visitor(signedInAs: "ada")).get("/")
            #expect(admin.text.contains(#"id="audit""#) && admin.text.contains(#"id="users""#) && admin.text.contains("cus-b") && admin.text.contains(#"id="orgs""#))
        }
    }

    @Test func aCustodianAnswersARequestFromItsPageWithTheSameRulesAsTheAPI() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let filed = try await world.file(["firewall"])
            let item = filed.items["dept-a"]!
            let custodian = try await world.visitor(signedInAs: "cus-a")
            let page = try await custodian.get("/requests/\(filed.id)")
            #expect(page.text.contains("/items/\(item)/acknowledge") && !page.text.contains("/items/\(item)/receive"))
            #expect(try await custodian.post("/requests/\(filed.id)/items/\(item)/acknowledge", ["csrf_token": custodian.csrf]).status == 303)
            // Rejecting needs a reason, as over the API: the page says why, and nothing changes.
            try await custodian.get("/requests/\(filed.id)")
            let refused = try await custodian.post("/requests/\(filed.id)/items/\(item)/reject", ["csrf_token": custodian.csrf, "note": "  "])
            #expect(refused.status == 422 && refused.text.contains("needs a text"))
            #expect(try await custodian.post("/requests/\(filed.id)/items/\(item)/ask_info",
                                             ["csrf_token": custodian.csrf, "note": "Which hosts & when? <b>"]).status == 303)
            let csirt = try await world.visitor(signedInAs: "cyd")
            let asked = try await csirt.get("/requests/\(filed.id)")
            // Text is escaped, never markup.
            #expect(asked.text.contains("Which hosts &amp; when? &lt;b&gt;") && !asked.text.contains("<b>"))
            #expect(try await csirt.post("/requests/\(filed.id)/items/\(item)/answer", ["csrf_token": csirt.csrf, "note": "lt-0231 only"]).status == 303)
            let commented = try await csirt.post("/requests/\(filed.id)/comments", ["csrf_token": csirt.csrf, "body": "Thanks for the quick look"])
            #expect(commented.status == 303, "\(commented.text)")
            let state = try await world.send(.get, "/v1/requests/\(filed.id)", as: "cus-a")
            #expect((state.json["items"] as? [[String: Any]])?.first?["state"] as? String == "acknowledged")
            let history = try await world.send(.get, "/v1/requests/\(filed.id)", as: "cyd").text
            #expect(history.contains("cus-a") && history.contains("lt-0231 only"), "\(history)")
            #expect(try await custodian.get("/requests/\(filed.id)").text.contains("Thanks for the quick look"))
            // A stale form (the item moved on) is a conflict page, not a crash.
            try await custodian.get("/requests/\(filed.id)")
            #expect(try await custodian.post("/requests/\(filed.id)/items/\(item)/acknowledge", ["csrf_token": custodian.csrf]).status == 422)
        }
    }

    @Test func theUploadFormWorksWithoutTheScriptAndStoresNothingWhenRefused() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let filed = try await world.file(["firewall"])
            let item = filed.items["dept-a"]!
            try await world.approve(filed.id, item: item, as: "cus-a")
            let custodian = try await world.visitor(signedInAs: "cus-a")
            let page = try await custodian.get("/requests/\(filed.id)")
            let uploadPath = "/requests/\(filed.id)/items/\(item)/artifacts"
            // The form posts to the same route, with the token as a field before the file.
            #expect(page.text.contains(#"action="\#(uploadPath)" enctype="multipart/form-data""#))
            let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
            let artifacts = {
                let reply = try await world.send(.get, "/v1/requests/\(filed.id)/artifacts", as: "cus-a")
                return try #require(try JSONSerialization.jsonObject(with: Data(reply.body)) as? [Any])
            }
            // A wrong or missing token; no file chosen (the browser sends an empty part); a body cut inside the file.
            for (fields, name, truncate, status) in [([("csrf_token", "la_wrong-wrong-wrong-wrong")], "fw.log", 0, 403), ([], "fw.log", 0, 403),
                                                     ([("csrf_token", custodian.csrf)], nil, 0, 422), ([("csrf_token", custodian.csrf)], "fw.log", 120, 400)] {
                let reply = try await custodian.uploadForm(uploadPath, fields: fields, fileName: name, bytes: name == nil ? [] : bytes, truncate: truncate)
                #expect(reply.status == status && reply.contentType?.hasPrefix("text/html") == true, "\(fields.map(\.0)) \(name ?? "-") \(truncate): \(reply.status)")
            }
            #expect(try await artifacts().isEmpty)
            // A good post (a field after the file is not read) stores the file and shows the request page with its digest.
            let stored = try await custodian.uploadForm(uploadPath, fields: [("note", "x"), ("csrf_token", custodian.csrf)], fileName: "fw 2026.log",
                                                        bytes: bytes, after: [("extra", "ignored")])
            #expect(stored.status == 303 && stored.headers[.location] == "/requests/\(filed.id)#artifacts")
            let shown = try await custodian.get("/requests/\(filed.id)").text
            #expect(shown.contains(sha256Hex(bytes)) && shown.contains("fw 2026.log"))
            #expect(try await artifacts().count == 1)
        }
    }

    @Test func sigmaRulesChosenOnTheReadinessPageAreJudgedForTheReader() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let custodian = try await world.visitor(signedInAs: "cus-a")
            let readiness = try await custodian.get("/readiness")
            #expect(readiness.text.contains(#"action="/readiness/sigma" enctype="multipart/form-data""#))
            let good = SigmaAPITests.multipart(SigmaAPITests.rules, fields: [("csrf_token", custodian.csrf)])
            let page = try await custodian.postMultipart("/readiness/sigma", good)
            #expect(page.status == 200 && page.contentType?.hasPrefix("text/html") == true, "\(page.status)")
            // dept-a's firewall keeps 90 searchable days; vendor-b's sshd log is not the custodian's to see.
            #expect(page.text.contains(#"<tr class="runnable"><th scope="row">Port scan"#) && page.text.contains("runs now: 90 days back"), "\(page.text)")
            #expect(page.text.contains(#"<tr class="cannot-run"><th scope="row">SSH brute force"#) && !page.text.contains("vendor"))
            #expect(page.text.contains("broken.yml:4:8"))
            let wrongToken = SigmaAPITests.multipart(SigmaAPITests.rules, fields: [("csrf_token", "la_wrong-wrong-wrong-wrong")])
            #expect(try await custodian.postMultipart("/readiness/sigma", wrongToken).status == 403)
            let noFiles = SigmaAPITests.multipart([], fields: [("csrf_token", custodian.csrf)])
            #expect(try await custodian.postMultipart("/readiness/sigma", noFiles).status == 422)
            #expect(try await custodian.postMultipart("/readiness/sigma", (body: "--x\r\nbroken", contentType: "multipart/form-data; boundary=x")).status == 400)
        }
    }

    @Test func evidenceUploadedFromTheBrowserIsDeliveredAndDownloadedWithItsDigest() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let filed = try await world.file(["firewall"])
            let item = filed.items["dept-a"]!
            let custodian = try await world.visitor(signedInAs: "cus-a")
            let before = try await custodian.get("/requests/\(filed.id)")
            #expect(!before.text.contains("data-upload"), "no upload before approval")
            try await world.approve(filed.id, item: item, as: "cus-a")
            let page = try await custodian.get("/requests/\(filed.id)")
            let uploadPath = "/requests/\(filed.id)/items/\(item)/artifacts"
            #expect(page.text.contains(#"data-upload="\#(uploadPath)""#))
            let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            // Without the token, or as a plain form post (no script), nothing is stored.
            #expect(try await custodian.upload(uploadPath + "?name=fw.log", bytes: bytes, csrf: "la_wrong-wrong-wrong-wrong").status == 403)
            #expect(try await custodian.upload(uploadPath, bytes: bytes, contentType: "text/plain").status == 415)
            let stored = try await custodian.upload(uploadPath + "?name=fw%20log.gz", bytes: bytes)
            #expect(stored.status == 201 && stored.json["sha256"] as? String == sha256Hex(bytes) && stored.json["name"] as? String == "fw log.gz")
            #expect(try await custodian.post("/requests/\(filed.id)/items/\(item)/deliver", ["csrf_token": custodian.csrf]).status == 303)

            let csirt = try await world.visitor(signedInAs: "cyd")
            let delivered = try await csirt.get("/requests/\(filed.id)")
            let artifactID = try #require(delivered.text.firstMatch(of: /\/artifacts\/([0-9a-f-]{36})/).map { String($0.1) })
            #expect(delivered.text.contains(sha256Hex(bytes)) && delivered.text.contains("fw log.gz"))
            let download = try await csirt.get("/requests/\(filed.id)/artifacts/\(artifactID)")
            #expect(download.status == 200 && sha256Hex(Array(download.body)) == sha256Hex(bytes))
            #expect(download.headers[.contentDisposition] == "attachment; filename=\"fw log.gz\"")
            // The custodian, another organisation and the auditor do not download evidence.
            #expect(!page.text.contains("/artifacts/\(artifactID)"))
            // (The same statuses as the API's download.)
            for (user, visitor) in [("cus-a", custodian), ("cus-b", try await world.visitor(signedInAs: "cus-b")), ("aud", try await world.visitor(signedInAs: "aud"))] {
                let api = try await world.send(.get, "/v1/requests/\(filed.id)/artifacts/\(artifactID)/content", as: user).status
                let console = try await visitor.get("/requests/\(filed.id)/artifacts/\(artifactID)")
                #expect(console.status == api && [403, 404].contains(api) && !console.text.contains(sha256Hex(bytes)), "\(user): console \(console.status), api \(api)")
            }
            // The download is in the chain of custody, as over the API.
            let custody = try await world.send(.get, "/v1/requests/\(filed.id)/custody", as: "cyd").text
            #expect(custody.contains("artifact.download") && custody.contains("cyd"))
            // The CSIRT receives it with an outcome; the custodian sees the outcome.
            try await csirt.get("/requests/\(filed.id)")
            #expect(try await csirt.post("/requests/\(filed.id)/items/\(item)/receive", ["csrf_token": csirt.csrf, "note": "Confirmed: lateral movement"]).status == 303)
            #expect(try await custodian.get("/requests/\(filed.id)").text.contains("Confirmed: lateral movement"))
        }
    }

    @Test func theCSIRTComposesPreviewsAndFilesARequestOnTheDesk() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let ids = try await world.sourceIDs()
            let csirt = try await world.visitor(signedInAs: "cyd")
            #expect(try await csirt.get("/").text.contains(#"href="/requests/new""#))
            let search = try await csirt.get("/requests/new?log_type=network.firewall")
            #expect(search.status == 200 && search.text.contains(ids["firewall"]!) && !search.text.contains(ids["auth"]!))
            let now = Date()
            var form = ["csrf_token": csirt.csrf, "sources[]": ids["firewall"]!, "incident_reference": "INC-DESK-1", "purpose": "Beaconing to 203.0.113.7",
                        "priority": "critical", "from": ConsoleViews.localField(now.addingTimeInterval(-2 * 86_400)),
                        "to": ConsoleViews.localField(now.addingTimeInterval(-3_600)), "hosts": "ws-1, ws-2", "intent": "preview"]
            let preview = try await csirt.post("/requests/new", form)
            #expect(preview.status == 200 && preview.text.contains(#"id="preview""#) && preview.text.contains("class=\"segment searchable\""))
            #expect(preview.text.contains("<td>dept-a</td>") && preview.text.contains(#"value="INC-DESK-1""#) && preview.text.contains("ws-1, ws-2"))
            // Nothing is filed by a preview.
            #expect((try await world.send(.get, "/v1/requests", as: "cyd").json["items"] as? [Any])?.isEmpty == true)
            // A window that ends before it starts: the page names the field and keeps what was typed.
            var backwards = form
            (backwards["from"], backwards["to"]) = (form["to"]!, form["from"]!)
            let refused = try await csirt.post("/requests/new", backwards)
            #expect(refused.status == 422 && refused.text.contains("window") && refused.text.contains("Beaconing to 203.0.113.7"))
            form["intent"] = "file"
            let filed = try await csirt.post("/requests/new", form)
            let location = try #require(filed.headers[.location])
            #expect(filed.status == 303 && location.hasPrefix("/requests/"))
            let page = try await csirt.get(location)
            #expect(page.text.contains("INC-DESK-1") && page.text.contains("ws-1, ws-2"))
            let listed = try await world.send(.get, "/v1/requests", as: "cus-a")
            #expect(listed.text.contains("INC-DESK-1") && listed.text.contains("critical"))
            // Custodians and auditors do not file requests; the desk says so.
            let custodian = try await world.visitor(signedInAs: "cus-a")
            #expect(try await custodian.get("/requests/new").status == 403)
            #expect(try await custodian.post("/requests/new", form.merging(["csrf_token": custodian.csrf]) { $1 }).status == 403)
            #expect(try await (world.visitor(signedInAs: "aud")).get("/requests/new").status == 403)
        }
    }

    @Test func theReadinessHeatMapShowsWhatTheCallerMaySeeWithEachCellsFindings() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let csirt = try await world.visitor(signedInAs: "cyd")
            let all = try await csirt.get("/readiness")
            #expect(all.status == 200 && all.text.contains(#"<svg id="heatmap""#))
            #expect(all.text.contains(">corp-net<") && all.text.contains(">vendor-dc<"))
            // Every cell is labelled with its state and counts, and links to its findings.
            let cells = all.text.matches(of: /class="cell (ready|partly|not_ready)"/).count
            #expect(cells > 0 && cells == all.text.matches(of: /<text x="\d+" y="\d+">(ready|partly|not ready) \d+\/\d+\/\d+</).count)
            let api = try await world.send(.get, "/v1/readiness", as: "cyd")
            #expect((api.json["cells"] as? [Any])?.count == cells)
            let href = try #require(all.text.firstMatch(of: /href="(\?system=vendor-dc&amp;incident=\d+)"/).map { String($0.1) })
            let cell = try await csirt.get("/readiness" + href.replacingOccurrences(of: "&amp;", with: "&"))
            #expect(cell.status == 200 && cell.text.contains(#"id="cell""#) && cell.text.contains(#"id="remediation""#))
            // One policy at a time.
            let one = try await csirt.get("/readiness?policy=ir-baseline")
            #expect(one.text.contains(#"<option value="ir-baseline" selected>"#))
            // A custodian's map has its organisation's systems only.
            let custodian = try await (world.visitor(signedInAs: "cus-a")).get("/readiness")
            #expect(custodian.text.contains(">corp-net<") && !custodian.text.contains("vendor-dc"))
            // What an incident showed missing heads the list, with its evidence.
            #expect(try await world.send(.post, "/v1/observed-gaps", as: "cyd", json: [
                "incident_reference": "INC-2026-0150", "system_id": "corp-net", "log_type": "network.dns", "kind": "missing"]).status == 201)
            let observed = try await csirt.get("/readiness")
            let firstItem = try #require(observed.text.firstMatch(of: /<ol id="remediation"><li>(.*?)<\/li>/).map { String($0.1) })
            #expect(firstItem.contains("start collecting network.dns for corp-net")
                    && firstItem.contains(#"<strong class="observed">observed in INC-2026-0150</strong>"#), "\(firstItem)")
        }
    }

    @Test func theFrictionPageMeasuresEachOrganisationAndSource() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let filed = try await world.file(["firewall", "auth"])
            let item = filed.items["dept-a"]!
            try await world.approve(filed.id, item: item, as: "cus-a")
            _ = try await world.send(.post, "/v1/requests/\(filed.id)/items/\(item)/artifacts", as: "cus-a", bytes: Array("x".utf8))
            #expect(try await world.fire("deliver", on: filed.id, item: item, as: "cus-a").status == 200)
            let csirt = try await (world.visitor(signedInAs: "cyd")).get("/friction")
            #expect(csirt.status == 200 && csirt.text.contains("<td>dept-a</td><td>1</td><td>1</td>") && csirt.text.contains("<td>vendor-b</td><td>1</td><td>1</td>"))
            #expect(csirt.text.contains(#"id="friction-chart""#) && csirt.text.contains("firewall (dept-a): measured median / p90"))
            let custodian = try await (world.visitor(signedInAs: "cus-b")).get("/friction")
            #expect(custodian.text.contains("<td>vendor-b</td>") && !custodian.text.contains("dept-a"))
        }
    }

    @Test func theInventoryPagesShowTiersAgainstRequirementsAndGuardEditsWithTheVersion() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let ids = try await world.sourceIDs()
            let custodian = try await world.visitor(signedInAs: "cus-a")
            let list = try await custodian.get("/inventory")
            #expect(list.status == 200 && list.text.contains(ids["firewall"]!) && !list.text.contains(ids["auth"]!))
            #expect(try await custodian.get("/inventory?log_type=network.proxy").text.contains(ids["firewall"]!) == false)
            #expect(try await custodian.get("/sources/\(ids["auth"]!)").status == 404)
            let page = try await custodian.get("/sources/\(ids["firewall"]!)")
            #expect(page.status == 200 && page.text.contains(#"<svg id="tiers""#) && page.text.contains(#"class="tier"#))
            #expect(page.text.contains(#"id="edit-source""#))
            #expect(page.text.contains(#"id="requirement-lines""#))
            #expect(!(try await (world.visitor(signedInAs: "cyd")).get("/sources/\(ids["firewall"]!)")).text.contains(#"id="edit-source""#))

            let version = try #require(page.text.firstMatch(of: /name="version" value="(\d+)"/).map { String($0.1) })
            let form = ["csrf_token": custodian.csrf, "version": version, "product": "FortiGate 100F", "format": "syslog", "notes": "Rotated weekly",
                        "lead_time_hours": "6", "base_product": "", "base_format": "", "base_notes": "", "base_lead_time_hours": ""]
            #expect(try await custodian.post("/sources/\(ids["firewall"]!)", form.merging(["csrf_token": "la_forged"]) { $1 }).status == 403)
            #expect(try await custodian.post("/sources/\(ids["firewall"]!)", form).status == 303)
            let saved = try await world.send(.get, "/v1/sources/\(ids["firewall"]!)", as: "cus-a")
            #expect(saved.json["notes"] as? String == "Rotated weekly" && saved.json["product"] as? String == "FortiGate 100F")
            #expect((saved.json["access_procedure"] as? [String: Any])?["lead_time_hours"] as? Double == 6)

            // A stale edit: someone else saves first; the form shows their values and what changed, and saves nothing.
            let opened = try await custodian.get("/sources/\(ids["firewall"]!)")
            let stale = try #require(opened.text.firstMatch(of: /name="version" value="(\d+)"/).map { String($0.1) })
            let patched = try await world.send(.patch, "/v1/sources/\(ids["firewall"]!)", as: "ada", json: ["notes": "Moved to the new SIEM"],
                                              headers: [.ifMatch: saved.headers[.eTag]!])
            #expect(patched.status == 200)
            let conflict = try await custodian.post("/sources/\(ids["firewall"]!)", [
                "csrf_token": custodian.csrf, "version": stale, "product": "FortiGate 100F", "format": "syslog", "notes": "Mine",
                "lead_time_hours": "6", "base_product": "FortiGate 100F", "base_format": "syslog", "base_notes": "Rotated weekly", "base_lead_time_hours": "6"])
            #expect(conflict.status == 412 && conflict.text.contains(#"id="stale-edit""#) && conflict.text.contains("Notes: Moved to the new SIEM"))
            #expect(try await world.send(.get, "/v1/sources/\(ids["firewall"]!)", as: "cus-a").json["notes"] as? String == "Moved to the new SIEM")

            // Tiers, fields and clock: a row per tier and an empty one to add; a row without days is no tier.
            let current = try await custodian.get("/sources/\(ids["firewall"]!)")
            #expect(current.text.contains(#"name="tiers[t0][days]""#) && current.text.contains(#"id="edit-tiers""#))
            let latest = try #require(current.text.firstMatch(of: /name="version" value="(\d+)"/).map { String($0.1) })
            var edit = ["csrf_token": custodian.csrf, "version": latest, "product": "FortiGate 100F", "format": "syslog", "notes": "Moved to the new SIEM",
                        "lead_time_hours": "6", "tiers[t0][medium]": "siem", "tiers[t0][days]": "30", "tiers[t0][searchable]": "1", "tiers[t0][hours]": "",
                        "tiers[t1][medium]": "tape", "tiers[t1][days]": "400", "tiers[t1][hours]": "72", "tiers[t2][medium]": "nas", "tiers[t2][days]": "",
                        "fields": "time, src_ip , action,", "timezone": "Asia/Tokyo", "ntp": "1"]
            // A row that is not a tier: a 422 page, and nothing is saved.
            let bad = try await custodian.post("/sources/\(ids["firewall"]!)", edit.merging(["tiers[t1][days]": "many"]) { $1 })
            #expect(bad.status == 422 && bad.text.contains("tiers[t1]"))
            #expect(try await custodian.post("/sources/\(ids["firewall"]!)", edit).status == 303)
            let stored = try await world.send(.get, "/v1/sources/\(ids["firewall"]!)", as: "cus-a").json
            let tiers = stored["retention_tiers"] as? [[String: Any]] ?? []
            #expect(tiers.map { $0["medium"] as? String } == ["siem", "tape"] && tiers.map { $0["days"] as? Int } == [30, 400])
            #expect(tiers.map { $0["searchable"] as? Bool } == [true, false] && tiers[1]["retrieval_hours"] as? Double == 72)
            #expect(stored["fields"] as? [String] == ["time", "src_ip", "action"])
            #expect((stored["clock"] as? [String: Any])?["timezone"] as? String == "Asia/Tokyo" && (stored["clock"] as? [String: Any])?["ntp_synced"] as? Bool == true)
            // Someone else changes the tiers meanwhile: the stale form names them with their new value.
            edit["version"] = latest
            edit["base_tiers"] = "siem 30 d searchable; tape 400 d 72 h"
            _ = try await world.send(.patch, "/v1/sources/\(ids["firewall"]!)", as: "ada", json: ["retention_tiers": [["medium": "siem", "days": 60]]])
            let staleTiers = try await custodian.post("/sources/\(ids["firewall"]!)", edit)
            #expect(staleTiers.status == 412 && staleTiers.text.contains("Retention tiers: siem 60 d"), "\(staleTiers.text)")
        }
    }

    @Test func theLanguageFollowsAcceptLanguageAndTheUsersChoice() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let visitor = ConsoleVisitor(world)
            #expect(try await visitor.get("/login", headers: [.acceptLanguage: "ja-JP,ja;q=0.9,en;q=0.8"]).text.contains("LogAtlas にログイン"))
            #expect(try await visitor.get("/login", headers: [.acceptLanguage: "fr, en;q=0.5"]).text.contains("Sign in to LogAtlas"))
            let signedIn = try await world.visitor(signedInAs: "cus-a")
            try await signedIn.get("/")
            #expect(try await signedIn.post("/console/language", ["csrf_token": signedIn.csrf, "language": "ja", "back": "/"]).status == 303)
            #expect(try await signedIn.get("/").text.contains("対応待ちの依頼"))
            // Remembered for the user: a new session in a browser that asks for English still gets Japanese.
            let elsewhere = try await world.visitor(signedInAs: "cus-a")
            #expect(try await elsewhere.get("/", headers: [.acceptLanguage: "en"]).text.contains(#"<html lang="ja">"#))
            // The return path is a local path only.
            #expect(try await signedIn.post("/console/language", ["csrf_token": signedIn.csrf, "language": "en", "back": "//evil.example/"]).headers[.location] == "/")
        }
    }

    @Test func consolePasswordsAreStoredAsScryptAndAuditedNeverInClear() async throws {
        try await withTestApp { world in
            try await ConsoleStore(database: world.database).setPassword("correct horse battery", for: "cyd", actor: "test")
            var stored = ""
            for try await hash in try await world.database.client.query("SELECT password_hash FROM user_passwords").decode(String.self) { stored = hash }
            #expect(stored.hasPrefix("scrypt$15$8$1$") && !stored.contains("correct"))
            #expect(PasswordHasher.verify("correct horse battery", against: stored) && !PasswordHasher.verify("correct horse batterY", against: stored))
            await #expect(throws: IdentityError.self) { try await ConsoleStore(database: world.database).setPassword("short", for: "cyd", actor: "test") }
            await #expect(throws: IdentityError.self) { try await ConsoleStore(database: world.database).setPassword("long enough password", for: "nobody", actor: "test") }
            #expect(try await AuditTrail(database: world.database).recent(limit: 5).contains { $0.action == "user.password" && $0.actor == "test" })
        }
    }
}

private extension String {
    /// The first UUID in the text.
    var matchOfUUID: String {
        range(of: "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", options: .regularExpression).map { String(self[$0]) } ?? ""
    }
}

private func auditCount(_ world: TestWorld) async throws -> Int {
    var count = 0
    for try await value in try await world.database.client.query("SELECT count(*) FROM audit_events").decode(Int.self) { count = value }
    return count
}
