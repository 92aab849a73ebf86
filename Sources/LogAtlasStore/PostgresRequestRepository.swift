import Foundation
import LogAtlasCore
import PostgresNIO

/// Retrieval requests in PostgreSQL. Every read runs as the caller under row-level security, so a custodian's
/// request carries only its own organisations' items.
public struct PostgresRequestRepository: RequestRepository {
    let database: Database

    public init(database: Database) { self.database = database }

    public func preview(_ draft: RequestDraft, sla: SLAPolicy, now: Date, as caller: Principal) async throws -> RequestPlanner.Plan {
        try requireFiler(caller)
        return try await database.withConnection { connection in try await plan(draft, sla: sla, now: now, caller: caller, on: connection) }
    }

    public func file(_ draft: RequestDraft, sla: SLAPolicy, now: Date, as caller: Principal) async throws -> RequestPlanner.Plan {
        try requireFiler(caller)
        // Two statements, each its own transaction and each setting the caller itself (schema/migrations/0001_inventory.sql, 0004_requests.sql): the sources are
        // read and the request inserted as the caller, and the insert is atomic.
        return try await database.withConnection { connection in
            let plan = try await plan(draft, sla: sla, now: now, caller: caller, on: connection)
            let request = plan.request
            let items = try RequestRows.json(request.items.map { RequestRows.ItemRecord($0, requesterOrg: request.requesterOrgID) })
            let insert = FileRequestAsCaller(caller: CallerSettings(caller), request: request, hints: try RequestRows.json(draft.hints), items: items,
                                             events: try RequestRows.json(plan.events.map(RequestRows.EventRecord.init)))
            _ = try await connection.checkedExecute(insert, logger: database.logger)
            return plan
        }
    }

    /// Reads the drafted sources as the caller (and, for a team's request, the agreements that could cover them and
    /// their systems' tags) and plans the request.
    func plan(_ draft: RequestDraft, sla: SLAPolicy, now: Date, caller: Principal, on connection: PostgresConnection) async throws -> RequestPlanner.Plan {
        var sources: [LogSourceID: LogSource] = [:]
        for row in try await connection.checkedExecute(SourcesAsCaller(caller: CallerSettings(caller), ids: draft.sourceIDs.map(\.rawValue)),
                                                          logger: database.logger) {
            let source = try InventoryRows.source(row).source
            sources[source.id] = source
        }
        var agreements: [RetrievalAgreement] = [], tags: [SystemID: [String]] = [:]
        if let team = caller.requesterTeam, !sources.isEmpty {
            let settings = CallerSettings(caller)
            agreements = try await AgreementRows.read(connection.checkedQuery("""
                SELECT * FROM agreements_as_caller(\(settings.role), \(settings.orgs), \(settings.actor), \(team.rawValue),
                                                   \(Array(Set(sources.values.map(\.custodianOrgID.rawValue)))))
                """, logger: database.logger))
            if !agreements.isEmpty {
                let rows = try await connection.checkedQuery("""
                    SELECT id, tags FROM system_tags_as_caller(\(settings.role), \(settings.orgs), \(settings.actor),
                                                               \(Array(Set(sources.values.map(\.systemID.rawValue)))))
                    """, logger: database.logger)
                for try await (id, systemTags) in rows.decode((String, [String]).self) { tags[SystemID(id)] = systemTags }
            }
        }
        return try RequestPlanner.plan(draft, sources: sources, requester: caller, requesterOrg: caller.requesterTeam, now: now, sla: sla,
                                       agreements: agreements, systemTags: tags)
    }

