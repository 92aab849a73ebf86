import Foundation
import HTTPTypes
import Hummingbird
import LogAtlasCore
import Logging
import NIOCore
import OpenAPIRuntime

/// The caller of the request being handled, set by `AuthenticationMiddleware`.
enum RequestPrincipal {
    @TaskLocal static var current: Principal?

    /// The caller, or a 401 problem (only reachable if a /v1 route escaped the middleware).
    static func required() throws -> Principal {
        guard let current else { throw Problem.unauthenticated }
        return current
    }
}

/// Turns every error into `application/problem+json`; unexpected ones become a generic 500, logged in full.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return response(for: error, request: request)
        }
    }

    func response(for error: any Error, request: Request) -> Response {
        let serverError = error as? ServerError
        let underlying = serverError?.underlyingError ?? error
        if let serverError, serverError.operationInput == nil, underlying is DecodingError, request.headers[.contentType] == nil {
            // No body was sent, so the value that could not be read came in the query string.
            return Self.render(Problem(status: 400, title: "Bad Request", detail: "a query parameter has a value of the wrong type (\(serverError.operationID))",
                                       errors: [.init(path: "query", message: "a value of the wrong type")]))
        }
        if let problem = Problem.from(underlying) { return Self.render(problem) }
        if let http = underlying as? HTTPError {
            return Self.render(Problem(status: Int(http.status.code), title: http.status.reasonPhrase,
                                       detail: http.status.code == 413 ? "the request body is larger than the server accepts" : http.body))
        }
        if let serverError, serverError.operationInput == nil {
            // The OpenAPI layer could not read the request: its status (415 for a body of another content type),
            // or 400 (a query value of the wrong type, a missing body, …), saying which part was wrong.
            let status = (serverError.underlyingError as? any HTTPResponseConvertible)?.httpStatus ?? .badRequest
            let answered: HTTPResponse.Status = (400..<500).contains(status.code) ? status : .badRequest
            return Self.render(Problem(status: answered.code, title: answered.reasonPhrase, detail: serverError.causeDescription))
        }
        // Anything else is a fault of the server: a 500 that names the request id, with the detail only in the log.
        let id = RequestIdentity.current ?? UUID().uuidString.lowercased()
        logger.error("unexpected error", metadata: ["request_id": "\(id)", "method": "\(request.method)", "path": "\(request.uri.path)",
                                                    "error": "\(String(reflecting: underlying))"])
        var problem = Problem(status: 500, title: "Internal Server Error", detail: "an unexpected error occurred; it was logged as request \(id)")
        problem.requestID = id
        return Self.render(problem)
    }

    /// The problem document, with the id of the request it answers (`RequestIdentity`).
    static func render(_ problem: Problem) -> Response {
        var problem = problem
        problem.requestID = problem.requestID ?? RequestIdentity.current
        let data = (try? JSONEncoder().encode(problem)) ?? Data()
        var headers = problem.headers
        headers[.contentType] = "application/problem+json"
        if problem.status == 401 { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: HTTPResponse.Status(code: problem.status), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Refuses request bodies over the limit with 413. The OpenAPI runtime would collect a JSON body of any size.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Evidence uploads stream to the artifact store, which enforces its own (much larger) limit.
        if request.headers[.contentType] == "application/octet-stream" {
            return try await next(request, context)
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw HTTPError(.contentTooLarge)
        }
        guard request.method == .post || request.method == .patch || request.method == .put else {
            return try await next(request, context)
        }
        // Chunked or lying bodies: collect up to the limit; NIO's "too many bytes" past it is the client's 413.
        var request = request
        do {
            _ = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw HTTPError(.contentTooLarge)
        }
        return try await next(request, context)
    }
}

/// Resolves the bearer token of every /v1 request and makes the caller available to the handlers.
struct AuthenticationMiddleware<Context: RequestContext>: RouterMiddleware {
    let authenticator: any TokenAuthenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/") else { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer "),
              let principal = try await authenticator.principal(forToken: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)) else {
            throw Problem.unauthenticated
        }
        return try await RequestPrincipal.$current.withValue(principal) { try await next(request, context) }
    }
}

/// The OpenAPI runtime percent-encodes header values (`"3"` becomes `%223%22`); an ETag must carry its quotes, a digest its colons.
struct PercentDecodedHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Headers whose values carry quotes, colons or equals signs.
    static var names: [HTTPField.Name] {
        [.eTag, HTTPField.Name("Content-Digest")!, HTTPField.Name("Digest")!, .contentDisposition]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        for name in Self.names {
            if let value = response.headers[name], value.contains("%"), let decoded = value.removingPercentEncoding {
                response.headers[name] = decoded
            }
        }
        return response
    }
}

/// A path the API serves, asked with a method it does not serve: 405 with `Allow`, not 404. Added after every route,
/// so it wraps only the router's not-found answer.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: [(path: RouterPath, method: HTTPRequest.Method)]

    init(routes: [Router<Context>.RouteDescription]) {
        self.routes = routes.map { ($0.path, $0.method) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let segments = request.uri.path.split(separator: "/")
            let allowed = routes.filter { route in
                route.path.components.count == segments.count && zip(route.path.components, segments).allSatisfy { $0 ~= $1 }
            }.map(\.method.rawValue)
            guard !allowed.isEmpty else { throw error }
            var problem = Problem(status: 405, title: "Method Not Allowed", detail: "\(request.method) is not served on this path; it serves \(allowed.joined(separator: ", "))")
            problem.headers[.allow] = Set(allowed).sorted().joined(separator: ", ")
            throw problem
        }
    }
}
