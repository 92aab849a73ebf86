import Foundation
import HTTPTypes
import LogAtlasCore
import LogAtlasStore
import Synchronization
import Testing
import TestSupport

/// Guest links: a custodian without an account answers one item through `/guest/<secret>`.
@Suite("Guest links")
struct GuestLinkTests {
    /// A request with an item for dept-a and one for vendor-b, and a link (made by cus-a) for dept-a's item.
    func linked(_ world: TestWorld, days: Int = 7, passphrase: String? = nil) async throws -> (request: String, item: String, other: String, path: String, link: String) {
        let filed = try await world.file(["firewall", "auth"])
        var body: [String: Any] = ["expires_in_days": days]
        if let passphrase { body["passphrase"] = passphrase }
        let created = try await world.send(.post, "/v1/requests/\(filed.id)/items/\(filed.items["dept-a"]!)/guest-links", as: "cus-a", json: body)
        #expect(created.status == 201, "\(created.text)")
        let path = try #require(created.json["path"] as? String)
        let link = try #require((created.json["link"] as? [String: Any])?["id"] as? String)
        return (filed.id, filed.items["dept-a"]!, filed.items["vendor-b"]!, path, link)
    }

    @Test func aGuestSeesOnlyItsItemAndAnswersItUnderTheLinksName() async throws {
        try await withTestApp { world in
            let (request, item, other, path, link) = try await linked(world)
            #expect(path.hasPrefix("/guest/la_"))
            // Stored as a hash only.
            var stored = 0
            for try await count in try await world.database.client.query(
                "SELECT count(*) FROM guest_links WHERE secret_hash = decode(\(TokenSecret.hashHex(String(path.dropFirst(7)))), 'hex')").decode(Int.self) { stored = count }
            #expect(stored == 1)

            let guest = ConsoleVisitor(world)
            let page = try await guest.get(path)
            #expect(page.status == 200 && page.text.contains("Suspected lateral movement") && page.text.contains(item))
            #expect(!page.text.contains(other) && !page.text.contains("vendor-b") && !page.text.contains(#"id="comments""#))
            #expect(page.text.contains(#"data-action="acknowledge""#) && !page.text.contains("Sign out"))
            #expect(try await guest.post("\(path)/acknowledge", ["csrf_token": "la_forged"]).status == 403)
            #expect(try await guest.post("\(path)/acknowledge", ["csrf_token": guest.csrf]).status == 303)
            #expect(try await guest.post("\(path)/ask_info", ["csrf_token": guest.csrf, "note": "Which hours?"]).status == 303)
            // The CSIRT's side is not the guest's.
            #expect(try await guest.post("\(path)/answer", ["csrf_token": guest.csrf, "note": "x"]).status == 404)
            #expect(try await world.fire("answer", on: request, item: item, as: "cyd", note: "The last day").status == 200)
            #expect(try await guest.post("\(path)/approve", ["csrf_token": guest.csrf]).status == 303)
            let bytes = Array("guest evidence\n".utf8)
            let stored1 = try await guest.upload("\(path)/artifacts?name=fw.log", bytes: bytes)
            #expect(stored1.status == 201 && stored1.json["sha256"] as? String == sha256Hex(bytes))
            #expect(try await guest.post("\(path)/deliver", ["csrf_token": guest.csrf]).status == 303)

            let view = try await world.send(.get, "/v1/requests/\(request)", as: "cyd")
            let items = view.json["items"] as? [[String: Any]] ?? []
            #expect(items.first { $0["id"] as? String == item }?["state"] as? String == "delivered")
            #expect(items.first { $0["id"] as? String == other }?["state"] as? String == "requested")
            let actor = "guest-link:\(link.prefix(8))"
            #expect(view.text.contains(actor))
            let events = try await AuditTrail(database: world.database).recent(limit: 100)
            #expect(events.contains { $0.action == "guest_link.create" && $0.actor == "cus-a" })
            #expect(events.filter { $0.actor == actor }.count >= 5)
            #expect(try await world.send(.get, "/v1/requests/\(request)/artifacts", as: "cyd").text.contains(actor))
        }
    }