    public func requests(matching filter: RequestFilter, now: Date, as caller: Principal, page: PageRequest) async throws -> Page<RetrievalRequest> {
        let after = try Cursor.decode(page.after).map { key -> (Date, UUID) in
            let parts = key.split(separator: "|")
            guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else {
                throw InputError.invalid([ValidationIssue(path: "cursor", message: "not a cursor this server issued")])
            }
            return (Date(timeIntervalSince1970: Double(micros) / 1_000_000), id)
        }
        return try await database.withCaller(caller) { connection in
            let rows = try await connection.checkedQuery("""
                WITH filtered AS (
                    SELECT r.id, r.filed_at FROM requests r
                    WHERE (\(filter.priority?.rawValue)::text IS NULL OR r.priority = \(filter.priority?.rawValue))
                      AND EXISTS (SELECT 1 FROM request_items i WHERE i.request_id = r.id
                          AND (\(filter.state?.rawValue)::text IS NULL OR i.state = \(filter.state?.rawValue))
                          AND (\(filter.org?.rawValue)::text IS NULL OR i.custodian_org_id = \(filter.org?.rawValue))
                          AND (NOT \(filter.overdueOnly) OR (i.state = 'requested' AND i.acknowledge_due < \(now))
                               OR (i.state IN ('requested', 'acknowledged', 'approved', 'in_progress', 'needs_info') AND i.deliver_due < \(now))))),
                     page AS (SELECT id, filed_at FROM filtered
                              WHERE \(after?.1)::uuid IS NULL OR (filed_at, id) < (\(after?.0)::timestamptz, \(after?.1)::uuid)
                              ORDER BY filed_at DESC, id DESC LIMIT \(page.limit + 1))
                SELECT t.total, \(unescaped: RequestRows.requestColumns)
                FROM (SELECT count(*) AS total FROM filtered) t
                LEFT JOIN requests r ON r.id IN (SELECT id FROM page)
                ORDER BY r.filed_at DESC, r.id DESC
                """, logger: database.logger)
            var total = 0
            var requests: [RetrievalRequest] = []
            for try await row in rows {
                let r = row.makeRandomAccess()
                total = try r.value("total")
                if try r.value("id", as: UUID?.self) != nil { requests.append(try RequestRows.request(r)) }
            }
            var next: String?
            if requests.count > page.limit {
                requests.removeLast()
                let last = requests[requests.count - 1]
                next = Cursor.encode("\(Int64((last.filedAt.timeIntervalSince1970 * 1_000_000).rounded()))|\(last.id)")
            }
            let items = try await self.items(of: requests.map(\.id), on: connection)
            for index in requests.indices { requests[index].items = items[requests[index].id] ?? [] }
            return Page(items: requests, nextCursor: next, total: total)
        }
    }

    public func request(_ id: RequestID, as caller: Principal) async throws -> RetrievalRequest {
        try await database.withCaller(caller) { connection in try await fetchRequest(id, on: connection) }
    }

    func fetchRequest(_ id: RequestID, on connection: PostgresConnection) async throws -> RetrievalRequest {
        let rows = try await connection.checkedQuery("SELECT \(unescaped: RequestRows.requestColumns) FROM requests r WHERE r.id = \(id.rawValue)",
                                              logger: database.logger)
        var request: RetrievalRequest?
        for try await row in rows { request = try RequestRows.request(row.makeRandomAccess()) }
        guard var request else { throw RequestError.notFound(kind: "request", id: id.description) }
        request.items = try await items(of: [id], on: connection)[id] ?? []
        request.draft.sourceIDs = request.items.flatMap(\.sourceIDs)
        return request
    }

