import Foundation
import LogAtlasCore
import PostgresNIO

/// What an operator watches, read from PostgreSQL when `/metrics` is scraped: over every organisation (the
/// owner's view), since the endpoint is the operator's, not a tenant's.
public struct OperationalFigures: Sendable {
    /// Webhook messages not yet delivered nor given up, and the age of the oldest.
    public var outboxBacklog = 0
    public var outboxOldestSeconds = 0.0
    /// Open items past their delivery due date, by request priority and custodian organisation.
    public var overdue: [OverdueKey: Int] = [:]

    public struct OverdueKey: Hashable, Sendable {
        public var priority: String
        public var org: String
    }

    /// The weighted readiness score (0…1) by policy and organisation in the latest stored gap analysis that judged
    /// them over the whole inventory (a run narrowed to one system does not count).
    public var readiness: [ReadinessKey: Double] = [:]

    public struct ReadinessKey: Hashable, Sendable {
        public var policy: String
        public var org: String
    }

    /// Reads the figures as of `now`.
    public static func read(_ database: Database, now: Date) async throws -> OperationalFigures {
        try await database.asOwner(actor: "metrics") { connection in
            var figures = OperationalFigures()
            let outbox = try await connection.checkedQuery("""
                SELECT count(*)::int, coalesce(extract(epoch FROM \(now) - min(created_at)), 0)::float8
                FROM webhook_outbox WHERE delivered_at IS NULL AND failed_at IS NULL
                """, logger: database.logger)
            for try await (count, oldest) in outbox.decode((Int, Double).self) { (figures.outboxBacklog, figures.outboxOldestSeconds) = (count, oldest) }
            let overdue = try await connection.checkedQuery("""
                SELECT r.priority, i.custodian_org_id, count(*)::int
                FROM request_items i JOIN requests r ON r.id = i.request_id
                WHERE i.state IN ('requested', 'acknowledged', 'approved', 'in_progress', 'needs_info') AND i.deliver_due < \(now)
                GROUP BY 1, 2
                """, logger: database.logger)
            for try await (priority, org, count) in overdue.decode((String, String, Int).self) {
                figures.overdue[OverdueKey(priority: priority, org: org)] = count
            }
            let readiness = try await connection.checkedQuery("""
                SELECT DISTINCT ON (s.policy_id, s.org_id) s.policy_id, s.org_id,
                       CASE WHEN s.total > 0 THEN s.weighted / s.total ELSE 1 END
                FROM gap_report_scores s JOIN gap_reports r ON r.id = s.report_id
                WHERE r.system_filter IS NULL
                ORDER BY s.policy_id, s.org_id, r.created_at DESC
                """, logger: database.logger)
            for try await (policy, org, share) in readiness.decode((String, String, Double).self) {
                figures.readiness[ReadinessKey(policy: policy, org: org)] = share
            }
            return figures
        }
    }
}
