import Foundation
import LogAtlasCore
import Logging
import PostgresNIO
import Synchronization

/// The PostgreSQL client plus the one way to run caller-scoped work: a transaction that switches to the
/// non-owner `logatlas_app` role and sets the caller, so row-level security applies to every statement.
public struct Database: Sendable {
    /// One client for good (tests, the CLI), or `serve`'s pool, which `checkAvailable` replaces when PostgreSQL is
    /// back before the pool retries.
    private enum Clients: Sendable {
        case fixed(PostgresClient)
        case replaceable(ReplaceablePool)
    }

    private let clients: Clients
    let logger: Logger
    /// How long a unit of work waits for a pooled connection before `DatabaseUnavailable` (a 503): while
    /// PostgreSQL is down the pool keeps retrying, and a client must not wait on it for a minute.
    public let acquireTimeout: Duration
    /// When a wait for a connection last timed out or failed.
    private let lastFailure = LastFailure()

    public init(client: PostgresClient, logger: Logger = Logger(label: "logatlas.store"), acquireTimeout: Duration = .seconds(3)) {
        clients = .fixed(client)
        self.logger = logger
        self.acquireTimeout = acquireTimeout
    }

    public init(pool: ReplaceablePool, logger: Logger = Logger(label: "logatlas.store"), acquireTimeout: Duration = .seconds(3)) {
        clients = .replaceable(pool)
        self.logger = logger
        self.acquireTimeout = acquireTimeout
    }

    /// The pool work leases from now.
    public var client: PostgresClient {
        switch clients {
        case .fixed(let client): client
        case .replaceable(let pool): pool.client
        }
    }

    /// Units of work holding a pooled connection now (`serve`'s pool only; nil otherwise).
    public var connectionsInUse: Int? { pool?.inUse.load(ordering: .relaxed) }
    /// Units of work waiting for a pooled connection now (`serve`'s pool only; nil otherwise).
    public var connectionsWaiting: Int? { pool?.waiting.load(ordering: .relaxed) }

    private var pool: ReplaceablePool? {
        if case .replaceable(let pool) = clients { pool } else { nil }
    }

    /// Returns once the pool hands out a connection, or throws `DatabaseUnavailable` after `acquireTimeout`.
    public func checkAvailable() async throws {
        try await leased { _ in }
    }

