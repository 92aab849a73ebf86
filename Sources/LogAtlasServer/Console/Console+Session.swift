import Foundation
import HTTPTypes
import Hummingbird
import LogAtlasCore
import LogAtlasStore
import NIOCore

/// Sign-in, sign-out and the language switch.
extension Console {
    struct LoginForm: Decodable {
        let username: String?
        let password: String?
        let csrf_token: String?
    }

    func loginPage(_ request: Request) async throws -> Response {
        if try await session(of: request) != nil { return redirect(to: "/") }
        return try loginForm(request, username: "", error: nil, status: .ok)
    }

    /// The sign-in form, with a fresh token in the form and in a cookie (double submit: a page of another site can
    /// post the form but cannot read or set the cookie).
    func loginForm(_ request: Request, username: String, error: String?, status: HTTPResponse.Status) throws -> Response {
        let csrf = TokenSecret.generate()
        let layout = layout(request, session: nil, title: strings(request, session: nil)["sign_in_title"]!, csrf: csrf)
        var response = try render("login", LoginView(layout: layout, csrf: csrf, username: username, error: error,
                                                      localPasswords: localPasswords, provider: openID?.settings.displayName), status: status)
        response.setCookie(cookie(Self.loginCookie, csrf, maxAge: 3_600))
        return response
    }

    func signIn(_ request: Request, _ context: LogAtlasRequestContext) async throws -> Response {
        let form = try await self.form(LoginForm.self, of: request)
        guard let token = form.csrf_token, let expected = request.cookies[Self.loginCookie]?.value, constantTimeEqual(token, expected) else {
            return try csrfRefused(request, session: nil)
        }
        let username = form.username ?? "", t = strings(request, session: nil)
        guard localPasswords else {
            return try message(request, session: nil, heading: t["forbidden_title"]!, text: t["passwords_off"]!, status: .forbidden)
        }
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        switch try await sessions.signIn(userName: username, password: form.password ?? "", address: address, now: clock()) {
        case .throttled:
            logger.notice("console sign-in throttled", metadata: ["user": "\(username)", "address": "\(address)"])
            var response = try message(request, session: nil, heading: t["throttled_title"]!, text: t["throttled"]!, status: .tooManyRequests)
            response.headers[.retryAfter] = "600"
            return response
        case .wrongCredentials:
            return try loginForm(request, username: username, error: t["wrong_credentials"]!, status: .unauthorized)
        case .signedIn(let secret, let session):
            return try await signedIn(request, secret: secret, session: session, clearing: Self.loginCookie)
        }
    }

    /// The answer to a sign-in that succeeded, by password or through the provider: the session cookie, the sign-in's
    /// own cookie cleared, and the language chosen before signing in remembered for the user.
    func signedIn(_ request: Request, secret: String, session: ConsoleSession, clearing signInCookie: String) async throws -> Response {
        var response = redirect(to: "/")
        response.setCookie(cookie(Self.sessionCookie, secret, maxAge: nil))
        response.setCookie(cookie(signInCookie, "", maxAge: 0))
        if session.language == nil, let chosen = request.cookies[Self.languageCookie]?.value, ConsoleLanguage(rawValue: chosen) != nil {
            try await sessions.setLanguage(chosen, for: session)
        }
        return response
    }

    struct SignOutForm: Decodable {
        let csrf_token: String?
        let everywhere: String?
    }

    func signOut(_ request: Request) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let form = try await self.form(SignOutForm.self, of: request)
        guard validCSRF(form.csrf_token, session) else { return try csrfRefused(request, session: session) }
        try await sessions.signOut(session, everywhere: form.everywhere != nil, now: clock())
        var response = redirect(to: "/login")
        response.setCookie(cookie(Self.sessionCookie, "", maxAge: 0))
        return response
    }

    struct LanguageForm: Decodable {
        let csrf_token: String?
        let language: String?
        let back: String?
    }

    /// Switches the language: remembered for the user when signed in, in a cookie always.
    func switchLanguage(_ request: Request) async throws -> Response {
        let session = try await session(of: request)
        let form = try await self.form(LanguageForm.self, of: request)
        let valid = session.map { validCSRF(form.csrf_token, $0) }
            ?? (form.csrf_token.flatMap { token in request.cookies[Self.loginCookie].map { constantTimeEqual(token, $0.value) } } ?? false)
        guard valid else { return try csrfRefused(request, session: session) }
        guard let language = form.language.flatMap(ConsoleLanguage.init(rawValue:)) else { return try notFound(request, session: session) }
        if let session { try await sessions.setLanguage(language.rawValue, for: session) }
        let back = form.back.flatMap { $0.hasPrefix("/") && !$0.hasPrefix("//") && !$0.contains("\\") ? $0 : nil } ?? "/"
        var response = redirect(to: back)
        response.setCookie(cookie(Self.languageCookie, language.rawValue, maxAge: 365 * 86_400))
        return response
    }
}
