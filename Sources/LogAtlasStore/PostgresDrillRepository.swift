import Foundation
import LogAtlasCore
import PostgresNIO

/// Retrieval drills in PostgreSQL. Schedules are read and created as the caller; the drill job (`runPass`) claims,
/// files and judges drills as the owner. A drill is claimed by inserting its (schedule, period, source, tier) row:
/// the unique key lets exactly one replica win, and only the winner files its request.
public struct PostgresDrillRepository: DrillRepository {
    let database: Database

    public init(database: Database) { self.database = database }

    public func schedules(as caller: Principal) async throws -> [DrillSchedule] {
        try await database.withCaller(caller) { connection in
            try await Self.schedules(connection.checkedQuery("SELECT * FROM drill_schedules ORDER BY created_at, id", logger: database.logger))
        }
    }

    public func drills(as caller: Principal) async throws -> [Drill] {
        try await database.withCaller(caller) { connection in
            try await Self.drills(connection.checkedQuery("SELECT * FROM drills ORDER BY claimed_at DESC, id LIMIT 500", logger: database.logger))
        }
    }

    public func schedule(_ schedule: DrillSchedule, as caller: Principal) async throws -> DrillSchedule {
        guard caller.mayScheduleDrills(for: schedule.csirtOrgID) else {
            throw RequestError.forbidden("only admins and members of the CSIRT team that files them schedule drills")
        }
        let issues = schedule.issues()
        guard issues.isEmpty else { throw RequestError.invalid(issues) }
        return try await database.withCaller(caller) { connection in
            var known = false
            for try await _ in try await connection.checkedQuery("SELECT 1 FROM orgs WHERE id = \(schedule.custodianOrgID.rawValue)",
                                                                 logger: database.logger) { known = true }
            guard known else { throw RequestError.invalid([.init(path: "custodian_org", message: "no organisation '\(schedule.custodianOrgID)'")]) }
            try await connection.checkedQuery("""
                INSERT INTO drill_schedules (id, custodian_org_id, csirt_org_id, source_ids, every_days, window_hours, created_by, created_at)
                VALUES (\(schedule.id), \(schedule.custodianOrgID.rawValue), \(schedule.csirtOrgID.rawValue), \(schedule.sourceIDs.map(\.rawValue)),
                        \(Int32(schedule.everyDays)), \(schedule.windowHours), \(caller.name), \(schedule.createdAt))
                """, logger: database.logger)
            return try await Self.schedules(connection.checkedQuery("SELECT * FROM drill_schedules WHERE id = \(schedule.id)",
                                                                    logger: database.logger)).first!
        }
    }

    public func lastPassed(as caller: Principal) async throws -> [LogSourceID: Date] {
        try await database.withCaller(caller) { connection in
            var passed: [LogSourceID: Date] = [:]
            for try await (source, at) in try await connection.checkedQuery("""
                SELECT source_id, max(judged_at) FROM drills WHERE outcome = 'passed' GROUP BY source_id
                """, logger: database.logger).decode((UUID, Date).self) { passed[LogSourceID(source)] = at }
            return passed
        }
    }

    /// One pass of the drill job as of `now`: files every drill whose period has begun and that no replica claimed
    /// yet, then judges the drills whose items were answered. Returns the drills it filed and those it judged.
    public func runPass(now: Date, sla: SLAPolicy) async throws -> (filed: [Drill], judged: [Drill]) {
        let schedules = try await database.asOwner(actor: "drills") { connection in
            try await Self.schedules(connection.checkedQuery("SELECT * FROM drill_schedules", logger: database.logger))
        }
        var filed: [Drill] = []
        if !schedules.isEmpty {
            let sources = try await PostgresInventoryRepository(database: database).export(as: .system(named: "drills")).sources
            for schedule in schedules {
                for drill in try await claim(schedule, targets: schedule.targets(in: sources, now: now), now: now) {
                    filed.append(try await file(drill, of: schedule, now: now, sla: sla))
                }
            }
        }
        return (filed, try await judge(now: now))
    }

