import Foundation
import LogAtlasCore
import PostgresNIO

extension PostgresInventoryRepository {
    public func sources(matching filter: SourceFilter, as caller: Principal, page: PageRequest) async throws -> Page<LogSource> {
        let after = try Cursor.decode(page.after).map { key -> UUID in
            guard let id = UUID(uuidString: key) else { throw InventoryError.invalid([ValidationIssue(path: "cursor", message: "not a cursor this server issued")]) }
            return id
        }
        let scope = Scope(caller)
        let text = Cursor.likePattern(filter.text)
        let org = filter.org?.rawValue, system = filter.system?.rawValue, medium = filter.medium?.rawValue
        return try await database.withCaller(caller) { connection in
            let rows = try await connection.checkedQuery("""
                WITH filtered AS (
                    SELECT s.id FROM log_sources s
                    WHERE (\(scope.all) OR s.custodian_org_id = ANY(\(scope.orgs)) OR s.system_owner_org_id = ANY(\(scope.orgs)))
                      AND (\(org)::text IS NULL OR s.custodian_org_id = \(org) OR s.system_owner_org_id = \(org))
                      AND (\(system)::text IS NULL OR s.system_id = \(system))
                      AND (\(filter.logType)::text IS NULL OR s.log_type = \(filter.logType))
                      AND (\(medium)::text IS NULL OR s.retention_tiers @> jsonb_build_array(jsonb_build_object('medium', \(medium)::text)))
                      AND (\(text)::text IS NULL OR s.name ILIKE \(text) OR s.product ILIKE \(text) OR s.notes ILIKE \(text))),
                     page AS (SELECT id FROM filtered WHERE (\(after)::uuid IS NULL OR id > \(after)) ORDER BY id LIMIT \(page.limit + 1))
                SELECT t.total, x.* FROM (SELECT count(*) AS total FROM filtered) t
                LEFT JOIN (SELECT * FROM source_rows WHERE id IN (SELECT id FROM page)) x ON true
                ORDER BY x.id
                """, logger: database.logger)
            return try await Self.page(rows, limit: page.limit, key: { $0.id.description }) { try InventoryRows.source($0).source }
        }
    }

    public func source(_ id: LogSourceID, as caller: Principal) async throws -> LogSource {
        try await database.withConnection { connection in
            for row in try await connection.checkedExecute(SourceAsCaller(caller: CallerSettings(caller), id: id.rawValue), logger: database.logger) {
                return try InventoryRows.source(row).source
            }
            throw InventoryError.notFound(kind: "source", id: id.description)
        }
    }

    public func create(_ source: LogSource, as caller: Principal) async throws -> LogSource {
        try Self.check(Validation.issues(in: source))
        return try await database.withCaller(caller) { connection in
            try await checkPlacement(of: source, caller: caller, on: connection)
            try await writeSources([source], upsert: false, on: connection)
            return try await fetchSource(source.id, on: connection, lock: false).source
        }
    }

    public func updateSource(_ id: LogSourceID, ifVersion: Int?, as caller: Principal,
                             _ change: @Sendable (inout LogSource) throws -> Void) async throws -> LogSource {
        try await database.withCaller(caller) { connection in
            let current = try await fetchSource(id, on: connection, lock: true).source
            try Self.checkVersion(ifVersion, current.version, kind: "source", id: id.description)
            var updated = current
            try change(&updated)
            updated.id = id
            try Self.check(Validation.issues(in: updated))
            try await checkPlacement(of: updated, caller: caller, on: connection)
            try await connection.checkedQuery("""
                UPDATE log_sources s SET system_id = x.system_id, system_owner_org_id = y.owner_org_id, name = x.name,
                       log_type = x.log_type, product = x.product, format = x.format, custodian_org_id = x.custodian_org_id,
                       retention_tiers = x.retention_tiers, access_procedure = x.access_procedure, fields = x.fields,
                       clock_ntp_synced = x.clock_ntp_synced, clock_timezone = x.clock_timezone,
                       volume_gb_per_day = x.volume_gb_per_day, notes = x.notes, version = s.version + 1, updated_at = now()
                FROM jsonb_to_record(\(try RecordJSON.object(SourceRecord(updated)))::jsonb) AS x(\(unescaped: SourceRecord.columns))
                JOIN systems y ON y.id = x.system_id
                WHERE s.id = \(id.rawValue)
                """, logger: database.logger)
            return try await fetchSource(id, on: connection, lock: false).source
        }
    }

    public func deleteSource(_ id: LogSourceID, ifVersion: Int?, as caller: Principal) async throws {
        try await database.withCaller(caller) { connection in
            let current = try await fetchSource(id, on: connection, lock: true).source
            try Self.checkVersion(ifVersion, current.version, kind: "source", id: id.description)
            try await connection.checkedQuery("DELETE FROM log_sources WHERE id = \(id.rawValue)", logger: database.logger)
        }
    }

