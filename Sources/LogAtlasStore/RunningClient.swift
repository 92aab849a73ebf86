import Foundation
import Logging
import PostgresNIO

/// Runs a `PostgresClient` for the duration of `body` (its `run()` drives the pool).
@discardableResult
public func withRunningClient<Result: Sendable>(
    _ configuration: PostgresClient.Configuration,
    logger: Logger = Logger(label: "logatlas.postgres"),
    _ body: @Sendable (PostgresClient) async throws -> Result
) async throws -> Result {
    let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
        // `body` starts once the pool's task does (leasing before `run()` works, but PostgresNIO warns about it
        // on the terminal). `run()` marks the pool running before its first suspension, right after the signal.
        let (started, signal) = AsyncStream<Void>.makeStream()
        group.addTask {
            signal.finish()
            await client.run()
        }
        for await _ in started {}
        defer { group.cancelAll() }
        return try await body(client)
    }
}

extension EmbeddedPostgres {
    /// Client settings for a database of this cluster, over its Unix socket.
    public func configuration(database: String = EmbeddedPostgres.databaseName, connections: Int? = nil) -> PostgresClient.Configuration {
        PostgresClient.Configuration(unixSocketPath: socketPath, username: Self.superuser, password: nil, database: database)
            .withSessionDefaults(connections: connections)
    }

    /// Creates the LogAtlas database inside the cluster if it is missing.
    public func createDatabaseIfMissing(_ name: String = EmbeddedPostgres.databaseName) async throws {
        try await withRunningClient(configuration(database: "postgres")) { client in
            var exists = false
            for try await _ in try await client.query("SELECT 1 FROM pg_database WHERE datname = \(name)") { exists = true }
            if !exists {
                // CREATE DATABASE takes no parameters; the name is ours and validated as an identifier.
                guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { throw DatabaseError.badURL("bad database name \(name)") }
                try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
            }
        }
    }
}

extension PostgresClient.Configuration {
    /// Session settings every LogAtlas connection starts with. `jit = off`: LogAtlas's queries are short or
    /// row-by-row, and compiling the report's 100,000-source read took 1.4 s of the 1.9 s it cost.
    func withSessionDefaults(connections: Int?) -> Self {
        var configuration = self
        configuration.options.additionalStartupParameters.append(("jit", "off"))
        configuration.options.maximumConnections = connections ?? ConnectionPool.defaultSize
        return configuration
    }
}

/// How many connections one LogAtlas process keeps to PostgreSQL at most.
public enum ConnectionPool {
    /// Twice the cores, at least 4. More connections than PostgreSQL has cores to run them only queue inside
    /// PostgreSQL instead of in the pool, and cost context switches: on the 2-core development machine a pool of
    /// 40 served 3,100 source reads per second with a p99 of 30–48 ms, a pool of 4 served 3,900 with 12 ms.
    public static var defaultSize: Int { max(4, 2 * ProcessInfo.processInfo.activeProcessorCount) }
}
