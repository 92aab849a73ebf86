import Foundation
import Logging
import PostgresNIO

/// The database a command works on, ready and migrated: `DATABASE_URL`, or the embedded cluster — attached
/// to when a running `logatlas serve` owns it, else started for the duration of the command.
public struct DatabaseSession: Sendable {
    public let configuration: PostgresClient.Configuration
    /// The embedded cluster, when this process started it (the caller stops it).
    public let cluster: EmbeddedPostgres?

    /// Connects (starting the embedded cluster if needed) and applies pending migrations unless `migrate` is false
    /// (a restore needs the database as it is); `connections` caps the pool (default: `ConnectionPool.defaultSize`).
    public static func open(_ location: DatabaseLocation, connections: Int? = nil, migrate: Bool = true,
                            logger: Logger) async throws -> DatabaseSession {
        let configuration: PostgresClient.Configuration
        var cluster: EmbeddedPostgres?
        switch location {
        case .url(let url):
            configuration = try PostgresURL.configuration(url, connections: connections)
        case .embedded(let folder):
            let embedded = EmbeddedPostgres(folder: folder, logger: logger)
            try await embedded.start()
            cluster = embedded.isOwned ? embedded : nil
            do {
                try await embedded.createDatabaseIfMissing()
            } catch {
                embedded.stop()
                throw error
            }
            configuration = embedded.configuration(connections: connections)
        }
        do {
            if migrate {
                try await withRunningClient(configuration, logger: logger) { client in
                    try await Migrator(logger: logger).migrate(client)
                }
            }
        } catch {
            cluster?.stop()
            throw error
        }
        return DatabaseSession(configuration: configuration, cluster: cluster)
    }

    /// Runs `body` with a database on `location`, then stops an embedded cluster this process started.
    public static func with<Result: Sendable>(_ location: DatabaseLocation, connections: Int? = nil, logger: Logger,
                                              _ body: @Sendable (Database) async throws -> Result) async throws -> Result {
        let session = try await open(location, connections: connections, logger: logger)
        defer { session.cluster?.stop() }
        return try await withRunningClient(session.configuration, logger: logger) { client in
            // A one-shot command may wait longer for its connection than a request of the service would.
            try await body(Database(client: client, logger: logger, acquireTimeout: .seconds(30)))
        }
    }
}
