import Foundation
import Hummingbird
import HummingbirdCore
import LogAtlasCore
import LogAtlasFormats
import LogAtlasStore
import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
import PostgresNIO
import ServiceLifecycle

/// Settings of the HTTP service.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Largest request body accepted, in bytes.
    public var bodyLimit: Int
    /// How long a resolved token is remembered; a revoked token keeps working at most this long.
    public var tokenCacheLifetime: Duration
    /// A folder of additional policy files, loaded (and validated) at start-up.
    public var policyDirectory: URL?
    /// SLA targets and the artifact size limit of the retrieval broker.
    public var broker: BrokerSettings
    /// Where evidence is stored.
    public var artifactStore: any ArtifactStore
    /// A connection that sends nothing for this long is closed: idle keep-alive connections, a request head that
    /// does not arrive, and a body that stops progressing (Hummingbird counts every received part as activity).
    public var idleTimeout: Duration
    /// Connections served at once; further ones wait in the listen backlog until one closes.
    public var maxConnections: Int
    /// Whether console cookies carry `Secure` (sent over HTTPS only). `LOGATLAS_COOKIE_SECURE`; on by default unless
    /// the service is bound to loopback (the demo, or behind a TLS-terminating proxy on the same host).
    public var cookieSecure: Bool
    /// The bearer token `/metrics` asks for when the service is not bound to loopback (`LOGATLAS_METRICS_TOKEN`);
    /// without one, `/metrics` is not served there.
    public var metricsToken: String?
    /// A port of its own for `/metrics` on the same address (`--metrics-port`); the service's port then serves none.
    public var metricsPort: Int?
    /// Console sign-in through the organisation's OpenID Connect provider, when configured.
    public var openID: OpenIDSettings?
    /// Whether the console accepts LogAtlas passwords (`--no-local-passwords` leaves only the provider).
    public var localPasswords: Bool = true

    /// Whether the service listens on loopback only.
    public var isLoopbackOnly: Bool { ["127.0.0.1", "::1", "localhost"].contains(host) }

    public init(host: String = "127.0.0.1", port: Int = 8080, bodyLimit: Int = 5 * 1024 * 1024,
                tokenCacheLifetime: Duration = .seconds(5), policyDirectory: URL? = nil, broker: BrokerSettings = BrokerSettings(),
                artifactStore: any ArtifactStore = FileSystemArtifactStore(folder: URL(fileURLWithPath: ".logatlas/artifacts")),
                idleTimeout: Duration = .seconds(30), maxConnections: Int = 2_048, cookieSecure: Bool? = nil, metricsToken: String? = nil,
                metricsPort: Int? = nil) {
        self.metricsPort = metricsPort
        self.cookieSecure = cookieSecure ?? !["127.0.0.1", "::1", "localhost"].contains(host)
        self.metricsToken = metricsToken
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.policyDirectory = policyDirectory
        self.broker = broker
        self.artifactStore = artifactStore
        self.host = host
        self.port = port
        self.bodyLimit = bodyLimit
        self.tokenCacheLifetime = tokenCacheLifetime
    }
}

/// Settings of the retrieval broker.
public struct BrokerSettings: Sendable {
    public var sla: SLAPolicy
    /// Largest artifact accepted, in bytes (default 10 GiB).
    public var maxArtifactBytes: Int64
    /// How often the SLA job looks for due reminders, escalations and expiries.
    public var slaInterval: Duration
    /// How often the webhook job looks for due messages, and how it retries failures.
    public var webhookInterval: Duration
    public var retry: RetryPolicy
    /// Internal address ranges webhooks may reach after all (`LOGATLAS_WEBHOOK_ALLOW`); none by default.
    public var webhookAllow: [IPRange]
    /// How long evidence is kept after its request closes, and how often the retention job looks for what is due.
    public var retention: EvidenceRetentionPolicy
    public var retentionInterval: Duration
    /// E-mail to custodians, when a mail server is configured; sent by the mail job from the webhook outbox.
    public var smtp: SMTPSettings?

