import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The id of the request being handled: the load balancer's `X-Request-ID` when it is a plain token, otherwise one
/// made here. It is returned in the `X-Request-ID` header, written into every problem document and into every log
/// line emitted while the request runs (through `metadataProvider`), so an operator finds a user's failure by it.
public enum RequestIdentity {
    @TaskLocal public static var current: String?

    public static let header = HTTPField.Name("X-Request-ID")!

    /// Adds `request_id` to every log line emitted within a request (give it to `LoggingSystem.bootstrap`).
    public static let metadataProvider = Logger.MetadataProvider {
        current.map { ["request_id": .string($0)] } ?? [:]
    }

    /// The id to use for a request that came with `incoming`: kept when it is 1–128 letters, digits or `-_.:`
    /// (nothing a log reader or a header could misread), a new random one otherwise.
    static func id(for incoming: String?) -> String {
        if let incoming, (1...128).contains(incoming.utf8.count),
           incoming.utf8.allSatisfy({ $0 < 0x80 && (Character(Unicode.Scalar($0)).isLetter || Character(Unicode.Scalar($0)).isNumber || "-_.:".utf8.contains($0)) }) {
            return incoming
        }
        return UUID().uuidString.lowercased()
    }
}

/// What is observed of every request, outermost of the middlewares: its id (`RequestIdentity`, also in the answer's
/// `X-Request-ID`), its figure in the HTTP metrics, and one access line at info level naming the route template
/// (never the path itself: a guest link's path is its secret), the status and the duration.
struct RequestObservationMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = RequestIdentity.id(for: request.headers[RequestIdentity.header])
        return try await RequestIdentity.$current.withValue(id) {
            let started = ContinuousClock.now
            var response = try await next(request, context)
            let elapsed = ContinuousClock.now - started
            let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
            let route = context.endpointPath ?? "unmatched"
            metrics.record(method: request.method, route: route, status: Int(response.status.code), nanoseconds: nanoseconds)
            logger.info("request", metadata: ["method": "\(request.method)", "route": "\(route)", "status": "\(response.status.code)",
                                              "duration_ms": "\(Double(nanoseconds / 1_000) / 1_000)"])
            response.headers[RequestIdentity.header] = id
            return response
        }
    }
}