    /// The visible items of the given requests.
    func items(of ids: [RequestID], on connection: PostgresConnection) async throws -> [RequestID: [RequestItem]] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await connection.checkedQuery("""
            SELECT \(unescaped: RequestRows.itemColumns) FROM request_items i WHERE i.request_id = ANY(\(ids.map(\.rawValue)))
            ORDER BY i.custodian_org_id
            """, logger: database.logger)
        var items: [RequestID: [RequestItem]] = [:]
        for try await row in rows {
            let (requestID, item) = try RequestRows.item(row.makeRandomAccess())
            items[requestID, default: []].append(item)
        }
        return items
    }

    public func transition(_ action: ItemAction, item: RequestItemID, of request: RequestID, note: String?, deliverDue asked: Date?,
                           as caller: Principal, now: Date) async throws -> RequestItem {
        let controls = Validation.controlIssues(note, path: "note")
        guard controls.isEmpty else { throw RequestError.invalid(controls) }
        return try await database.withCaller(caller) { connection in
            let current = try await fetchItem(item, of: request, on: connection)
            let parties = caller.parties(requesterOrg: current.requesterOrg, custodian: current.item.custodianOrgID)
            let outcome: TransitionOutcome
            let terms = DueDateTerms(deliverDue: current.item.deliverDue, proposed: current.item.proposal?.deliverDue, asked: asked, now: now)
            switch ItemStateMachine.decide(action, by: parties, state: current.item.state, resumeState: current.item.resumeState,
                                           note: note, evidenceCount: current.item.evidenceCount, terms: terms) {
            case .success(let decided): outcome = decided
            case .failure(let refusal): throw RequestError.refused(refusal)
            }
            let trimmed = note?.trimmingCharacters(in: .whitespacesAndNewlines)
            // Conditioned on the state and version read above: of two concurrent transitions only one matches.
            let updated = try await connection.checkedQuery("""
                UPDATE request_items SET state = \(outcome.to.rawValue), resume_state = \(outcome.resumeState?.rawValue), version = version + 1,
                    acknowledged_at = CASE WHEN \(outcome.to.rawValue) = 'acknowledged' AND acknowledged_at IS NULL THEN \(now) ELSE acknowledged_at END,
                    delivered_at = CASE WHEN \(outcome.to.rawValue) = 'delivered' THEN \(now) ELSE delivered_at END,
                    closed_at = CASE WHEN \(outcome.to.rawValue) IN ('rejected', 'received', 'cancelled', 'expired') THEN \(now) ELSE closed_at END,
                    reject_reason = CASE WHEN \(action.rawValue) = 'reject' THEN \(trimmed) ELSE reject_reason END,
                    outcome = CASE WHEN \(action.rawValue) = 'receive' THEN \(trimmed) ELSE outcome END,
                    deliver_due = \(outcome.deliverDue ?? current.item.deliverDue), proposed_deliver_due = \(outcome.proposedDue)::timestamptz,
                    proposed_by = CASE WHEN \(outcome.proposedDue)::timestamptz IS NULL THEN NULL
                                       WHEN \(action.rawValue) = 'propose_due_date' THEN \(caller.name) ELSE proposed_by END,
                    proposed_at = CASE WHEN \(outcome.proposedDue)::timestamptz IS NULL THEN NULL
                                       WHEN \(action.rawValue) = 'propose_due_date' THEN \(now) ELSE proposed_at END,
                    proposal_reason = CASE WHEN \(outcome.proposedDue)::timestamptz IS NULL THEN NULL
                                           WHEN \(action.rawValue) = 'propose_due_date' THEN \(trimmed) ELSE proposal_reason END
                WHERE id = \(item.rawValue) AND state = \(outcome.from.rawValue) AND version = \(current.item.version)
                RETURNING id
                """, logger: database.logger)
            var applied = false
            for try await _ in updated { applied = true }
            guard applied else {
                let now = try await fetchItem(item, of: request, on: connection)
                throw RequestError.conflict(item: item, current: now.item.state)
            }
            try await connection.checkedQuery("""
                INSERT INTO item_events (item_id, request_id, action, from_state, to_state, actor, note, at)
                VALUES (\(item.rawValue), \(request.rawValue), \(action.rawValue), \(outcome.from.rawValue), \(outcome.to.rawValue),
                        \(caller.name), \(trimmed), \(now))
                """, logger: database.logger)
            return try await fetchItem(item, of: request, on: connection).item
        }
    }

    /// One visible item with the team that filed its request.
    func fetchItem(_ id: RequestItemID, of request: RequestID, on connection: PostgresConnection) async throws -> (item: RequestItem, requesterOrg: OrgID?) {
        let rows = try await connection.checkedQuery("""
            SELECT \(unescaped: RequestRows.itemColumns), i.requester_org_id FROM request_items i
            WHERE i.id = \(id.rawValue) AND i.request_id = \(request.rawValue)
            """, logger: database.logger)
        for try await row in rows {
            let r = row.makeRandomAccess()
            return (try RequestRows.item(r).item, try r.value("requester_org_id", as: String?.self).map { OrgID($0) })
        }
        throw RequestError.notFound(kind: "request item", id: id.description)
    }

    public func history(of request: RequestID, as caller: Principal) async throws -> [ItemEvent] {
        try await database.withCaller(caller) { connection in
            _ = try await fetchRequest(request, on: connection)
            return try await fetchHistory(of: request, on: connection)
        }
    }

    func fetchHistory(of request: RequestID, on connection: PostgresConnection) async throws -> [ItemEvent] {
        let rows = try await connection.checkedQuery("""
            SELECT item_id, action, from_state, to_state, actor, note, at FROM item_events WHERE request_id = \(request.rawValue) ORDER BY id
            """, logger: database.logger)
        var events: [ItemEvent] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            events.append(ItemEvent(itemID: RequestItemID(try r.value("item_id", as: UUID.self)),
                                    action: ItemAction(rawValue: try r.value("action")) ?? .acknowledge,
                                    from: ItemState(rawValue: try r.value("from_state")) ?? .requested,
                                    to: ItemState(rawValue: try r.value("to_state")) ?? .requested,
                                    actor: try r.value("actor"), note: try r.value("note"), at: try r.value("at")))
        }
        return events
    }

    func requireFiler(_ caller: Principal) throws {
        guard caller.mayFileRequests else { throw RequestError.forbidden("only CSIRT members and admins file retrieval requests") }
    }
}

