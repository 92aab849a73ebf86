import Foundation
import LogAtlasCore
import PostgresNIO

/// What one SLA pass did.
public struct SLAPassResult: Hashable, Sendable {
    /// Events raised, by item.
    public var raised: [RequestItemID: [SLAEvent]]
    public var expired: [RequestItemID]
    /// Agreements whose lapse reminder went out to both sides.
    public var remindedAgreements: [AgreementID] = []

    public var eventCount: Int { raised.values.reduce(0) { $0 + $1.count } }
}

/// The SLA job's database side: reminders, overdue escalations and expiry of open items, and the reminder that a
/// standing agreement lapses soon. Each pass runs in one
/// transaction under a transaction-level advisory lock, so exactly one replica works at a time; which events
/// were raised is kept in `sla_events`, so a restart neither repeats nor forgets any.
public struct SLAStore: Sendable {
    let database: Database
    /// Advisory lock key of the SLA pass.
    static let lockKey: Int64 = 7_310_002

    public init(database: Database) { self.database = database }

    /// Runs one pass as of `now`; nil when another replica holds the lock.
    public func runPass(now: Date, policy: SLAPolicy) async throws -> SLAPassResult? {
        try await database.asOwner(actor: "sla") { connection in
            let locked = try await connection.checkedQuery("SELECT pg_try_advisory_xact_lock(\(Self.lockKey))", logger: database.logger)
            for try await got in locked.decode(Bool.self) where !got { return nil }
            let rows = try await connection.checkedQuery("""
                SELECT i.id, i.request_id, i.state, i.version, r.filed_at, i.acknowledge_due, i.deliver_due,
                       coalesce((SELECT array_agg(e.event) FROM sla_events e WHERE e.item_id = i.id), '{}') AS raised
                FROM request_items i JOIN requests r ON r.id = i.request_id
                WHERE i.state IN ('requested', 'acknowledged', 'approved', 'in_progress', 'needs_info')
                  AND i.sla_from <= \(now)   -- when the first event can fall due, stored at filing
                FOR UPDATE OF i
                """, logger: database.logger)
            var result = SLAPassResult(raised: [:], expired: [])
            var expiring: [(UUID, UUID, String, Int)] = []
            var inserts: [(UUID, String)] = []
            for try await row in rows {
                let r = row.makeRandomAccess()
                let id: UUID = try r.value("id")
                let state = ItemState(rawValue: try r.value("state")) ?? .requested
                let raised = Set(try r.value("raised", as: [String].self).compactMap(SLAEvent.init(rawValue:)))
                let due = policy.dueEvents(state: state, filedAt: try r.value("filed_at"), acknowledgeDue: try r.value("acknowledge_due"),
                                           deliverDue: try r.value("deliver_due"), now: now, raised: raised)
                guard !due.isEmpty else { continue }
                result.raised[RequestItemID(id)] = due
                inserts += due.map { (id, $0.rawValue) }
                if due.contains(.expire) { expiring.append((id, try r.value("request_id"), state.rawValue, try r.value("version"))) }
            }
            let lead = "\(Int(RetrievalAgreement.reminderLead)) seconds"
            for try await id in try await connection.checkedQuery("SELECT remind_lapsing_agreements(\(now), \(lead)::interval)",
                                                                  logger: database.logger).decode(UUID.self) {
                result.remindedAgreements.append(AgreementID(id))
            }
            guard !inserts.isEmpty else { return result }
            try await connection.checkedQuery("""
                INSERT INTO sla_events (item_id, event, raised_at)
                SELECT x.item, x.event, \(now) FROM unnest(\(inserts.map(\.0)), \(inserts.map(\.1))) AS x(item, event)
                ON CONFLICT DO NOTHING
                """, logger: database.logger)
            for (id, request, state, version) in expiring {
                try await expire(id, request: request, from: state, version: version, now: now, on: connection)
                result.expired.append(RequestItemID(id))
            }
            return result
        }
    }

    /// The state machine's `expire`, fired by the system on a long-overdue item.
    func expire(_ id: UUID, request: UUID, from state: String, version: Int, now: Date, on connection: PostgresConnection) async throws {
        guard case .success(let outcome) = ItemStateMachine.decide(.expire, by: [.system], state: ItemState(rawValue: state) ?? .requested) else { return }
        try await connection.checkedQuery("""
            UPDATE request_items SET state = \(outcome.to.rawValue), resume_state = NULL, closed_at = \(now), version = version + 1
            WHERE id = \(id) AND version = \(version)
            """, logger: database.logger)
        try await connection.checkedQuery("""
            INSERT INTO item_events (item_id, request_id, action, from_state, to_state, actor, note, at)
            VALUES (\(id), \(request), 'expire', \(state), \(outcome.to.rawValue), 'sla', 'long overdue: expired by the SLA job', \(now))
            """, logger: database.logger)
    }

    /// The SLA events raised for an item (for views and tests).
    public func events(of item: RequestItemID) async throws -> [SLAEvent] {
        try await database.query("SELECT event FROM sla_events WHERE item_id = \(item.rawValue) ORDER BY raised_at, event") { rows in
            var events: [SLAEvent] = []
            for try await event in rows.decode(String.self) { if let parsed = SLAEvent(rawValue: event) { events.append(parsed) } }
            return events
        }
    }
}
