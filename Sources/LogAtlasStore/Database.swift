import Foundation
import LogAtlasCore
import Logging
import PostgresNIO

/// The PostgreSQL client plus the one way to run caller-scoped work: a transaction that switches to the
/// non-owner `logatlas_app` role and sets the caller, so row-level security applies to every statement.
public struct Database: Sendable {
    public let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger = Logger(label: "logatlas.store")) {
        self.client = client
        self.logger = logger
    }

    /// Runs `body` in one transaction as `caller`, under row-level security. Errors come back as domain errors.
    public func withCaller<Result: Sendable>(
        _ caller: Principal, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await transaction { connection in
            for try await _ in try await connection.execute(SetCaller(CallerSettings(caller)), logger: logger) {}
            return try await body(connection)
        }
    }

    /// Runs a single caller-scoped statement (a function that sets the caller itself) outside an explicit transaction.
    func withConnection<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw StoreErrors.translate(error)
        }
    }

    /// Runs `body` in one transaction as the owner (maintenance: users, tokens, audit verification),
    /// recording `actor` on any audit event it causes.
    public func asOwner<Result: Sendable>(actor: String, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await transaction { connection in
            try await connection.query("SELECT set_config('logatlas.actor', \(actor), true)", logger: logger)
            return try await body(connection)
        }
    }

    private func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            throw StoreErrors.translate(error.closureError ?? error.commitError ?? error.beginError ?? error)
        } catch {
            throw StoreErrors.translate(error)
        }
    }
}

/// Turns PostgreSQL errors into domain errors so that no SQL detail reaches a client.
enum StoreErrors {
    static func translate(_ error: any Error) -> any Error {
        if error is InventoryError { return error }
        guard let psql = error as? PSQLError, let code = psql.serverInfo?[.sqlState] else { return error }
        let detail = psql.serverInfo?[.detail] ?? ""
        let constraint = psql.serverInfo?[.constraintName] ?? ""
        switch code {
        case "23505": return InventoryError.duplicate(kind: kind(of: constraint), key: keyFromDetail(detail))
        case "23503":
            if detail.contains("is still referenced") {
                return InventoryError.inUse(kind: kind(of: constraint), id: keyFromDetail(detail), detail: "other objects still refer to it")
            }
            return InventoryError.invalid([ValidationIssue(path: fieldOf(constraint), message: "refers to an object that does not exist")])
        case "23514", "23502", "22P02", "22007", "22008":
            return InventoryError.invalid([ValidationIssue(path: fieldOf(constraint), message: "value not allowed")])
        case "42501": return InventoryError.forbidden("not permitted for your role or organisations")
        default: return error
        }
    }

    static func kind(of constraint: String) -> String {
        if constraint.hasPrefix("orgs") { return "organisation" }
        if constraint.hasPrefix("systems") { return "system" }
        if constraint.hasPrefix("log_sources") { return "source" }
        if constraint.hasPrefix("users") { return "user" }
        return "object"
    }

    static func fieldOf(_ constraint: String) -> String {
        for (fragment, field) in [("custodian_org", "custodian_org"), ("system_id", "system"), ("owner_org", "owner_org"),
                                  ("parent", "parent"), ("log_type", "log_type"), ("volume", "volume_gb_per_day")]
        where constraint.contains(fragment) { return field }
        return ""
    }

    /// "Key (id)=(it-dept) already exists." → "it-dept".
    static func keyFromDetail(_ detail: String) -> String {
        guard let open = detail.range(of: ")=("), let close = detail.range(of: ")", range: open.upperBound..<detail.endIndex) else { return "" }
        return String(detail[open.upperBound..<close.lowerBound])
    }
}

extension PostgresRandomAccessRow {
    /// Decodes the column `name` as `type`.
    func value<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try self[name].decode(T.self, context: .default)
    }
}
