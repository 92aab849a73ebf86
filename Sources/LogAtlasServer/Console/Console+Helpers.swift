import Foundation
import HTTPTypes
import Hummingbird
import LogAtlasCore
import LogAtlasStore
import NIOCore

/// Sessions, CSRF, languages, forms, cookies and the pages that explain a refusal.
extension Console {
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    /// The signed-in session of the request's cookie, if any.
    func session(of request: Request) async throws -> ConsoleSession? {
        guard let secret = request.cookies[Self.sessionCookie]?.value, !secret.isEmpty else { return nil }
        return try await sessions.session(forSecret: secret, now: clock())
    }

    func validCSRF(_ token: String?, _ session: ConsoleSession) -> Bool {
        token.map { constantTimeEqual($0, session.csrfToken) } ?? false
    }

    func language(_ request: Request, session: ConsoleSession?) -> ConsoleLanguage {
        session?.language.flatMap(ConsoleLanguage.init(rawValue:))
            ?? request.cookies[Self.languageCookie].flatMap { ConsoleLanguage(rawValue: $0.value) }
            ?? ConsoleLanguage.preferred(acceptLanguage: request.headers[.acceptLanguage])
    }

    func strings(_ request: Request, session: ConsoleSession?) -> [String: String] {
        ConsoleStrings.strings(language(request, session: session))
    }

    func layout(_ request: Request, session: ConsoleSession?, title: String, csrf: String? = nil) -> LayoutView {
        let language = language(request, session: session)
        return LayoutView(lang: language.rawValue, t: ConsoleStrings.strings(language), title: title, user: session?.principal.name,
                          role: session.map { ConsoleStrings.strings(language)["role_" + $0.principal.role.rawValue]! }, csrf: session?.csrfToken ?? csrf,
                          otherLanguage: language == .en ? ConsoleLanguage.ja.rawValue : ConsoleLanguage.en.rawValue,
                          path: request.uri.path)
    }

    func form<Form: Decodable>(_ type: Form.Type, of request: Request) async throws -> Form {
        let body = try await request.body.collect(upTo: Self.formLimit)
        do {
            return try URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body))
        } catch {
            throw HTTPError(.badRequest, message: "the form could not be read")
        }
    }

    func cookie(_ name: String, _ value: String, maxAge: Int?) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: cookieSecure, httpOnly: true, sameSite: .lax)
    }

    func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    func render<View>(_ template: String, _ view: View, status: HTTPResponse.Status = .ok) throws -> Response {
        guard let html = templates.render(ConsoleViews.tree(view) ?? [String: Any](), withTemplate: template) else {
            throw MissingResource(description: "the console template \(template) is missing")
        }
        return Response(status: status, headers: Self.pageHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Pages are never cached and run nothing from elsewhere; timeline bars need inline style attributes only.
    static let pageHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
        .contentSecurityPolicy: "default-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff", HTTPField.Name("Referrer-Policy")!: "same-origin",
    ]

    func message(_ request: Request, session: ConsoleSession?, heading: String, text: String, reference: String? = nil,
                         status: HTTPResponse.Status) throws -> Response {
        try render("message", MessageView(layout: layout(request, session: session, title: heading), heading: heading, message: text,
                                          reference: reference), status: status)
    }

    func csrfRefused(_ request: Request, session: ConsoleSession?) throws -> Response {
        let t = strings(request, session: session)
        return try message(request, session: session, heading: t["forbidden_title"]!, text: t["csrf_refused"]!, status: .forbidden)
    }

    func notAllowed(_ request: Request, session: ConsoleSession?) throws -> Response {
        let t = strings(request, session: session)
        return try message(request, session: session, heading: t["forbidden_title"]!, text: t["not_allowed"]!, status: .forbidden)
    }

    func notFound(_ request: Request, session: ConsoleSession?) throws -> Response {
        let t = strings(request, session: session)
        return try message(request, session: session, heading: t["not_found_title"]!, text: t["not_found"]!, status: .notFound)
    }

    /// Runs a page handler and turns what it throws into a page (never problem+json, never a stack trace).
    func page(_ request: Request, _ context: LogAtlasRequestContext, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as RequestError {
            let session = try? await session(of: request)
            switch error {
            case .notFound: return try notFound(request, session: session)
            case .forbidden, .refused(.notPermitted): return try notAllowed(request, session: session)
            default: return try failure(request, error)
            }
        } catch let error as InventoryError {
            switch error {
            case .notFound: return try notFound(request, session: try? await session(of: request))
            case .forbidden: return try notAllowed(request, session: try? await session(of: request))
            default: return try failure(request, error)
            }
        } catch is DatabaseUnavailable {
            let t = strings(request, session: nil)
            var response = try message(request, session: nil, heading: t["unavailable_title"]!, text: t["unavailable"]!, status: .serviceUnavailable)
            response.headers[.retryAfter] = "5"
            return response
        } catch is NIOTooManyBytesError {
            return try message(request, session: nil, heading: HTTPResponse.Status.contentTooLarge.reasonPhrase,
                               text: strings(request, session: nil)["form_too_large"]!, status: .contentTooLarge)
        } catch let error as HTTPError where error.status == .badRequest || error.status == .contentTooLarge {
            return try message(request, session: nil, heading: error.status.reasonPhrase, text: error.body ?? "", status: error.status)
        } catch {
            return try failure(request, error)
        }
    }

    func failure(_ request: Request, _ error: any Error) throws -> Response {
        let reference = UUID().uuidString.lowercased()
        logger.error("console page failed", metadata: ["request_id": "\(reference)", "path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
        let t = strings(request, session: nil)
        return try message(request, session: nil, heading: t["error_title"]!, text: t["error"]!, reference: reference, status: .internalServerError)
    }
}
