import Foundation
import HTTPTypes
import Hummingbird
import LogAtlasCore
import LogAtlasStore
import NIOCore

/// Guest links: making them on the request page, and the pages behind them.
extension Console {
    struct GuestLinkForm: Decodable {
        let csrf_token: String?
        let days: String?
        let passphrase: String?
    }

    /// Makes a guest link for an item and shows its address once, on the request page.
    func makeGuestLink(_ request: Request, id: String, item: String) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let form = try await self.form(GuestLinkForm.self, of: request)
        guard validCSRF(form.csrf_token, session) else { return try csrfRefused(request, session: session) }
        guard let requestUUID = UUID(uuidString: id), let itemUUID = UUID(uuidString: item) else { return try notFound(request, session: session) }
        do {
            let (_, secret) = try await guestLinks.create(item: RequestItemID(itemUUID), of: LogAtlasCore.RequestID(requestUUID),
                                                          days: form.days.flatMap { Int($0) } ?? 0,
                                                          passphrase: form.passphrase.flatMap { $0.isEmpty ? nil : $0 }, as: session.principal)
            let origin = request.head.authority.map { "\(cookieSecure ? "https" : "http")://\($0)" } ?? ""
            return try await requestPage(request, id: id, error: nil, status: .created, newGuestLink: "\(origin)/guest/\(secret)")
        } catch let error as RequestError {
            guard let status = Self.pageStatus(of: error) else { throw error }
            return try await requestPage(request, id: id, error: ConsoleViews.refusal(error, t: strings(request, session: session)), status: status)
        }
    }

    /// The usable link behind a secret, or nil (unknown, expired and revoked links are all the same 404 page).
    func guestLink(_ secret: String) async throws -> (link: GuestLink, passphraseHash: String?)? {
        guard let found = try await guestLinks.store.link(forSecret: secret), found.link.isUsable(now: clock()) else { return nil }
        return found
    }

    /// A guest's forms carry a token derived from the link's secret; a page elsewhere cannot know it.
    static func guestToken(_ secret: String) -> String { TokenSecret.hashHex("guest-csrf|" + secret) }

    /// The cookie value that says the link's passphrase was given in this browser.
    static func unlockToken(_ secret: String, _ passphraseHash: String) -> String {
        TokenSecret.hashHex("guest-unlock|" + secret + "|" + passphraseHash)
    }

    func isUnlocked(_ request: Request, secret: String, passphraseHash: String?) -> Bool {
        guard let passphraseHash else { return true }
        return request.cookies["la_guest"].map { constantTimeEqual($0.value, Self.unlockToken(secret, passphraseHash)) } ?? false
    }

    func guestPage(_ request: Request, secret: String, error: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let found = try await guestLink(secret) else { return try notFound(request, session: nil) }
        let (link, passphraseHash) = found
        let t = strings(request, session: nil), csrf = Self.guestToken(secret)
        guard isUnlocked(request, secret: secret, passphraseHash: passphraseHash) else {
            let layout = layout(request, session: nil, title: t["guest_passphrase_title"]!, csrf: csrf)
            var response = try render("guest-unlock", GuestUnlockView(layout: layout, action: "/guest/\(secret)/unlock", error: error),
                                      status: error == nil ? .ok : status)
            response.setCookie(cookie(Self.loginCookie, csrf, maxAge: 3_600))   // for the language switch, as below
            return response
        }
        let guest = link.principal, now = clock()
        var retrieval = try await requests.request(link.requestID, as: guest)
        retrieval.items = retrieval.items.filter { $0.id == link.itemID }
        guard !retrieval.items.isEmpty else { return try notFound(request, session: nil) }
        let input = RequestPageInput(request: retrieval, history: try await requests.history(of: link.requestID, as: guest).filter { $0.itemID == link.itemID },
                                     comments: [], artifacts: try await requests.artifacts(of: link.requestID, as: guest).filter { $0.itemID == link.itemID },
                                     custodyIntact: nil, guest: link, guestPath: "/guest/\(secret)")
        var layout = layout(request, session: nil, title: retrieval.draft.incidentReference, csrf: csrf)
        layout.guest = true
        var response = try render("request", ConsoleViews.requestPage(input, for: guest, now: now, layout: layout, error: error), status: status)
        // The language switch posts with the same token (double submit, as on the sign-in page).
        response.setCookie(cookie(Self.loginCookie, csrf, maxAge: 3_600))
        return response
    }

    struct UnlockForm: Decodable {
        let csrf_token: String?
        let passphrase: String?
    }

    func unlockGuest(_ request: Request, _ context: LogAtlasRequestContext, secret: String) async throws -> Response {
        guard let found = try await guestLink(secret) else { return try notFound(request, session: nil) }
        let (link, passphraseHash) = found
        let form = try await self.form(UnlockForm.self, of: request)
        guard let token = form.csrf_token, constantTimeEqual(token, Self.guestToken(secret)) else { return try csrfRefused(request, session: nil) }
        guard let passphraseHash else { return redirect(to: "/guest/\(secret)") }
        let t = strings(request, session: nil)
        switch try await sessions.verifyGuestPassphrase(form.passphrase ?? "", against: passphraseHash, link: link,
                                                        address: context.remoteAddress?.ipAddress ?? "unknown", now: clock()) {
        case .none:
            var response = try message(request, session: nil, heading: t["throttled_title"]!, text: t["throttled"]!, status: .tooManyRequests)
            response.headers[.retryAfter] = "600"
            return response
        case .some(false):
            return try await guestPage(request, secret: secret, error: t["wrong_passphrase"]!, status: .unauthorized)
        case .some(true):
            var response = redirect(to: "/guest/\(secret)")
            response.setCookie(Cookie(name: "la_guest", value: Self.unlockToken(secret, passphraseHash), maxAge: 8 * 3_600, path: "/guest/\(secret)",
                                      secure: cookieSecure, httpOnly: true, sameSite: .lax))
            return response
        }
    }

    func guestAction(_ request: Request, secret: String, action: String) async throws -> Response {
        guard let found = try await guestLink(secret) else { return try notFound(request, session: nil) }
        let (link, passphraseHash) = found
        let form = try await self.form(ActionForm.self, of: request)
        guard let token = form.csrf_token, constantTimeEqual(token, Self.guestToken(secret)),
              isUnlocked(request, secret: secret, passphraseHash: passphraseHash) else { return try csrfRefused(request, session: nil) }
        guard let action = ItemAction(rawValue: action), link.permits(action, on: link.itemID) else { return try notFound(request, session: nil) }
        do {
            _ = try await requests.transition(action, item: link.itemID, of: link.requestID, note: form.note.flatMap { $0.isEmpty ? nil : $0 },
                                              deliverDue: form.deliverDue, as: link.principal, now: clock())
        } catch let error as RequestError {
            guard let status = Self.pageStatus(of: error) else { throw error }
            return try await guestPage(request, secret: secret, error: ConsoleViews.refusal(error, t: strings(request, session: nil)), status: status)
        }
        return redirect(to: "/guest/\(secret)")
    }

    func guestUpload(_ request: Request, secret: String) async throws -> Response {
        guard let found = try await guestLink(secret) else { return try notFound(request, session: nil) }
        let (link, passphraseHash) = found
        guard isUnlocked(request, secret: secret, passphraseHash: passphraseHash) else { return try csrfRefused(request, session: nil) }
        return try await store(request, session: nil, token: { $0.map { constantTimeEqual($0, Self.guestToken(secret)) } ?? false },
                               item: link.itemID, of: link.requestID, as: link.principal, page: "/guest/\(secret)")
    }
}