    public init(sla: SLAPolicy = SLAPolicy(), maxArtifactBytes: Int64 = 10 << 30, slaInterval: Duration = .seconds(60),
                webhookInterval: Duration = .seconds(2), retry: RetryPolicy = RetryPolicy(), webhookAllow: [IPRange] = [],
                retention: EvidenceRetentionPolicy = EvidenceRetentionPolicy(), retentionInterval: Duration = .seconds(3600)) {
        self.webhookAllow = webhookAllow
        self.retention = retention
        self.retentionInterval = retentionInterval
        self.sla = sla
        self.maxArtifactBytes = maxArtifactBytes
        self.slaInterval = slaInterval
        self.webhookInterval = webhookInterval
        self.retry = retry
    }
}

/// The composition root: repositories on `database`, the router with its middleware, and the services
/// (pool, embedded cluster) that must start before and stop after the HTTP server.
public func buildApplication(
    configuration: ServerConfiguration,
    database: Database,
    services: [any Service] = [],
    metrics: ServiceMetrics = ServiceMetrics(),
    logger: Logger = Logger(label: "logatlas"),
    clock: @escaping @Sendable () -> Date = Date.init
) throws -> some ApplicationProtocol {
    let router = try buildRouter(configuration: configuration, database: database, metrics: metrics, logger: logger, clock: clock)
    var services = services
    if let metricsPort = configuration.metricsPort {
        // Started and stopped with the service, like the pool and the jobs.
        let metricsRouter = Router()
        metrics.register(on: metricsRouter, listener: .metricsPort, configuration: configuration, database: database, clock: clock)
        services.append(Application(router: metricsRouter,
                                    configuration: .init(address: .hostname(configuration.host, port: metricsPort), serverName: "LogAtlas"),
                                    logger: logger))
    }
    let idle = configuration.idleTimeout.components
    return Application(router: router,
                       server: .http1(configuration: .init(idleTimeout: .seconds(idle.seconds) + .nanoseconds(idle.attoseconds / 1_000_000_000))),
                       configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "LogAtlas",
                                            availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections)),
                       services: services, logger: logger)
}