    /// Inserts the period's drills of `schedule`; returns those this call inserted (the others were claimed before).
    func claim(_ schedule: DrillSchedule, targets: [DrillTarget], now: Date) async throws -> [Drill] {
        guard !targets.isEmpty else { return [] }
        let period = schedule.period(at: now)
        let drills = targets.map { Drill(scheduleID: schedule.id, period: period, target: $0) }
        return try await database.asOwner(actor: "drills") { connection in
            try await Self.drills(connection.checkedQuery("""
                INSERT INTO drills (id, schedule_id, period, source_id, custodian_org_id, tier_index, medium, tier_days, window_from, window_to,
                                    expected_hours, longest, claimed_at)
                SELECT x.id, \(schedule.id), \(Int32(period)), x.source, \(schedule.custodianOrgID.rawValue), x.tier, x.medium, x.days, x.wfrom, x.wto,
                       x.expected, x.longest, \(now)
                FROM unnest(\(drills.map(\.id)), \(drills.map(\.target.sourceID.rawValue)), \(drills.map { Int32($0.target.tierIndex) }),
                            \(drills.map(\.target.medium.rawValue)), \(drills.map { Int32($0.target.tierDays) }), \(drills.map(\.target.window.from)),
                            \(drills.map(\.target.window.to)), \(drills.map(\.target.expectedHours)), \(drills.map(\.target.isLongest)))
                     AS x(id, source, tier, medium, days, wfrom, wto, expected, longest)
                ON CONFLICT (schedule_id, period, source_id, tier_index) DO NOTHING
                RETURNING *
                """, logger: database.logger))
        }
    }

    /// Files the drill's request as the schedule's CSIRT team and marks it a drill; a drill that cannot be filed
    /// (the source changed since) fails with the reason.
    func file(_ drill: Drill, of schedule: DrillSchedule, now: Date, sla: SLAPolicy) async throws -> Drill {
        let team = Principal(userID: UserID(), name: "drill", role: .csirt, orgIDs: [schedule.csirtOrgID])
        let draft = RequestDraft(incidentReference: "DRILL-\(schedule.id.uuidString.prefix(8).lowercased())-\(drill.period)",
                                 purpose: "Retrieval drill: please deliver a sample of this window, the oldest day the \(drill.target.medium.rawValue) "
                                     + "tier declares to keep (\(drill.target.tierDays) d), or reject with what you found.",
                                 priority: .medium, window: drill.target.window, sourceIDs: [drill.target.sourceID])
        var result = drill
        do {
            let request = try await PostgresRequestRepository(database: database).file(draft, sla: sla, now: now, as: team).request
            result.requestID = request.id
            result.itemID = request.items.first?.id
            result.filedAt = now
            _ = try await database.asOwner(actor: "drills") { connection in
                try await connection.checkedQuery("UPDATE requests SET drill = true WHERE id = \(request.id.rawValue)", logger: database.logger)
                try await connection.checkedQuery("""
                    UPDATE drills SET request_id = \(request.id.rawValue), item_id = \(result.itemID?.rawValue), filed_at = \(now) WHERE id = \(drill.id)
                    """, logger: database.logger)
            }
        } catch let error as RequestError {
            result.outcome = .failed
            result.reason = "could not be filed: \(error)"
            result.judgedAt = now
            _ = try await database.asOwner(actor: "drills") { connection in
                try await connection.checkedQuery("""
                    UPDATE drills SET outcome = 'failed', reason = \(result.reason), judged_at = \(now) WHERE id = \(drill.id)
                    """, logger: database.logger)
            }
        }
        return result
    }

