import Foundation
import LogAtlasCore
import LogAtlasStore
import Logging
import ServiceLifecycle

/// Runs `work` every `interval` until shutdown; a failing pass is logged and retried on the next tick. Each pass
/// is counted in `metrics` (runs by outcome, duration).
struct PeriodicJob: Service {
    let name: String
    let interval: Duration
    let metrics: ServiceMetrics?
    let logger: Logger
    let work: @Sendable () async throws -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let started = ContinuousClock.now
                do {
                    try await work()
                    metrics?.recordJob(name, failed: false, duration: ContinuousClock.now - started)
                } catch {
                    metrics?.recordJob(name, failed: true, duration: ContinuousClock.now - started)
                    logger.error("\(name) pass failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}

/// The broker's background jobs: the SLA pass and the evidence retention pass (each one replica at a time, by
/// advisory lock), webhook delivery and e-mail (any number of replicas, each claiming different messages). Without an
/// artifact store there is no retention job; without a mail server no mail job.
public enum BrokerJobs {
    public static func services(database: Database, broker: BrokerSettings, artifactStore: (any ArtifactStore)? = nil,
                                metrics: ServiceMetrics? = nil, logger: Logger,
                                clock: @escaping @Sendable () -> Date = Date.init) -> [any Service] {
        let sla = SLAStore(database: database)
        let retention = EvidenceRetentionStore(database: database)
        let notifications = NotificationStore(database: database)
        let sender = WebhookSender(allowing: broker.webhookAllow, clock: clock)
        let drills = PostgresDrillRepository(database: database)
        var jobs: [any Service] = [
            PeriodicJob(name: "sla", interval: broker.slaInterval, metrics: metrics, logger: logger) {
                if let result = try await sla.runPass(now: clock(), policy: broker.sla), result.eventCount > 0 {
                    logger.info("SLA pass", metadata: ["events": "\(result.eventCount)", "expired": "\(result.expired.count)"])
                }
            },
            // Files the retrieval drills whose period began (exactly once across replicas) and judges the answered ones.
            PeriodicJob(name: "drills", interval: broker.slaInterval, metrics: metrics, logger: logger) {
                let (filed, judged) = try await drills.runPass(now: clock(), sla: broker.sla)
                if !filed.isEmpty || !judged.isEmpty {
                    logger.info("drill pass", metadata: ["filed": "\(filed.count)", "judged": "\(judged.count)"])
                }
            },
            PeriodicJob(name: "webhooks", interval: broker.webhookInterval, metrics: metrics, logger: logger) {
                // Drain what is due, a batch at a time.
                while try await notifications.deliverDue(now: clock(), retry: broker.retry, { await sender.send($0) }) > 0 {}
            },
        ]
        if let smtp = broker.smtp {
            let mailer = SMTPSender(settings: smtp)
            jobs.append(PeriodicJob(name: "mail", interval: broker.webhookInterval, metrics: metrics, logger: logger) {
                while try await notifications.deliverDueMail(now: clock(), retry: broker.retry, { await mailer.send($0) }) > 0 {}
            })
        }
        if let artifactStore {
            jobs.append(PeriodicJob(name: "retention", interval: broker.retentionInterval, metrics: metrics, logger: logger) {
                if let purged = try await retention.runPass(now: clock(), policy: broker.retention, store: artifactStore, logger: logger),
                   !purged.isEmpty {
                    logger.info("evidence retention pass", metadata: ["purged": "\(purged.count)"])
                }
            })
        }
        return jobs
    }
}