extension PostgresRequestRepository {
    public func friction(org: OrgID?, now: Date, as caller: Principal) async throws -> FrictionReport {
        try await database.withCaller(caller) { connection in
            let rows = try await connection.checkedQuery("""
                SELECT i.custodian_org_id, i.source_ids, i.state, r.filed_at, i.acknowledge_due, i.deliver_due, i.acknowledged_at,
                       i.delivered_at, i.closed_at
                FROM request_items i JOIN requests r ON r.id = i.request_id
                WHERE (\(org?.rawValue)::text IS NULL OR i.custodian_org_id = \(org?.rawValue)) AND NOT r.drill   -- drills are exercises
                """, logger: database.logger)
            var samples: [FrictionSample] = []
            for try await row in rows {
                let r = row.makeRandomAccess()
                samples.append(FrictionSample(
                    custodianOrgID: OrgID(try r.value("custodian_org_id")), sourceIDs: try r.value("source_ids", as: [UUID].self).map { LogSourceID($0) },
                    state: ItemState(rawValue: try r.value("state")) ?? .requested, filedAt: try r.value("filed_at"),
                    acknowledgeDue: try r.value("acknowledge_due"), deliverDue: try r.value("deliver_due"),
                    acknowledgedAt: try r.value("acknowledged_at"), deliveredAt: try r.value("delivered_at"), closedAt: try r.value("closed_at")))
            }
            let ids = Array(Set(samples.flatMap(\.sourceIDs))).map(\.rawValue)
            let sourceRows = try await connection.checkedQuery("""
                SELECT * FROM source_rows WHERE id = ANY(\(ids))
                """, logger: database.logger)
            var sources: [LogSourceID: LogSource] = [:]
            for try await row in sourceRows {
                let source = try InventoryRows.source(row.makeRandomAccess()).source
                sources[source.id] = source
            }
            return FrictionReport.compute(samples, sources: sources, now: now)
        }
    }
}
