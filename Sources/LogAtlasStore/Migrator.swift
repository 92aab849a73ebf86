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

    /// The migrations of LogAtlas before its first release, which the baseline files (0001–0005) replace with the
    /// same schema. A database they migrated is up to date with the baseline: it is recorded as such, not migrated
    /// again. One they migrated only part of the way cannot be brought forward by this binary.
    static let replacedByBaseline = [
        "0001_inventory", "0002_identity_audit", "0003_hot_reads", "0004_gap_reports", "0005_requests", "0006_notifications",
        "0007_measured_lead_times", "0008_faster_audit_append", "0009_uploaded_policies", "0010_gap_findings_per_org",
        "0011_audit_chain_at_commit", "0012_source_visibility_in_one_call", "0013_sla_pass_by_index", "0014_filing_in_two_round_trips",
    ]
    static let baseline = ["0001_inventory", "0002_identity_and_audit", "0003_gap_reports", "0004_requests", "0005_notifications"]
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
            try await connection.checkedQuery("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let applied = try await apply(migrations, on: connection)
                try await connection.checkedQuery("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.checkedQuery("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    /// Creates the application role when the cluster lacks it and lets the connecting (owner) role SET ROLE to it.
    /// A role belongs to the cluster, so a new cluster needs this both before the first migration and before a backup
    /// of another cluster is restored into it.
    public func prepareApplicationRole(on connection: PostgresConnection) async throws {
        try await connection.checkedQuery("""
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'logatlas_app') THEN
                    CREATE ROLE logatlas_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
                END IF;
                IF NOT pg_has_role(current_user, 'logatlas_app', 'MEMBER') THEN
                    EXECUTE format('GRANT logatlas_app TO %I', current_user);
                END IF;
            END $$
            """, logger: logger)
    }

    private func apply(_ migrations: [Migration], on connection: PostgresConnection) async throws -> [String] {
        try await prepareApplicationRole(on: connection)
        try await connection.checkedQuery("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        var done = Set<String>()
        for try await version in try await connection.checkedQuery("SELECT version FROM schema_migrations", logger: logger).decode(String.self) {
            done.insert(version)
        }
        done.formUnion(try await recognisePreBaseline(done, on: connection))
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

    /// Records the baseline as applied on a database the pre-release migrations brought to the same schema, and
    /// returns its versions; refuses one they left half-way. Any other database: nothing to record.
    private func recognisePreBaseline(_ done: Set<String>, on connection: PostgresConnection) async throws -> [String] {
        let replaced = Set(Self.replacedByBaseline).subtracting(Self.baseline)
        guard !done.isDisjoint(with: replaced) else { return [] }
        guard Set(Self.replacedByBaseline).isSubset(of: done) else {
            throw DatabaseError.migrationFailed("this database was migrated by a pre-release LogAtlas only part of the way "
                                                + "(\(done.intersection(replaced).sorted().last ?? "")); migrate it with that release first")
        }
        try await connection.checkedQuery("""
            INSERT INTO schema_migrations (version) SELECT unnest(\(Self.baseline)) ON CONFLICT DO NOTHING
            """, logger: logger)
        return Self.baseline
    }

    /// Whether every bundled migration has been applied (for `/readyz`).
    /// `isCurrent` within the database's connection wait: a database that is down is "not ready" at once.
    public func isCurrent(_ database: Database) async throws -> Bool {
        let expected = try Self.bundled().map(\.version)
        let done = try await database.withConnection { connection in
            var done = Set<String>()
            for try await version in try await connection.checkedQuery("SELECT version FROM schema_migrations", logger: logger).decode(String.self) {
                done.insert(version)
            }
            return done
        }
        return Set(expected).isSubset(of: done)
    }

    public func isCurrent(_ client: PostgresClient) async throws -> Bool {
        let expected = try Self.bundled().map(\.version)
        var done = Set<String>()
        for try await version in try await client.query("SELECT version FROM schema_migrations", logger: logger).decode(String.self) {
            done.insert(version)
        }
        return expected.allSatisfy(done.contains)
    }
}
