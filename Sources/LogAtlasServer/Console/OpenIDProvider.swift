import AsyncHTTPClient
import Crypto
import Foundation
import JWTKit
import LogAtlasCore
import NIOCore
import NIOHTTP1

/// What the operator configures for console sign-in through the organisation's OpenID Connect provider.
public struct OpenIDSettings: Sendable {
    /// The provider's issuer identifier, exactly as its ID tokens carry it (`iss`).
    public var issuer: String
    public var clientID: String
    /// The client secret (sent with HTTP Basic to the token endpoint); `nil` for a public client, PKCE only.
    public var clientSecret: String?
    /// This service's callback as registered at the provider, e.g. `https://logatlas.example/login/oidc/callback`.
    public var redirectURL: String
    public var mapping: OpenIDMapping
    /// The provider's name on the sign-in button.
    public var displayName: String

    public init(issuer: String, clientID: String, clientSecret: String?, redirectURL: String, mapping: OpenIDMapping, displayName: String) {
        self.issuer = issuer
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.redirectURL = redirectURL
        self.mapping = mapping
        self.displayName = displayName
    }
}

/// The provider as the console talks to it: discovery, the authorization request (code flow with PKCE), the code
/// exchange and the ID token's verification by jwt-kit against the provider's JWKS. The issuer is the operator's
/// choice, not a user's; the endpoints discovery names must be HTTPS (plain HTTP only for a provider on loopback).
actor OpenIDProvider {
    let settings: OpenIDSettings
    private let http: HTTPClient
    private var metadata: Metadata?
    private var keys: JWTKeyCollection?
    private var keysFetched: Date = .distantPast

    /// How far the provider's clock may be ahead of or behind ours.
    static let clockSkew: TimeInterval = 60

    init(settings: OpenIDSettings, http: HTTPClient = .shared) {
        self.settings = settings
        self.http = http
    }

    struct Metadata: Decodable {
        let issuer: String
        let authorization_endpoint: String
        let token_endpoint: String
        let jwks_uri: String
    }

    /// Where the browser goes to sign in: the authorization endpoint with this sign-in's state, nonce and PKCE
    /// challenge (S256 of the verifier).
    func authorizationURL(state: String, nonce: String, codeVerifier: String) async throws -> String {
        let metadata = try await discover()
        guard var components = URLComponents(string: metadata.authorization_endpoint) else {
            throw OpenIDRefusal.invalidToken("the provider's authorization endpoint is not a URL")
        }
        let challenge = Self.base64URL(Data(SHA256.hash(data: Data(codeVerifier.utf8))))
        components.queryItems = (components.queryItems ?? []) + [
            URLQueryItem(name: "response_type", value: "code"), URLQueryItem(name: "client_id", value: settings.clientID),
            URLQueryItem(name: "redirect_uri", value: settings.redirectURL), URLQueryItem(name: "scope", value: "openid profile email"),
            URLQueryItem(name: "state", value: state), URLQueryItem(name: "nonce", value: nonce),
            URLQueryItem(name: "code_challenge", value: challenge), URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        guard let url = components.url else { throw OpenIDRefusal.invalidToken("the provider's authorization endpoint is not a URL") }
        return url.absoluteString
    }

    /// Exchanges the authorization code for the ID token (with the PKCE verifier), verifies it and returns its claims.
    func claims(code: String, codeVerifier: String, nonce: String) async throws -> OpenIDClaims {
        let metadata = try await discover()
        var request = HTTPClientRequest(url: metadata.token_endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        var form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", settings.redirectURL),
                    ("code_verifier", codeVerifier)]
        if let secret = settings.clientSecret {
            let credentials = "\(Self.formEncoded(settings.clientID)):\(Self.formEncoded(secret))"
            request.headers.add(name: "Authorization", value: "Basic \(Data(credentials.utf8).base64EncodedString())")
        } else {
            form.append(("client_id", settings.clientID))
        }
        request.body = .bytes(ByteBuffer(string: form.map { "\($0)=\(Self.formEncoded($1))" }.joined(separator: "&")))
        struct TokenResponse: Decodable { let id_token: String? }
        let (status, body) = try await fetch(request)
        guard status == .ok, let answer = try? JSONDecoder().decode(TokenResponse.self, from: body), let idToken = answer.id_token else {
            struct TokenError: Decodable { let error: String? }
            let reason = (try? JSONDecoder().decode(TokenError.self, from: body))?.error ?? "no ID token"
            throw OpenIDRefusal.invalidToken("the token endpoint answered \(status.code): \(reason)")
        }
        return try await verify(idToken, nonce: nonce)
    }

    /// Verifies an ID token: signature by a key of the provider's JWKS (fetched again once when no key fits, for key
    /// rotation), issuer, audience (this client; every other audience refused), expiry and the sign-in's nonce.
    func verify(_ idToken: String, nonce: String) async throws -> OpenIDClaims {
        let token: IDToken
        do {
            token = try await currentKeys(refresh: false).verify(idToken, as: IDToken.self, expectedAudience: settings.clientID)
        } catch let error as JWTError where [.signatureVerificationFailed, .noKeyProvided, .unknownKID].contains(error.errorType)
                                            && Date().timeIntervalSince(keysFetched) > 60 {
            do {
                token = try await currentKeys(refresh: true).verify(idToken, as: IDToken.self, expectedAudience: settings.clientID)
            } catch {
                throw Self.refusal(error)
            }
        } catch {
            throw Self.refusal(error)
        }
        guard token.issuer.value == settings.issuer else { throw OpenIDRefusal.invalidToken("issued by \(token.issuer.value)") }
        guard let carried = token.nonce, constantTimeEqual(carried, nonce) else {
            throw OpenIDRefusal.invalidToken("the nonce is not this sign-in's")
        }
        return OpenIDClaims(issuer: token.issuer.value, subject: token.subject.value, texts: token.texts)
    }

    /// A verification failure in words (jwt-kit's reason, never the token).
    static func refusal(_ error: any Error) -> any Error {
        switch error {
        case let refusal as OpenIDRefusal: refusal
        case let error as JWTError: OpenIDRefusal.invalidToken(error.reason ?? "\(error.errorType)")
        default: OpenIDRefusal.invalidToken("the ID token could not be read")
        }
    }

    private func discover() async throws -> Metadata {
        if let metadata { return metadata }
        let trimmed = settings.issuer.hasSuffix("/") ? String(settings.issuer.dropLast()) : settings.issuer
        let (status, body) = try await fetch(HTTPClientRequest(url: trimmed + "/.well-known/openid-configuration"))
        guard status == .ok, let found = try? JSONDecoder().decode(Metadata.self, from: body) else {
            throw OpenIDRefusal.invalidToken("the provider's discovery document could not be read (\(status.code))")
        }
        guard found.issuer == settings.issuer else {
            throw OpenIDRefusal.invalidToken("the provider names itself \(found.issuer), not \(settings.issuer)")
        }
        for endpoint in [found.authorization_endpoint, found.token_endpoint, found.jwks_uri] where !Self.isAcceptable(endpoint) {
            throw OpenIDRefusal.invalidToken("the provider's endpoint \(endpoint) is neither HTTPS nor on loopback")
        }
        metadata = found
        return found
    }

    private func currentKeys(refresh: Bool) async throws -> JWTKeyCollection {
        if let keys, !refresh { return keys }
        let (status, body) = try await fetch(HTTPClientRequest(url: try await discover().jwks_uri))
        guard status == .ok, let jwks = try? JSONDecoder().decode(JWKS.self, from: body) else {
            throw OpenIDRefusal.invalidToken("the provider's keys could not be read (\(status.code))")
        }
        let collection = JWTKeyCollection()
        try await collection.add(jwks: jwks)
        keys = collection
        keysFetched = Date()
        return collection
    }

    private func fetch(_ request: HTTPClientRequest) async throws -> (HTTPResponseStatus, Data) {
        do {
            let response = try await http.execute(request, timeout: .seconds(10))
            return (response.status, Data(buffer: try await response.body.collect(upTo: 1 << 20)))
        } catch let refusal as OpenIDRefusal {
            throw refusal
        } catch {
            throw OpenIDRefusal.invalidToken("the provider could not be reached (\(type(of: error)))")
        }
    }

    /// HTTPS anywhere, plain HTTP only on this machine (a provider for tests or behind a local proxy).
    static func isAcceptable(_ endpoint: String) -> Bool {
        guard let url = URL(string: endpoint), let scheme = url.scheme?.lowercased(), let host = url.host else { return false }
        return scheme == "https" || (scheme == "http" && ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host))
    }

    static func formEncoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? ""
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// The ID token's claims: the registered ones jwt-kit checks, and every claim that is text or a list of text for the
/// sign-in mapping (user name, groups).
struct IDToken: JWTIdentityToken {
    let issuer: IssuerClaim
    let subject: SubjectClaim
    let audience: AudienceClaim
    let expires: ExpirationClaim
    let nonce: String?
    let texts: [String: [String]]

    struct Key: CodingKey {
        let stringValue: String
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        issuer = try container.decode(IssuerClaim.self, forKey: Key("iss"))
        subject = try container.decode(SubjectClaim.self, forKey: Key("sub"))
        audience = try container.decode(AudienceClaim.self, forKey: Key("aud"))
        expires = try container.decode(ExpirationClaim.self, forKey: Key("exp"))
        nonce = try container.decodeIfPresent(String.self, forKey: Key("nonce"))
        var texts: [String: [String]] = [:]
        for key in container.allKeys {
            if let text = try? container.decode(String.self, forKey: key) { texts[key.stringValue] = [text] }
            else if let list = try? container.decode([String].self, forKey: key) { texts[key.stringValue] = list }
        }
        self.texts = texts
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, values) in texts { try container.encode(values, forKey: Key(name)) }
        try container.encode(issuer, forKey: Key("iss"))
        try container.encode(subject, forKey: Key("sub"))
        try container.encode(audience, forKey: Key("aud"))
        try container.encode(expires, forKey: Key("exp"))
        try container.encodeIfPresent(nonce, forKey: Key("nonce"))
    }

    /// Expiry, with the clock skew the provider is allowed; the audience is checked by jwt-kit, the issuer and the
    /// nonce by `OpenIDProvider.verify`.
    func verify(using _: some JWTAlgorithm) async throws {
        try expires.verifyNotExpired(currentDate: Date().addingTimeInterval(-OpenIDProvider.clockSkew))
    }
}
