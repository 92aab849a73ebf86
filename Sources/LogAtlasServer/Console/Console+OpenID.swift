import Foundation
import HTTPTypes
import Hummingbird
import LogAtlasCore
import LogAtlasStore

/// Sign-in through the organisation's OpenID Connect provider (authorization code with PKCE). The state travels in
/// the query and in a cookie of this browser, and is stored by its hash with the nonce and code verifier, so that a
/// sign-in is finished once, by the browser that started it, within ten minutes, on any replica.
extension Console {
    static let openIDCookie = "la_oidc_state"

    /// `GET /login/oidc`: records the sign-in and sends the browser to the provider.
    func startOpenIDSignIn(_ request: Request) async throws -> Response {
        guard let openID else { return try notFound(request, session: nil) }
        let state = TokenSecret.generate(), nonce = TokenSecret.generate()
        // 43 characters of base64url from 32 random bytes: a PKCE code verifier (RFC 7636 §4.1).
        let verifier = String(TokenSecret.generate().dropFirst(3))
        let url = try await openID.authorizationURL(state: state, nonce: nonce, codeVerifier: verifier)
        try await sessions.beginOpenIDSignIn(state: state, nonce: nonce, codeVerifier: verifier, now: clock())
        var response = redirect(to: url)
        response.setCookie(cookie(Self.openIDCookie, state, maxAge: Int(ConsoleStore.openIDSignInLifetime)))
        return response
    }

    /// `GET /login/oidc/callback`: the provider's answer. The code is exchanged, the ID token verified, the mapping
    /// decides who the person is here, and a console session starts; anything else is a refusal page (403), audited.
    func finishOpenIDSignIn(_ request: Request) async throws -> Response {
        guard let openID else { return try notFound(request, session: nil) }
        let query = request.uri.queryParameters
        guard let state = query["state"].map(String.init), let held = request.cookies[Self.openIDCookie]?.value,
              constantTimeEqual(state, held), let pending = try await sessions.takeOpenIDSignIn(state: state, now: clock())
        else { return try await refuseOpenID(request, .unknownState, subject: nil) }
        if let error = query["error"] { return try await refuseOpenID(request, .invalidToken("the provider answered \(error)"), subject: nil) }
        guard let code = query["code"].map(String.init) else { return try await refuseOpenID(request, .invalidToken("no code"), subject: nil) }
        let claims: OpenIDClaims
        do {
            claims = try await openID.claims(code: code, codeVerifier: pending.codeVerifier, nonce: pending.nonce)
        } catch let refusal as OpenIDRefusal {
            return try await refuseOpenID(request, refusal, subject: nil)
        }
        switch openID.settings.mapping.account(for: claims) {
        case .failure(let refusal):
            return try await refuseOpenID(request, refusal, subject: claims.subject)
        case .success(let account):
            switch try await sessions.signIn(openID: claims, account: account, now: clock()) {
            case .failure(let refusal):
                logger.notice("console sign-in refused", metadata: ["reason": "\(refusal)", "subject": "\(claims.subject)"])
                return try refusedPage(request, refusal)
            case .success(let (secret, session)):
                return try await signedIn(request, secret: secret, session: session, clearing: Self.openIDCookie)
            }
        }
    }

    /// Audits and logs a refused sign-in and says why.
    private func refuseOpenID(_ request: Request, _ refusal: OpenIDRefusal, subject: String?) async throws -> Response {
        logger.notice("console sign-in refused", metadata: ["reason": "\(refusal)", "subject": "\(subject ?? "-")"])
        try await sessions.recordOpenIDRefusal(refusal, subject: subject)
        return try refusedPage(request, refusal)
    }

    private func refusedPage(_ request: Request, _ refusal: OpenIDRefusal) throws -> Response {
        let t = strings(request, session: nil)
        var response = try message(request, session: nil, heading: t["sign_in_refused_title"]!,
                                   text: "\(t["sign_in_refused"]!) (\(refusal))", status: .forbidden)
        response.setCookie(cookie(Self.openIDCookie, "", maxAge: 0))
        return response
    }
}