    /// Runs `body` with a pooled connection, or throws `DatabaseUnavailable` when none comes within `acquireTimeout`.
    /// Within a second of a failed wait the answer is `DatabaseUnavailable` at once: while PostgreSQL is down, one
    /// request a second tries, the others are told promptly. While it is down, that one try also offers `serve`'s
    /// pool a replacement, so service resumes within about two seconds of PostgreSQL's return.
    private func leased<Result>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let failed = lastFailure.instant.withLock { $0 }
        if let failed, ContinuousClock.now - failed < .seconds(1) {
            throw DatabaseUnavailable(reason: "the last wait for a connection failed \(ContinuousClock.now - failed) ago")
        }
        let pool = self.pool
        if failed != nil, let pool, pool.inUse.load(ordering: .relaxed) == 0 {
            do {
                try await waitOrReplace(pool)
            } catch {
                lastFailure.instant.withLock { $0 = .now }
                throw error
            }
        }
        pool?.waiting.add(1, ordering: .relaxed)
        var waiting = true
        defer { if waiting { pool?.waiting.subtract(1, ordering: .relaxed) } }
        do {
            return try await ReplaceablePool.withConnection(client, within: acquireTimeout) { connection in
                pool?.waiting.subtract(1, ordering: .relaxed)
                waiting = false
                lastFailure.instant.withLock { $0 = nil }
                // Counted as holding a connection: a busy pool is never replaced.
                pool?.inUse.add(1, ordering: .relaxed)
                defer { pool?.inUse.subtract(1, ordering: .relaxed) }
                return try await body(connection)
            }
        } catch let error as ReplaceablePool.NoConnection {
            lastFailure.instant.withLock { $0 = .now }
            throw DatabaseUnavailable(reason: "no database connection within \(error.timeout)")
        }
    }

    /// During an outage, with none of this pool's connections in use: a short wait for the pool itself, then a
    /// fresh pool, which answers at once if PostgreSQL is back although the old one waits out its back-off.
    private func waitOrReplace(_ pool: ReplaceablePool) async throws {
        do {
            return try await ReplaceablePool.withConnection(pool.client, within: .milliseconds(200)) { _ in }
        } catch is ReplaceablePool.NoConnection {
            guard await pool.replace(within: .seconds(1)) else {
                throw DatabaseUnavailable(reason: "PostgreSQL does not accept connections")
            }
        }
    }

    /// Runs `body` in one transaction as `caller`, under row-level security. Errors come back as domain errors.
    public func withCaller<Result: Sendable>(
        _ caller: Principal, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await transaction { connection in
            _ = try await connection.checkedExecute(SetCaller(CallerSettings(caller)), logger: logger)
            return try await body(connection)
        }
    }

    /// One statement outside a transaction, its rows read by `read` while the connection is held; the same bounded
    /// wait for a connection and translated errors as `withConnection`.
    func query<Result: Sendable>(_ query: PostgresQuery, _ read: (PostgresRowSequence) async throws -> Result) async throws -> Result {
        try await withConnection { connection in try await read(try await connection.checkedQuery(query, logger: logger)) }
    }

    /// One statement outside a transaction whose rows are not needed.
    func execute(_ query: PostgresQuery) async throws {
        try await self.query(query) { rows in for try await _ in rows {} }
    }

    /// Runs a single caller-scoped statement (a function that sets the caller itself) outside an explicit transaction.
    func withConnection<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await leased(body)
        } catch {
            throw StoreErrors.translate(error)
        }
    }

    /// Runs `body` in one transaction as the owner (maintenance: users, tokens, audit verification),
    /// recording `actor` on any audit event it causes.
    public func asOwner<Result: Sendable>(actor: String, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await transaction { connection in
            try await connection.checkedQuery("SELECT set_config('logatlas.actor', \(actor), true)", logger: logger)
            return try await body(connection)
        }
    }

    /// BEGIN, `body`, COMMIT — or ROLLBACK when `body` throws, unless PostgreSQL has closed the connection (nothing
    /// is left to roll back, and postgres-nio would never answer a statement written to it: `checkedQuery`).
    private func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await leased { connection in
                try await connection.checkedQuery("BEGIN", logger: logger)
                let result: Result
                do {
                    result = try await body(connection)
                } catch {
                    if !connection.isClosed { _ = try? await connection.checkedQuery("ROLLBACK", logger: logger) }
                    throw error
                }
                try await connection.checkedQuery("COMMIT", logger: logger)
                return result
            }
        } catch {
            throw StoreErrors.translate(error)
        }
    }
}

/// The moment the last wait for a connection failed, shared by every copy of a `Database`.
private final class LastFailure: Sendable {
    let instant = Mutex<ContinuousClock.Instant?>(nil)
}

/// PostgreSQL cannot be reached, is shutting down, or cut a statement off at its time limit: the request may be
/// retried later (a 503 with Retry-After), and nothing of it was committed.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "database unavailable: \(reason)" }
}

/// Turns PostgreSQL errors into domain errors so that no SQL detail reaches a client.
enum StoreErrors {
    /// Connection-level failures of PostgresNIO: the database went away or never answered.
    static let unavailableCodes: [PSQLError.Code] = [.connectionError, .serverClosedConnection, .clientClosedConnection,
                                                     .uncleanShutdown, .poolClosed]

    static func translate(_ error: any Error) -> any Error {
        if error is InventoryError || error is DatabaseUnavailable { return error }
        if let psql = error as? PSQLError, unavailableCodes.contains(psql.code) {
            return DatabaseUnavailable(reason: "\(psql.code)")
        }
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
        // Shutting down, starting up, out of connections, or a statement over statement_timeout.
        case "57P01", "57P02", "57P03", "53300", "57014": return DatabaseUnavailable(reason: "PostgreSQL answered \(code)")
        case _ where code.hasPrefix("08"): return DatabaseUnavailable(reason: "PostgreSQL connection failure \(code)")
        // A text PostgreSQL cannot store (NUL): every field is checked before, this is the last line.
        case "22021": return InventoryError.invalid([ValidationIssue(path: "", message: "text contains a character PostgreSQL cannot store (NUL)")])
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
