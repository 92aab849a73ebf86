import Foundation
import HTTPTypes
import Hummingbird
import LogAtlasCore
import Logging
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
        let underlying = (error as? ServerError)?.underlyingError ?? error
        var problem = Problem.from(underlying)
        if problem == nil, let http = underlying as? HTTPError {
            problem = Problem(status: Int(http.status.code), title: http.status.reasonPhrase,
                              detail: http.status.code == 413 ? "the request body is larger than the server accepts" : http.body)
        }
        if problem == nil, let serverError = error as? ServerError {
            // The OpenAPI layer could not read the request: its status (415 for a body of another content type),
            // or 400 (a query value of the wrong type, a missing body, …).
            let status = (serverError.underlyingError as? any HTTPResponseConvertible)?.httpStatus ?? .badRequest
            let answered: HTTPResponse.Status = (400..<500).contains(status.code) ? status : .badRequest
            problem = Problem(status: answered.code, title: answered.reasonPhrase, detail: serverError.causeDescription)
        }
        let final = problem ?? Problem(status: 500, title: "Internal Server Error", detail: "an unexpected error occurred; it has been logged")
        if problem == nil {
            logger.error("unexpected error", metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: underlying))"])
        }
        return Self.render(final)
    }

    static func render(_ problem: Problem) -> Response {
        let data = (try? JSONEncoder().encode(problem)) ?? Data()
        var headers: HTTPFields = [.contentType: "application/problem+json"]
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
        // Chunked or lying bodies: collect up to the limit (Hummingbird throws 413 past it).
        var request = request
        _ = try await request.collectBody(upTo: limit)
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