    /// Judges the pending drills whose items were answered (`Drill.judge`); a pass at the longest tier's edge attests
    /// the window's start.
    func judge(now: Date) async throws -> [Drill] {
        try await database.asOwner(actor: "drills") { connection in
            let rows = try await connection.checkedQuery("""
                SELECT d.id, i.state, r.filed_at, i.delivered_at, i.reject_reason FROM drills d
                JOIN request_items i ON i.id = d.item_id JOIN requests r ON r.id = d.request_id
                WHERE d.outcome = 'pending' AND i.state IN ('delivered', 'received', 'rejected', 'expired', 'cancelled')
                FOR UPDATE OF d
                """, logger: database.logger)
            var answered: [(UUID, ItemState, Date, Date?, String?)] = []
            for try await (id, state, filedAt, deliveredAt, reason) in rows.decode((UUID, String, Date, Date?, String?).self) {
                answered.append((id, ItemState(rawValue: state) ?? .requested, filedAt, deliveredAt, reason))
            }
            var judged: [Drill] = []
            for (id, state, filedAt, deliveredAt, rejectReason) in answered {
                let drill = try await Self.drills(connection.checkedQuery("SELECT * FROM drills WHERE id = \(id)", logger: database.logger)).first!
                guard let verdict = Drill.judge(state: state, filedAt: filedAt, deliveredAt: deliveredAt, rejectReason: rejectReason,
                                                expectedHours: drill.target.expectedHours) else { continue }
                try await connection.checkedQuery("""
                    UPDATE drills SET outcome = \(verdict.outcome.rawValue), reason = \(verdict.reason), judged_at = \(now) WHERE id = \(id)
                    """, logger: database.logger)
                if verdict.outcome == .passed, drill.target.isLongest, let deliveredAt {
                    try await connection.checkedQuery("""
                        INSERT INTO attestations (source_id, oldest_record_at, checked_at, checked_by, method)
                        VALUES (\(drill.target.sourceID.rawValue), \(drill.target.window.from), \(deliveredAt), 'drill', 'drill')
                        """, logger: database.logger)
                }
                var result = drill
                (result.outcome, result.reason, result.judgedAt) = (verdict.outcome, verdict.reason, now)
                judged.append(result)
            }
            return judged
        }
    }

    static func schedules(_ rows: PostgresRowSequence) async throws -> [DrillSchedule] {
        var schedules: [DrillSchedule] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            schedules.append(DrillSchedule(id: try r.value("id"), custodianOrgID: OrgID(try r.value("custodian_org_id")),
                                           csirtOrgID: OrgID(try r.value("csirt_org_id")),
                                           sourceIDs: try r.value("source_ids", as: [UUID].self).map { LogSourceID($0) },
                                           everyDays: try r.value("every_days"), windowHours: try r.value("window_hours"),
                                           createdBy: try r.value("created_by"), createdAt: try r.value("created_at")))
        }
        return schedules
    }

    static func drills(_ rows: PostgresRowSequence) async throws -> [Drill] {
        var drills: [Drill] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            let target = DrillTarget(sourceID: LogSourceID(try r.value("source_id", as: UUID.self)), tierIndex: try r.value("tier_index"),
                                     medium: StorageMedium(rawValue: try r.value("medium")) ?? .tape, tierDays: try r.value("tier_days"),
                                     window: TimeWindow(from: try r.value("window_from"), to: try r.value("window_to")),
                                     expectedHours: try r.value("expected_hours"), isLongest: try r.value("longest"))
            drills.append(Drill(id: try r.value("id"), scheduleID: try r.value("schedule_id"), period: try r.value("period"), target: target,
                                requestID: try r.value("request_id", as: UUID?.self).map { RequestID($0) },
                                itemID: try r.value("item_id", as: UUID?.self).map { RequestItemID($0) }, filedAt: try r.value("filed_at", as: Date?.self),
                                outcome: DrillOutcome(rawValue: try r.value("outcome")) ?? .pending, reason: try r.value("reason", as: String?.self),
                                judgedAt: try r.value("judged_at", as: Date?.self)))
        }
        return drills
    }
}