/// The router alone (used by `buildApplication` and by tests).
public func buildRouter(
    configuration: ServerConfiguration, database: Database, metrics: ServiceMetrics = ServiceMetrics(), logger: Logger,
    clock: @escaping @Sendable () -> Date = Date.init
) throws -> Router<LogAtlasRequestContext> {
    let router = Router(context: LogAtlasRequestContext.self)
    router.add(middleware: RequestObservationMiddleware(metrics: metrics, logger: logger))
    router.add(middleware: ProblemMiddleware(logger: logger))
    router.add(middleware: PercentDecodedHeadersMiddleware())
    router.add(middleware: BodyLimitMiddleware(limit: configuration.bodyLimit))
    router.add(middleware: AuthenticationMiddleware(authenticator: CachingAuthenticator(IdentityStore(database: database), lifetime: configuration.tokenCacheLifetime, clock: clock)))
    let builtIn = try PolicyCatalogue.shipped().map { ($0, "shipped") }
        + (configuration.policyDirectory.map { try PolicyCatalogue.load(folder: $0) } ?? []).map { ($0, "folder") }
    let api = LogAtlasAPI(inventory: PostgresInventoryRepository(database: database), builtInPolicies: builtIn,
                          policyStore: PostgresPolicyRepository(database: database),
                          gapReports: PostgresGapReportRepository(database: database),
                          requests: PostgresRequestRepository(database: database), artifactStore: configuration.artifactStore,
                          broker: configuration.broker, webhooks: NotificationStore(database: database),
                          agreements: PostgresAgreementRepository(database: database),
                          observedGaps: PostgresObservedGapRepository(database: database),
                          heartbeats: PostgresHeartbeatRepository(database: database),
                          actionCards: PostgresActionCardRepository(database: database),
                          drills: PostgresDrillRepository(database: database),
                          guestLinks: GuestLinkIssuer(requests: PostgresRequestRepository(database: database),
                                                      store: GuestLinkStore(database: database), clock: clock),
                          readiness: { (try? await Migrator(logger: logger).isCurrent(database)) ?? false },
                          clock: clock)
    let documentText = try OpenAPIDocument.text()
    // Compact JSON: pretty-printing costs a third of the encoding time on hot reads.
    try api.registerHandlers(on: router, configuration: .init(dateTranscoder: FastDateTranscoder(), jsonEncodingOptions: [.sortedKeys]),
                             middlewares: [IntegerFieldMiddleware(fields: try IntegerFields(document: documentText), bodyLimit: configuration.bodyLimit)])
    let console = Console(templates: try Console.loadTemplates(), sessions: ConsoleStore(database: database),
                          identity: IdentityStore(database: database), requests: PostgresRequestRepository(database: database),
                          inventory: PostgresInventoryRepository(database: database), audit: AuditTrail(database: database),
                          evidence: api.evidence, guestLinks: api.guestLinks, sla: configuration.broker.sla, retention: configuration.broker.retention,
                          gapReport: { policies, org, system, severity, caller in
                              try await api.gapReport(policies: policies, org: org, system: system, severity: severity, as: caller).0
                          },
                          recordGapReport: { policies, org, caller in _ = try await api.runGapReport(policies: policies, org: org, system: nil, as: caller) },
                          trend: { policy, org, caller in try await api.trend(policy: policy, org: org, as: caller) },
                          policyIDs: { caller in try await api.catalogue(as: caller).map(\.policy.id).sorted() }, heartbeats: api.heartbeats, actionCards: api.actionCards,
                          openID: configuration.openID.map { OpenIDProvider(settings: $0) }, localPasswords: configuration.localPasswords,
                          cookieSecure: configuration.cookieSecure, clock: clock, logger: logger)
    try console.register(on: router)
    let document = ByteBuffer(string: documentText)
    metrics.register(on: router, listener: configuration.metricsPort == nil ? .service(loopbackOnly: configuration.isLoopbackOnly)
                                                                            : .serviceWithSeparateMetricsPort,
                     configuration: configuration, database: database, clock: clock)
    router.get("/openapi.yaml") { _, _ in
        Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: document))
    }
    router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
    return router
}

/// Hummingbird's basic context plus the peer's address (the console throttles sign-in per address).
public struct LogAtlasRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// RFC 3339 dates without Foundation's locked, ICU-backed formatter (a request view carries a hundred dates).
struct FastDateTranscoder: DateTranscoder {
    func encode(_ date: Date) throws -> String { Timestamp.format(date) }

    func decode(_ text: String) throws -> Date {
        guard let date = Timestamp.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "expected an RFC 3339 date-time such as 2026-11-27T09:00:00Z"))
        }
        return date
    }
}

/// The OpenAPI document this server implements, from the resource bundle beside the binary.
enum OpenAPIDocument {
    /// The document's text; a missing document stops the server from starting rather than serving a stub.
    static func text() throws -> String {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw MissingResource(description: "openapi.yaml is missing from the LogAtlasServer resource bundle")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}

/// A file the server carries as a resource is not there: the installation is incomplete.
struct MissingResource: Error, CustomStringConvertible {
    let description: String
}

/// Watches the embedded cluster for the life of the service group and stops it last, on shutdown. When the
/// postmaster dies the service throws: the group shuts down and `serve` exits non-zero, so that its supervisor
/// restarts the whole service (which starts the cluster afresh) instead of answering 503 until someone notices.
public struct EmbeddedPostgresService: Service {
    let cluster: EmbeddedPostgres
    let pollInterval: Duration

    public init(cluster: EmbeddedPostgres, pollInterval: Duration = .milliseconds(500)) {
        self.cluster = cluster
        self.pollInterval = pollInterval
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            guard cluster.isRunning else { throw EmbeddedPostgresError.exitedUnexpectedly(cluster.recentLog) }
            try? await Task.sleep(for: pollInterval)
        }
        cluster.stop()
    }
}
