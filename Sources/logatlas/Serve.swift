import ArgumentParser
import Foundation
import Logging
import LogAtlasServer
import LogAtlasStore
import PostgresNIO
import ServiceLifecycle

/// `logatlas serve`: the HTTP service, on the embedded database unless DATABASE_URL is set.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the LogAtlas HTTP service.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on (env: LOGATLAS_HOST).")
    var host: String = Environment.value("LOGATLAS_HOST") ?? "127.0.0.1"

    @Option(help: "Port to listen on (env: LOGATLAS_PORT).")
    var port: Int = Environment.value("LOGATLAS_PORT").flatMap(Int.init) ?? 8080

    @Option(help: "Largest request body in bytes (env: LOGATLAS_BODY_LIMIT).")
    var bodyLimit: Int = Environment.value("LOGATLAS_BODY_LIMIT").flatMap(Int.init) ?? 5 * 1024 * 1024

    @Option(help: "Folder of additional policy files (env: LOGATLAS_POLICY_DIR).")
    var policyDir: String? = Environment.value("LOGATLAS_POLICY_DIR")

    @Option(help: "Seconds a resolved token is cached; a revoked token keeps working at most this long (env: LOGATLAS_TOKEN_CACHE_SECONDS).")
    var tokenCacheSeconds: Int = Environment.value("LOGATLAS_TOKEN_CACHE_SECONDS").flatMap(Int.init) ?? 5

    @Option(help: "Seconds a connection may send nothing before it is closed: idle, slow head or stalled body (env: LOGATLAS_IDLE_TIMEOUT_SECONDS).")
    var idleTimeoutSeconds: Int = Environment.value("LOGATLAS_IDLE_TIMEOUT_SECONDS").flatMap(Int.init) ?? 30

    @Option(help: "Most client connections served at once (env: LOGATLAS_MAX_CONNECTIONS).")
    var maxConnections: Int = Environment.value("LOGATLAS_MAX_CONNECTIONS").flatMap(Int.init) ?? 2_048

    @Option(help: "Seconds a request waits for a database connection before a 503 (env: LOGATLAS_DB_ACQUIRE_TIMEOUT_SECONDS).")
    var dbAcquireTimeoutSeconds: Double = Environment.value("LOGATLAS_DB_ACQUIRE_TIMEOUT_SECONDS").flatMap(Double.init) ?? 3

    @Option(help: "Seconds one SQL statement may run before PostgreSQL cancels it (env: LOGATLAS_DB_STATEMENT_TIMEOUT_SECONDS; 0: no limit).")
    var dbStatementTimeoutSeconds: Int = Environment.value("LOGATLAS_DB_STATEMENT_TIMEOUT_SECONDS").flatMap(Int.init) ?? 30

    @Option(help: "Seconds in-flight requests get to finish after SIGTERM before they are cut (env: LOGATLAS_SHUTDOWN_TIMEOUT_SECONDS).")
    var shutdownTimeoutSeconds: Int = Environment.value("LOGATLAS_SHUTDOWN_TIMEOUT_SECONDS").flatMap(Int.init) ?? 30

    @Option(help: "Whether console cookies are sent over HTTPS only (env: LOGATLAS_COOKIE_SECURE=1/0; default: on unless bound to loopback).")
    var cookieSecure: Bool? = Environment.value("LOGATLAS_COOKIE_SECURE").map { ["1", "true", "yes", "on"].contains($0.lowercased()) }

    @Option(help: "Bearer token /metrics asks for when not bound to loopback (env: LOGATLAS_METRICS_TOKEN); without it /metrics is served on loopback only.")
    var metricsToken: String? = Environment.value("LOGATLAS_METRICS_TOKEN")

    @Option(help: "Serve /metrics on this port of the same address instead of the service's port, open unless a metrics token is set (env: LOGATLAS_METRICS_PORT).")
    var metricsPort: Int? = Environment.value("LOGATLAS_METRICS_PORT").flatMap(Int.init)

    @Option(help: "How log lines are written to standard error: text or json, one object per line (env: LOGATLAS_LOG_FORMAT).")
    var logFormat: LogFormat = Environment.value("LOGATLAS_LOG_FORMAT").flatMap(LogFormat.init(rawValue:)) ?? .text

    enum LogFormat: String, ExpressibleByArgument { case text, json }

    @OptionGroup var broker: BrokerOptions

    @OptionGroup(title: "Console sign-in") var signIn: SignInOptions

    @OptionGroup(title: "E-mail") var mail: MailOptions

    func validate() throws {
        for (name, value) in [("--idle-timeout-seconds", idleTimeoutSeconds), ("--max-connections", maxConnections),
                              ("--shutdown-timeout-seconds", shutdownTimeoutSeconds)] where value < 1 {
            throw ValidationError("\(name) must be at least 1")
        }
        if !(dbAcquireTimeoutSeconds > 0) { throw ValidationError("--db-acquire-timeout-seconds must be more than 0") }
        if dbStatementTimeoutSeconds < 0 { throw ValidationError("--db-statement-timeout-seconds must be 0 or more") }
    }

    @Flag(help: "Load the demo inventory when the database is empty, and print fresh demo tokens (env: LOGATLAS_DEMO=1).")
    var demo: Bool = Environment.value("LOGATLAS_DEMO") == "1"

    func run() async throws {
        // Every line carries the request id while a request runs (RequestIdentity), in either format.
        let json = logFormat == .json
        LoggingSystem.bootstrap({ label, provider in
            json ? JSONLogHandler(label: label, metadataProvider: provider) as any LogHandler
                 : StreamLogHandler.standardError(label: label, metadataProvider: provider)
        }, metadataProvider: RequestIdentity.metadataProvider)
        let logger = makeLogger("logatlas", default: .info)
        raiseOpenFileLimit(toServe: maxConnections, logger: logger)
        // A mistake in the sign-in mapping stops the service before it touches the database.
        let openID = try signIn.settings()
        let session = try await DatabaseSession.open(database.location, connections: database.dbConnections, logger: logger)
        do {
            if demo {
                let tokens = try await withRunningClient(session.configuration, logger: logger) { client in
                    try await DemoData.loadIfEmpty(into: Database(client: client, logger: logger))
                }
                // Written unbuffered: the banner must appear before the server blocks.
                FileHandle.standardOutput.write(Data(DemoData.banner(tokens: tokens, url: "http://\(host):\(port)").utf8))
            }
            var clientConfiguration = session.configuration
            clientConfiguration.options.additionalStartupParameters.append(("statement_timeout", "\(dbStatementTimeoutSeconds)s"))
            clientConfiguration.options.connectTimeout = .milliseconds(Int64(dbAcquireTimeoutSeconds * 1_000))
            let pool = ReplaceablePool(configuration: clientConfiguration, logger: logger)
            var services: [any Service] = []
            if let cluster = session.cluster { services.append(EmbeddedPostgresService(cluster: cluster)) }
            services.append(pool)
            var settings = try broker.settings()
            settings.smtp = try mail.settings(fallbackURL: "http://\(host):\(port)")
            let database = Database(pool: pool, logger: logger, acquireTimeout: .milliseconds(Int64(dbAcquireTimeoutSeconds * 1_000)))
            let metrics = ServiceMetrics()
            // Every replica is configured alike: with a mail server, the outbox queues e-mail from now on.
            let mails = settings.smtp != nil
            try await withRunningClient(session.configuration, logger: logger) { client in
                try await NotificationStore(database: Database(client: client, logger: logger)).setMailEnabled(mails)
            }
            let artifactStore = try broker.evidence.artifactStore(dataDirectory: self.database.dataDir)
            services += BrokerJobs.services(database: database, broker: settings, artifactStore: artifactStore, metrics: metrics, logger: logger)
            var configuration = ServerConfiguration(host: host, port: port, bodyLimit: bodyLimit, tokenCacheLifetime: .seconds(tokenCacheSeconds),
                                                    policyDirectory: policyDir.map { URL(fileURLWithPath: $0) }, broker: settings,
                                                    artifactStore: artifactStore,
                                                    idleTimeout: .seconds(idleTimeoutSeconds), maxConnections: maxConnections,
                                                    cookieSecure: cookieSecure, metricsToken: metricsToken, metricsPort: metricsPort)
            configuration.openID = openID
            configuration.localPasswords = signIn.localPasswords
            let app = try buildApplication(configuration: configuration, database: database, services: services, metrics: metrics, logger: logger)
            logger.info("LogAtlas listening on http://\(host):\(port) (console: http://\(host):\(port)/login)")
            // SIGTERM starts a graceful shutdown; requests still running after the deadline are cancelled, so the
            // process always exits (and the embedded cluster is stopped below).
            var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            group.maximumGracefulShutdownDuration = .seconds(shutdownTimeoutSeconds)
            try await ServiceGroup(configuration: group).run()
        } catch {
            session.cluster?.stop()
            throw error
        }
        session.cluster?.stop()
    }
}

/// `logatlas migrate`: apply pending schema migrations and exit.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = makeLogger("logatlas", default: .info)
        try await DatabaseSession.with(database.location, connections: database.dbConnections, logger: logger) { _ in }
        print("schema is current")
    }
}

/// Lets the process hold `connections` sockets plus its own files: the soft limit (often 1,024) is raised toward
/// the hard limit, which only an administrator can raise further.
func raiseOpenFileLimit(toServe connections: Int, logger: Logger) {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
    let wanted = rlim_t(connections + 256)
    guard limit.rlim_cur < wanted else { return }
    limit.rlim_cur = min(wanted, limit.rlim_max)
    if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) != 0 || limit.rlim_cur < wanted {
        logger.warning("open-file limit \(limit.rlim_cur) is below the \(wanted) that --max-connections \(connections) needs")
    }
}
