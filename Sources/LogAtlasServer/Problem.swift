import Foundation
import HTTPTypes
import LogAtlasCore
import LogAtlasFormats
import LogAtlasStore

/// An RFC 9457 problem: what every 4xx/5xx answer carries, with the paths of the fields that were wrong.
public struct Problem: Error, Sendable, Encodable {
    /// One wrong field, optionally located in an uploaded file.
    public struct Field: Sendable, Encodable, Equatable {
        public var path: String
        public var message: String
        public var line: Int?
        public var column: Int?
    }

    public var type = "about:blank"
    public var title: String
    public var status: Int
    public var detail: String?
    public var errors: [Field]?
    /// For a 409 on a request item: the state it is in now.
    public var currentState: String?
    /// The id of the request this answers (also its `X-Request-ID` header); for a 500, the id under which the server
    /// logged the details (quote it to the operator).
    public var requestID: String?
    /// Headers the answer carries besides the body (`Retry-After` of a 503, `Allow` of a 405).
    var headers = HTTPFields()

    public init(status: Int, title: String, detail: String? = nil, errors: [Field]? = nil, currentState: String? = nil) {
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.currentState = currentState
    }

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, errors, currentState = "current_state", requestID = "request_id"
    }

    /// The database cannot be reached now; nothing was changed and the request may be retried.
    static var databaseUnavailable: Problem {
        var problem = Problem(status: 503, title: "Service Unavailable", detail: "the database is unavailable; nothing was changed, retry later")
        problem.headers[.retryAfter] = "5"
        return problem
    }

    static let unauthenticated = Problem(status: 401, title: "Unauthorized", detail: "send a valid bearer token: Authorization: Bearer <token>")

    /// The problem for an error from any layer; `nil` means an unexpected failure (a generic 500).
    static func from(_ error: any Error) -> Problem? {
        switch error {
        case let problem as Problem: return problem
        case let error as InventoryError: return from(error)
        case let error as PolicyError: return from(error)
        case let error as RequestError: return from(error)
        case let error as AgreementError: return from(error)
        case let error as ObservedGapError: return from(error)
        case let error as WebhookError: return from(error)
        case let error as IdentityError: return from(error)
        case let error as InputError: return from(error)
        case let error as FormatError:
            return Problem(status: 422, title: "Unprocessable Content", detail: "the file has \(error.problems.count) problem(s); nothing was changed",
                           errors: error.problems.map { Field(path: $0.path, message: $0.message, line: $0.line, column: $0.column) })
        case let error as DecodingError: return from(error)
        case is DatabaseUnavailable: return databaseUnavailable
        default: return nil
        }
    }

    static func notFound(_ kind: String, _ id: String) -> Problem { Problem(status: 404, title: "Not Found", detail: "no \(kind) '\(id)'") }

    static func invalid(_ issues: [ValidationIssue]) -> Problem {
        Problem(status: 422, title: "Unprocessable Content", detail: issues.map(\.description).joined(separator: "; "),
                errors: issues.map { Field(path: $0.path, message: $0.message) })
    }

    static func forbidden(_ reason: String) -> Problem { Problem(status: 403, title: "Forbidden", detail: reason) }

    static func from(_ error: InventoryError) -> Problem {
        switch error {
        case .notFound(let kind, let id): notFound(kind, id)
        case .invalid(let issues): invalid(issues)
        case .versionConflict(let kind, let id, let current):
            Problem(status: 412, title: "Precondition Failed", detail: "\(kind) '\(id)' changed: the current ETag is \"\(current)\"; fetch it again and retry")
        case .duplicate(let kind, let key): Problem(status: 409, title: "Conflict", detail: "\(kind) '\(key)' already exists")
        case .inUse(let kind, let id, let detail): Problem(status: 409, title: "Conflict", detail: "\(kind) '\(id)' is in use: \(detail)")
        case .forbidden(let reason): forbidden(reason)
        }
    }

    static func from(_ error: PolicyError) -> Problem {
        switch error {
        case .notFound(let kind, let id): notFound(kind, id)
        case .invalid(let issues): invalid(issues)
        case .builtIn(let id): Problem(status: 409, title: "Conflict", detail: "'\(id)' is a shipped or folder policy; the API neither replaces nor deletes it")
        case .forbidden(let reason): forbidden(reason)
        }
    }

    static func from(_ error: WebhookError) -> Problem {
        switch error {
        case .notFound(let id): notFound("webhook subscription", id)
        case .invalid(let issues): invalid(issues)
        }
    }

    static func from(_ error: IdentityError) -> Problem {
        switch error {
        case .notFound(let kind, let id): notFound(kind, id)
        case .invalid(let issues): invalid(issues)
        }
    }

    static func from(_ error: InputError) -> Problem {
        switch error {
        case .unknownID(let kind, let id): notFound(kind, id)
        case .invalid(let issues): invalid(issues)
        }
    }

    static func from(_ error: ObservedGapError) -> Problem {
        switch error {
        case .notFound(let kind, let id): notFound(kind, id)
        case .invalid(let issues): invalid(issues)
        case .forbidden(let reason): forbidden(reason)
        case .refused(let reason): Problem(status: 409, title: "Conflict", detail: reason)
        }
    }

    static func from(_ error: AgreementError) -> Problem {
        switch error {
        case .notFound(let id): notFound("agreement", id)
        case .invalid(let issues): invalid(issues)
        case .forbidden(let reason): forbidden(reason)
        case .staleVersion(let current):
            Problem(status: 409, title: "Conflict", detail: "the agreement changed meanwhile; its current version is \(current)")
        case .refused(let reason): Problem(status: 409, title: "Conflict", detail: reason)
        }
    }

    static func from(_ error: RequestError) -> Problem {
        switch error {
        case .refused(.notPermitted(let action)):
            Problem(status: 403, title: "Forbidden", detail: "your role or organisations may not \(action.rawValue) this item")
        case .refused(.wrongState(let action, let current)):
            Problem(status: 409, title: "Conflict", detail: "cannot \(action.rawValue) an item that is \(current.rawValue)", currentState: current.rawValue)
        case .refused(.noteRequired(let action)):
            Problem(status: 422, title: "Unprocessable Content", detail: "\(action.rawValue) needs a note (reason, question, answer or outcome)",
                    errors: [Field(path: "note", message: "required for \(action.rawValue)")])
        case .refused(.noEvidence):
            Problem(status: 422, title: "Unprocessable Content", detail: "upload an artifact or record a hand-over before delivering",
                    errors: [Field(path: "action", message: "no evidence on this item yet")])
        case .refused(.dueDateInvalid(let current)):
            Problem(status: 422, title: "Unprocessable Content",
                    detail: "propose a delivery date after the current one (\(Timestamp.format(current))) and within a year",
                    errors: [Field(path: "deliver_due", message: "after \(Timestamp.format(current)) and within a year from now")])
        case .refused(.noProposal):
            Problem(status: 409, title: "Conflict", detail: "the custodian has not proposed a new delivery date for this item")
        case .conflict(_, let current):
            Problem(status: 409, title: "Conflict", detail: "the item changed meanwhile; it is now \(current.rawValue)", currentState: current.rawValue)
        case .digestMismatch(let expected, let actual):
            Problem(status: 400, title: "Bad Request", detail: "Content-Digest says sha-256 \(expected) but the body hashes to \(actual); nothing was stored",
                    errors: [Field(path: "Content-Digest", message: "does not match the body")])
        case .tooLarge(let limit):
            Problem(status: 413, title: "Content Too Large", detail: "artifacts are limited to \(limit) bytes; nothing was stored")
        case .notFound(let kind, let id): notFound(kind, id)
        case .invalid(let issues): invalid(issues)
        case .forbidden(let reason): forbidden(reason)
        case .purged(let id, let at):
            Problem(status: 410, title: "Gone", detail: "the content of artifact \(id) was deleted by the evidence retention on "
                    + "\(ISO8601DateFormatter().string(from: at)); its digest, size and history remain in the custody manifest")
        }
    }

    static func from(_ error: DecodingError) -> Problem {
        let (context, message): (DecodingError.Context, String) = switch error {
        case .keyNotFound(let key, let context): (context, "missing required field '\(key.stringValue)'")
        case .typeMismatch(_, let context): (context, "wrong type: \(context.debugDescription)")
        case .valueNotFound(_, let context): (context, "missing value")
        case .dataCorrupted(let context): (context, context.debugDescription)
        @unknown default: (DecodingError.Context(codingPath: [], debugDescription: ""), "could not be read")
        }
        var path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        if case .keyNotFound(let key, _) = error { path += ".\(key.stringValue)" }
        if path.hasPrefix(".") { path.removeFirst() }
        return Problem(status: 400, title: "Bad Request", detail: "the request body is not valid: \(path.isEmpty ? "" : path + ": ")\(message)",
                       errors: [Field(path: path, message: message)])
    }
}