    @Test func aCustodianMakesALinkOnTheRequestPageAndSeesItOnce() async throws {
        try await withTestApp { world in
            try await world.setConsolePasswords()
            let filed = try await world.file(["firewall", "auth"])
            let vendor = try await world.visitor(signedInAs: "cus-b")
            let page = try await vendor.get("/requests/\(filed.id)")
            let action = "/requests/\(filed.id)/items/\(filed.items["vendor-b"]!)/guest-links"
            #expect(page.text.contains(#"action="\#(action)""#))
            #expect(!(try await (world.visitor(signedInAs: "cyd")).get("/requests/\(filed.id)")).text.contains("/guest-links"))
            #expect(try await vendor.post(action, ["csrf_token": vendor.csrf, "days": "30"]).status == 422)
            let made = try await vendor.post(action, ["csrf_token": vendor.csrf, "days": "5", "passphrase": ""])
            let address = try #require(made.text.firstMatch(of: /id="guest-link">([^<]+)</).map { String($0.1) })
            #expect(made.status == 201 && address.contains("/guest/la_"))
            let path = String(address[address.range(of: "/guest/")!.lowerBound...])
            let guest = try await ConsoleVisitor(world).get(path)
            #expect(guest.status == 200 && guest.text.contains(filed.items["vendor-b"]!) && !guest.text.contains(filed.items["dept-a"]!))
            // Another organisation's item: the form is refused like the API (404), and the CSRF token is required.
            #expect(try await vendor.post("/requests/\(filed.id)/items/\(filed.items["dept-a"]!)/guest-links", ["csrf_token": vendor.csrf, "days": "5"]).status == 404)
            #expect(try await vendor.post(action, ["days": "5"]).status == 403)
        }
    }

    @Test func revokedAndExpiredLinksAre404Pages() async throws {
        let now = Mutex(Date())
        try await withTestApp(clock: { now.withLock { $0 } }) { world in
            let (request, item, _, path, link) = try await linked(world, days: 2)
            let guest = ConsoleVisitor(world)
            #expect(try await guest.get(path).status == 200)
            now.withLock { $0 += 2 * 86_400 + 1 }
            let expired = try await guest.get(path)
            #expect(expired.status == 404 && !expired.text.contains(item))
            let listed = try await world.send(.get, "/v1/requests/\(request)/items/\(item)/guest-links", as: "cus-a")
            #expect((listed.body.isEmpty ? [] : (try JSONSerialization.jsonObject(with: listed.body) as? [[String: Any]]) ?? []).first?["usable"] as? Bool == false)

            now.withLock { $0 -= 2 * 86_400 + 1 }
            #expect(try await world.send(.delete, "/v1/requests/\(request)/items/\(item)/guest-links/\(link)", as: "cus-a").status == 204)
            #expect(try await guest.get(path).status == 404)
            #expect(try await guest.post("\(path)/acknowledge", ["csrf_token": guest.csrf]).status == 404)
            #expect(try await world.send(.delete, "/v1/requests/\(request)/items/\(item)/guest-links/\(link)", as: "cus-a").status == 404)
            #expect(try await ConsoleVisitor(world).get("/guest/la_not-a-link-at-all-000000000000000000").status == 404)
        }
    }

    @Test func linksLiveAtMostFourteenDaysAndPassphrasesAreLongEnough() async throws {
        try await withTestApp { world in
            let filed = try await world.file(["firewall"])
            let path = "/v1/requests/\(filed.id)/items/\(filed.items["dept-a"]!)/guest-links"
            for body: [String: Any] in [["expires_in_days": 15], ["expires_in_days": 0], ["expires_in_days": 3, "passphrase": "short"]] {
                let reply = try await world.send(.post, path, as: "cus-a", json: body)
                #expect([400, 422].contains(reply.status) && reply.contentType == "application/problem+json", "\(body)")
            }
        }
    }

    @Test func aPassphraseGuardsThePageAndEveryAction() async throws {
        try await withTestApp { world in
            let (_, item, _, path, _) = try await linked(world, passphrase: "blue harbour lantern")
            let guest = ConsoleVisitor(world)
            let locked = try await guest.get(path)
            #expect(locked.status == 200 && locked.text.contains(#"name="passphrase""#) && !locked.text.contains(item))
            #expect(try await guest.post("\(path)/acknowledge", ["csrf_token": guest.csrf]).status == 403)
            #expect(try await guest.post("\(path)/unlock", ["csrf_token": guest.csrf, "passphrase": "red harbour lantern"]).status == 401)
            #expect(try await guest.post("\(path)/unlock", ["csrf_token": guest.csrf, "passphrase": "blue harbour lantern"]).status == 303)
            let open = try await guest.get(path)
            #expect(open.status == 200 && open.text.contains(item))
            #expect(try await guest.post("\(path)/acknowledge", ["csrf_token": guest.csrf]).status == 303)
            #expect(try await AuditTrail(database: world.database).recent(limit: 50).contains { $0.action == "guest_link.passphrase_failed" })
        }
    }
}
