import Foundation
import LogAtlasCore
import PostgresNIO

/// Observed gaps in PostgreSQL, read and recorded as the caller under row-level security. The facts a record needs
/// (the item and its request, the source or system) are read in the same transaction, and Core decides
/// (`ObservedGapDraft.resolve`).
public struct PostgresObservedGapRepository: ObservedGapRepository {
    let database: Database

    public init(database: Database) { self.database = database }

    public func gaps(matching filter: ObservedGapFilter, as caller: Principal) async throws -> [ObservedGap] {
        try await database.withCaller(caller) { connection in
            try await Self.read(connection.checkedQuery("""
                SELECT * FROM observed_gaps
                WHERE (\(filter.open)::boolean IS NULL OR (closed_at IS NULL) = \(filter.open))
                  AND (\(filter.systemID?.rawValue)::text IS NULL OR system_id = \(filter.systemID?.rawValue))
                  AND (\(filter.incidentReference)::text IS NULL OR incident_reference = \(filter.incidentReference))
                ORDER BY recorded_at DESC, id
                """, logger: database.logger))
        }
    }

    public func gap(_ id: UUID, as caller: Principal) async throws -> ObservedGap {
        try await database.withCaller(caller) { connection in try await fetch(id, on: connection) }
    }

    public func record(_ draft: ObservedGapDraft, as caller: Principal, now: Date) async throws -> ObservedGap {
        guard caller.mayRecordObservedGaps else { throw ObservedGapError.forbidden("only the CSIRT and admins record observed gaps") }
        let issues = draft.issues()
        guard issues.isEmpty else { throw ObservedGapError.invalid(issues) }
        return try await database.withCaller(caller) { connection in
            var item: ObservedGapDraft.ItemFacts?
            if let itemID = draft.itemID, let requestID = draft.requestID {
                for try await (reference, type, team, state, sources) in try await connection.checkedQuery("""
                    SELECT r.incident_reference, r.incident_type, r.requester_org_id, i.state, i.source_ids
                    FROM request_items i JOIN requests r ON r.id = i.request_id
                    WHERE i.id = \(itemID.rawValue) AND r.id = \(requestID.rawValue)
                    """, logger: database.logger).decode((String, Int?, String?, String, [UUID]).self) {
                    item = .init(incidentReference: reference, incidentType: type.flatMap(IncidentType.init(rawValue:)),
                                 requesterOrgID: team.map { OrgID($0) }, state: ItemState(rawValue: state) ?? .requested,
                                 sourceIDs: sources.map { LogSourceID($0) })
                }
            }
            var source: ObservedGapDraft.SourceFacts?
            if let sourceID = draft.sourceID {
                for try await (system, owner, type) in try await connection.checkedQuery("""
                    SELECT system_id, system_owner_org_id, log_type FROM log_sources WHERE id = \(sourceID.rawValue)
                    """, logger: database.logger).decode((String, String, String).self) {
                    source = .init(systemID: SystemID(system), systemOwnerOrgID: OrgID(owner), logType: type)
                }
            }
            var system: (id: SystemID, owner: OrgID)?
            if let systemID = draft.systemID, Slug.isValid(systemID.rawValue) {
                for try await owner in try await connection.checkedQuery("""
                    SELECT owner_org_id FROM systems WHERE id = \(systemID.rawValue)
                    """, logger: database.logger).decode(String.self) {
                    system = (systemID, OrgID(owner))
                }
            }
            let gap = try draft.resolve(item: item, source: source, system: system, by: caller, now: now)
            try await connection.checkedQuery("""
                INSERT INTO observed_gaps (id, incident_reference, system_id, system_owner_org_id, log_type, source_id, kind, needed_days,
                                           needed_hours, fields, note, request_id, item_id, incident_type, recorded_by, recorded_at)
                VALUES (\(gap.id), \(gap.incidentReference), \(gap.systemID.rawValue), \(gap.systemOwnerOrgID.rawValue), \(gap.logType),
                        \(gap.sourceID?.rawValue), \(gap.kind.rawValue), \(gap.neededDays.map(Int32.init)), \(gap.neededHours), \(gap.fields),
                        \(gap.note), \(gap.requestID?.rawValue), \(gap.itemID?.rawValue), \(gap.incidentType.map { Int32($0.rawValue) }),
                        \(gap.recordedBy), \(gap.recordedAt))
                """, logger: database.logger)
            return try await fetch(gap.id, on: connection)
        }
    }

