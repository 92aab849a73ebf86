import Foundation
import LogAtlasStore
import Logging
import PostgresNIO

#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) private var clusterPIDForExit: Int32 = 0
nonisolated(unsafe) private var clusterFolderForExit: String = ""

/// One PostgreSQL per test process — the embedded launcher, or the server in `DATABASE_URL` — with a
/// migrated template database that every test clones into a fresh database of its own.
public actor TestCluster {
    public static let shared = TestCluster()
    /// How long test code waits for a pooled connection: the suites run hundreds of cases at once on one cluster,
    /// where the service's few seconds would turn a busy machine into spurious 503s.
    public static let acquireTimeout: Duration = .seconds(120)

    private var admin: PostgresClient.Configuration?
    /// One client (two connections) creates every test's database. With a client per database, a full run held
    /// the cluster at its 200-connection limit (about a hundred to `postgres` at once) and logged ~1,000 retried
    /// "too many clients" failures, enough to starve a test; with one, a run peaks near 40 connections.
    private var adminClient: PostgresClient?
    private var template: String?
    private var makeConfiguration: (@Sendable (String) throws -> PostgresClient.Configuration)?
    private var cluster: EmbeddedPostgres?
    private var counter = 0

    /// Client settings for a new database with every migration applied.
    public func freshDatabase() async throws -> PostgresClient.Configuration {
        try await prepare()
        counter += 1
        let name = "t_\(getpid())_\(counter)"
        try await administration().query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE \(template!)"))
        var configuration = try makeConfiguration!(name)
        // A test needs a few connections; with the pool's default of 20, the suites' parallel apps exhausted the
        // cluster's 200 ("too many clients"), starving whichever test asked next.
        configuration.options.maximumConnections = Self.connectionsPerTest
        return configuration
    }

    /// Connections one test's database client may open.
    public static let connectionsPerTest = 6

    /// A `postgres://` URL for a new migrated database, for commands run as separate processes.
    public func freshDatabaseURL() async throws -> String {
        url(of: try await freshDatabase())
    }

    /// A `postgres://` URL for the database of `configuration`, for commands run as separate processes.
    public func url(of configuration: PostgresClient.Configuration) -> String {
        let name = configuration.database ?? ""
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty, var components = URLComponents(string: url) {
            components.path = "/\(name)"
            return components.string ?? url
        }
        return "postgres://\(EmbeddedPostgres.superuser)@localhost/\(name)?host=\(cluster!.folder.path)"
    }

    /// Client settings for a new, empty database (no migrations applied).
    public func emptyDatabase() async throws -> PostgresClient.Configuration {
        try await prepare()
        counter += 1
        let name = "e_\(getpid())_\(counter)"
        try await administration().query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        return try makeConfiguration!(name)
    }

    private var preparation: Task<Void, any Error>?

    /// The shared administration client, running for the rest of the test process.
    private func administration() async -> PostgresClient {
        if let adminClient { return adminClient }
        var configuration = admin!
        configuration.options.maximumConnections = 2
        let client = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "test-admin"))
        adminClient = client   // before any suspension: concurrent callers share this client
        let (started, signal) = AsyncStream<Void>.makeStream()
        Task.detached {
            signal.finish()
            await client.run()
        }
        for await _ in started {}
        return client
    }

    /// Prepares once; concurrent callers wait for the same preparation (the actor is re-entrant across awaits).
    private func prepare() async throws {
        if preparation == nil { preparation = Task { try await self.prepareOnce() } }
        try await preparation!.value
    }

    private func prepareOnce() async throws {
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty {
            makeConfiguration = { try PostgresURL.configuration(url, database: $0) }
        } else {
            let folder = URL(fileURLWithPath: "/tmp/la-test-\(getpid())")
            try? FileManager.default.removeItem(at: folder)
            let cluster = EmbeddedPostgres(folder: folder, logger: Logger(label: "test-postgres"))
            try await cluster.start()
            self.cluster = cluster
            clusterPIDForExit = cluster.postmasterPID ?? 0
            clusterFolderForExit = folder.path
            atexit {
                if clusterPIDForExit > 0 { kill(clusterPIDForExit, SIGQUIT); usleep(300_000) }
                if !clusterFolderForExit.isEmpty { try? FileManager.default.removeItem(atPath: clusterFolderForExit) }
            }
            makeConfiguration = { cluster.configuration(database: $0) }
        }
        admin = try makeConfiguration!("postgres")
        let name = "la_template_\(getpid())"
        try await withRunningClient(admin!) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        try await withRunningClient(try makeConfiguration!(name)) { client in
            try await Migrator().migrate(client)
        }
        template = name
    }
}

/// Runs `body` against a fresh, migrated database of its own.
public func withTestDatabase<Result: Sendable>(_ body: @Sendable (Database) async throws -> Result) async throws -> Result {
    let configuration = try await TestCluster.shared.freshDatabase()
    return try await withRunningClient(configuration) { client in
        try await body(Database(client: client, acquireTimeout: TestCluster.acquireTimeout))
    }
}
