import Foundation
import HTTPTypes
import Hummingbird
import LogAtlasCore
import LogAtlasStore
import Metrics
import NIOCore
import Prometheus
import Synchronization

/// The service's Prometheus metrics (`GET /metrics`), every name prefixed `logatlas_`: HTTP requests and their
/// latency by route template and status (through swift-metrics), and what PostgreSQL says at scrape time — the
/// pool's connections in use, the webhook outbox's backlog and oldest message, open items past their due date.
/// Each service has its own registry (tests run several in one process), so nothing is bootstrapped globally.
public final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    /// The label sets of the overdue gauge set at the last scrape, to zero those that are no longer overdue.
    private let overdueSeen = Mutex<Set<OperationalFigures.OverdueKey>>([])

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                                   .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                                                   .milliseconds(2_500), .seconds(5), .seconds(10)]
        self.factory = factory
    }

    /// One answered request.
    func record(method: HTTPRequest.Method, route: String, status: Int, nanoseconds: Int64) {
        let labels = [("method", method.rawValue), ("route", route), ("status", String(status))]
        Counter(label: "logatlas_http_requests_total", dimensions: labels, factory: factory).increment()
        Metrics.Timer(label: "logatlas_http_request_duration_seconds", dimensions: labels, factory: factory).recordNanoseconds(nanoseconds)
    }

    /// One pass of a background job (`PeriodicJob`).
    func recordJob(_ job: String, failed: Bool, duration: Duration) {
        Counter(label: "logatlas_job_runs_total", dimensions: [("job", job), ("outcome", failed ? "failed" : "ok")], factory: factory).increment()
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        Metrics.Timer(label: "logatlas_job_duration_seconds", dimensions: [("job", job)], factory: factory).recordNanoseconds(nanoseconds)
    }

    /// The text exposition, after reading the figures that come from the database.
    func exposition(database: Database, now: Date) async throws -> String {
        let figures = try await OperationalFigures.read(database, now: now)
        registry.makeGauge(name: "logatlas_webhook_outbox_backlog").set(to: Double(figures.outboxBacklog))
        registry.makeGauge(name: "logatlas_webhook_outbox_oldest_seconds").set(to: figures.outboxOldestSeconds)
        if let inUse = database.connectionsInUse, let waiting = database.connectionsWaiting {
            registry.makeGauge(name: "logatlas_db_connections_in_use").set(to: Double(inUse))
            registry.makeGauge(name: "logatlas_db_connections_waiting").set(to: Double(waiting))
        }
        let gone = overdueSeen.withLock { seen in
            defer { seen = Set(figures.overdue.keys) }
            return seen.subtracting(figures.overdue.keys)
        }
        for (key, count) in figures.overdue.map({ ($0.key, $0.value) }) + gone.map({ ($0, 0) }) {
            registry.makeGauge(name: "logatlas_items_overdue", labels: [("priority", key.priority), ("org", key.org)]).set(to: Double(count))
        }
        for (key, share) in figures.readiness {
            registry.makeGauge(name: "logatlas_readiness_score", labels: [("policy", key.policy), ("org", key.org)]).set(to: share)
        }
        return registry.emitToString()
    }
}

extension ServiceMetrics {
    /// `GET /metrics` as `MetricsAccess` decides for the listener: open on loopback or on a metrics port of its own,
    /// behind `LOGATLAS_METRICS_TOKEN` otherwise.
    func register<Context: RequestContext>(on router: Router<Context>, listener: MetricsAccess.Listener, configuration: ServerConfiguration,
                                           database: Database, clock: @escaping @Sendable () -> Date) {
        router.get("/metrics") { request, _ in
            let header = request.headers[.authorization]
            let presented = header.flatMap { $0.lowercased().hasPrefix("bearer ") ? String($0.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil }
            switch MetricsAccess.decide(listener, configuredToken: configuration.metricsToken, presentedToken: presented) {
            case .allowed:
                let text = try await self.exposition(database: database, now: clock())
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: text)))
            case .tokenRequired:
                throw Problem(status: 401, title: "Unauthorized", detail: "send the metrics token: Authorization: Bearer <LOGATLAS_METRICS_TOKEN>")
            case .notServed:
                throw Problem.notFound("route", "/metrics")
            }
        }
    }
}