    public func close(_ id: UUID, reason: String, as caller: Principal, now: Date) async throws -> ObservedGap {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        var issues = Validation.controlIssues(reason, path: "reason")
        if trimmed.isEmpty || trimmed.count > 4000 { issues.append(.init(path: "reason", message: "why it is closed (1 to 4000 characters)")) }
        guard issues.isEmpty else { throw ObservedGapError.invalid(issues) }
        return try await database.withCaller(caller) { connection in
            let current = try await fetch(id, on: connection)
            guard caller.mayCloseObservedGaps else { throw ObservedGapError.forbidden("only admins close an observed gap by hand") }
            if let closure = current.closure { throw ObservedGapError.refused("the gap was closed already by \(closure.by): \(closure.reason)") }
            var closed = false
            for try await _ in try await connection.checkedQuery("""
                UPDATE observed_gaps SET closed_by = \(caller.name), closed_at = \(now), close_reason = \(trimmed)
                WHERE id = \(id) AND closed_at IS NULL RETURNING id
                """, logger: database.logger) { closed = true }
            guard closed else { throw ObservedGapError.refused("the gap was closed meanwhile") }
            return try await fetch(id, on: connection)
        }
    }

    public func closeMet(_ ids: [UUID], by report: UUID, as caller: Principal, now: Date) async throws -> [UUID] {
        guard !ids.isEmpty else { return [] }
        return try await database.withCaller(caller) { connection in
            var closed: [UUID] = []
            for try await id in try await connection.checkedQuery("""
                SELECT close_observed_gaps_met(\(ids), \(report), \(caller.name), \(now))
                """, logger: database.logger).decode(UUID.self) { closed.append(id) }
            return closed
        }
    }

    func fetch(_ id: UUID, on connection: PostgresConnection) async throws -> ObservedGap {
        guard let found = try await Self.read(connection.checkedQuery("SELECT * FROM observed_gaps WHERE id = \(id)", logger: database.logger)).first
        else { throw ObservedGapError.notFound(kind: "observed gap", id: id.uuidString.lowercased()) }
        return found
    }

    static func read(_ rows: PostgresRowSequence) async throws -> [ObservedGap] {
        var gaps: [ObservedGap] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            var closure: ObservedGap.Closure?
            if let by = try r.value("closed_by", as: String?.self), let at = try r.value("closed_at", as: Date?.self) {
                closure = .init(by: by, at: at, reason: try r.value("close_reason", as: String?.self) ?? "",
                                reportID: try r.value("closed_by_report", as: UUID?.self))
            }
            gaps.append(ObservedGap(
                id: try r.value("id"), incidentReference: try r.value("incident_reference"), systemID: SystemID(try r.value("system_id")),
                systemOwnerOrgID: OrgID(try r.value("system_owner_org_id")), logType: try r.value("log_type"),
                sourceID: try r.value("source_id", as: UUID?.self).map { LogSourceID($0) },
                kind: ObservedGapKind(rawValue: try r.value("kind")) ?? .missing, neededDays: try r.value("needed_days", as: Int?.self),
                neededHours: try r.value("needed_hours", as: Double?.self), fields: try r.value("fields"), note: try r.value("note"),
                requestID: try r.value("request_id", as: UUID?.self).map { RequestID($0) },
                itemID: try r.value("item_id", as: UUID?.self).map { RequestItemID($0) },
                incidentType: try r.value("incident_type", as: Int?.self).flatMap(IncidentType.init(rawValue:)),
                recordedBy: try r.value("recorded_by"), recordedAt: try r.value("recorded_at"), closure: closure))
        }
        return gaps
    }
}
