import Foundation
import LogAtlasSchema
import Logging
import PostgresNIO

/// One SQL migration from `schema/`.
public struct Migration: Sendable {
    public let version: String
    public let sql: String
}

/// Applies the SQL files of `schema/` (carried beside the binary as a resource bundle) in order, once each.
public struct Migrator: Sendable {
    /// Advisory lock key that serialises migrators across processes.
    static let lockKey: Int64 = 7_310_000
    let logger: Logger

    public init(logger: Logger = Logger(label: "logatlas.migrator")) { self.logger = logger }

    /// The migrations the binary carries, ordered by version.
    public static func bundled() throws -> [Migration] {
        let folder = SchemaFiles.folder
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.range(of: #"^\d{4}_[a-z0-9_]+\.sql$"#, options: .regularExpression) != nil }
            .sorted()
        guard !names.isEmpty else { throw DatabaseError.migrationFailed("no schema files in \(folder.path)") }
        return try names.map { name in
            Migration(version: String(name.dropLast(4)), sql: try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
        }
    }

    /// Applies pending migrations, each in its own transaction; returns the versions applied now.
    @discardableResult
    public func migrate(_ client: PostgresClient, migrations: [Migration]? = nil) async throws -> [String] {
        let migrations = try migrations ?? Self.bundled()
        return try await client.withConnection { connection in
            // Session-level lock: a second instance starting at the same time waits here, then finds nothing to do.
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let applied = try await apply(migrations, on: connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    private func apply(_ migrations: [Migration], on connection: PostgresConnection) async throws -> [String] {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        var done = Set<String>()
        for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger).decode(String.self) {
            done.insert(version)
        }
        var applied: [String] = []
        for migration in migrations where !done.contains(migration.version) {
            logger.info("applying migration \(migration.version)")
            do {
                try await connection.withTransaction(logger: logger) { transaction in
                    for statement in SQLScript.statements(in: migration.sql) {
                        try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await transaction.query("INSERT INTO schema_migrations (version) VALUES (\(migration.version))", logger: logger)
                }
            } catch let error as PostgresTransactionError {
                throw DatabaseError.migrationFailed("migration \(migration.version) failed: \(String(reflecting: error.closureError ?? error))")
            }
            applied.append(migration.version)
        }
        return applied
    }

    /// Whether every bundled migration has been applied (for `/readyz`).
    public func isCurrent(_ client: PostgresClient) async throws -> Bool {
        let expected = try Self.bundled().map(\.version)
        var done = Set<String>()
        for try await version in try await client.query("SELECT version FROM schema_migrations", logger: logger).decode(String.self) {
            done.insert(version)
        }
        return expected.allSatisfy(done.contains)
    }
}