    public func attest(_ attestation: Attestation, to id: LogSourceID, as caller: Principal) async throws -> LogSource {
        try Self.check(Validation.issues(in: attestation))
        return try await database.withCaller(caller) { connection in
            _ = try await fetchSource(id, on: connection, lock: true)
            try await connection.checkedQuery("""
                INSERT INTO attestations (source_id, oldest_record_at, checked_at, checked_by, method)
                VALUES (\(id.rawValue), \(attestation.oldestRecordAt), \(attestation.checkedAt), \(attestation.checkedBy), \(attestation.method))
                """, logger: database.logger)
            return try await fetchSource(id, on: connection, lock: false).source
        }
    }

    func fetchSource(_ id: LogSourceID, on connection: PostgresConnection, lock: Bool) async throws -> (source: LogSource, systemOwner: OrgID) {
        let rows = try await connection.checkedQuery("""
            WITH locked AS (SELECT id FROM log_sources WHERE id = \(id.rawValue) \(unescaped: lock ? "FOR UPDATE" : ""))
            SELECT * FROM source_rows WHERE id IN (SELECT id FROM locked)
            """, logger: database.logger)
        for try await row in rows { return try InventoryRows.source(row.makeRandomAccess()) }
        throw InventoryError.notFound(kind: "source", id: id.description)
    }

    /// The source's system must be visible, its custodian must exist, and a custodian caller must keep it within its orgs.
    func checkPlacement(of source: LogSource, caller: Principal, on connection: PostgresConnection) async throws {
        let systemOwner: OrgID
        do {
            systemOwner = try await fetchSystem(source.systemID, on: connection, lock: false).ownerOrgID
        } catch InventoryError.notFound {
            throw InventoryError.invalid([ValidationIssue(path: "system", message: "unknown system '\(source.systemID)'")])
        }
        guard caller.may(.update, sourceHeldBy: source.custodianOrgID, systemOwner: systemOwner) else {
            throw InventoryError.invalid([ValidationIssue(path: "custodian_org", message: "must be one of your organisations, or the system must be")])
        }
        let rows = try await connection.checkedQuery("SELECT 1 FROM orgs WHERE id = \(source.custodianOrgID.rawValue)", logger: database.logger)
        for try await _ in rows { return }
        // Foreign keys see every org even where row-level security hides it; say only that it is unknown here.
        if !caller.mayLearnOfOtherOrgs { return }
        throw InventoryError.invalid([ValidationIssue(path: "custodian_org", message: "unknown organisation '\(source.custodianOrgID)'")])
    }

    /// Rows per INSERT: large enough to be set-based, small enough that the JSON parameter stays a few MB.
    static let batchSize = 10_000

    func writeSources(_ sources: [LogSource], upsert: Bool, on connection: PostgresConnection) async throws {
        let batches = stride(from: 0, to: sources.count, by: Self.batchSize).map { sources[$0..<min($0 + Self.batchSize, sources.count)] }
        // Encode the next batch while PostgreSQL inserts the current one.
        func encode(_ index: Int) -> Task<String, any Error>? {
            guard index < batches.count else { return nil }
            let batch = batches[index]
            return Task { try RecordJSON.array(batch.map(SourceRecord.init)) }
        }
        var pending = encode(0)
        for index in batches.indices {
            let json = try await pending!.value
            pending = encode(index + 1)
            try await writeBatch(json, count: batches[index].count, upsert: upsert, on: connection)
        }
    }

    private func writeBatch(_ json: String, count: Int, upsert: Bool, on connection: PostgresConnection) async throws {
        let result = try await connection.checkedQuery("""
            INSERT INTO log_sources AS s (id, system_id, system_owner_org_id, name, log_type, product, format, custodian_org_id,
                                          retention_tiers, access_procedure, fields, clock_ntp_synced, clock_timezone,
                                          volume_gb_per_day, notes)
            SELECT x.id, x.system_id, y.owner_org_id, x.name, x.log_type, x.product, x.format, x.custodian_org_id,
                   x.retention_tiers, x.access_procedure, coalesce(x.fields, '{}'), x.clock_ntp_synced, x.clock_timezone,
                   x.volume_gb_per_day, x.notes
            FROM jsonb_to_recordset(\(json)::jsonb) AS x(\(unescaped: SourceRecord.columns))
            JOIN systems y ON y.id = x.system_id
            \(unescaped: upsert ? """
                ON CONFLICT (system_id, name) DO UPDATE SET log_type = EXCLUDED.log_type, product = EXCLUDED.product,
                format = EXCLUDED.format, custodian_org_id = EXCLUDED.custodian_org_id, retention_tiers = EXCLUDED.retention_tiers,
                access_procedure = EXCLUDED.access_procedure, fields = EXCLUDED.fields, clock_ntp_synced = EXCLUDED.clock_ntp_synced,
                clock_timezone = EXCLUDED.clock_timezone, volume_gb_per_day = EXCLUDED.volume_gb_per_day, notes = EXCLUDED.notes,
                version = s.version + 1, updated_at = now()
                """ : "")
            RETURNING s.id
            """, logger: database.logger)
        var written = 0
        for try await _ in result { written += 1 }
        // A system the caller cannot see drops out of the join: refuse rather than write part of the change.
        guard written == count else {
            throw InventoryError.invalid([ValidationIssue(path: "system", message: "\(count - written) source(s) name a system that does not exist")])
        }
    }
}
