import Foundation
import LogAtlasCore
import PostgresNIO

/// The inventory in PostgreSQL. Every method runs as the caller under row-level security; the queries
/// also carry the caller's scope explicitly, so a mistake in one layer is caught by the other.
public struct PostgresInventoryRepository: InventoryRepository {
    let database: Database

    public init(database: Database) { self.database = database }

    // MARK: Organisations

    public func orgs(as caller: Principal, page: PageRequest) async throws -> Page<Organisation> {
        let after = try Cursor.decode(page.after)
        let scope = Scope(caller)
        return try await database.withCaller(caller) { connection in
            let rows = try await connection.checkedQuery("""
                WITH filtered AS (SELECT o.id FROM orgs o WHERE (\(scope.all) OR o.id = ANY(\(scope.orgs))
                        OR EXISTS (SELECT 1 FROM log_sources s WHERE s.system_owner_org_id = o.id AND s.custodian_org_id = ANY(\(scope.orgs))))),
                     page AS (SELECT id FROM filtered WHERE (\(after)::text IS NULL OR id > \(after)) ORDER BY id LIMIT \(page.limit + 1))
                SELECT t.total, x.* FROM (SELECT count(*) AS total FROM filtered) t
                LEFT JOIN (SELECT \(unescaped: InventoryRows.orgColumns) FROM orgs o WHERE o.id IN (SELECT id FROM page)) x ON true
                ORDER BY x.id
                """, logger: database.logger)
            return try await Self.page(rows, limit: page.limit, key: { $0.id.rawValue }) { try InventoryRows.org($0) }
        }
    }

    public func org(_ id: OrgID, as caller: Principal) async throws -> Organisation {
        try await database.withCaller(caller) { connection in try await fetchOrg(id, on: connection, lock: false) }
    }

    public func create(_ org: Organisation, as caller: Principal) async throws -> Organisation {
        try Self.check(Validation.issues(in: org))
        guard caller.may(.create, org: org.id) else { throw InventoryError.forbidden("only admins manage organisations") }
        return try await database.withCaller(caller) { connection in
            try await writeOrgs([org], upsert: false, on: connection)
            return try await fetchOrg(org.id, on: connection, lock: false)
        }
    }

    public func updateOrg(_ id: OrgID, ifVersion: Int?, as caller: Principal,
                          _ change: @Sendable (inout Organisation) throws -> Void) async throws -> Organisation {
        try await database.withCaller(caller) { connection in
            // Row locks need write rights under row-level security: check visibility and the role first.
            _ = try await fetchOrg(id, on: connection, lock: false)
            guard caller.may(.update, org: id) else { throw InventoryError.forbidden("only admins manage organisations") }
            let current = try await fetchOrg(id, on: connection, lock: true)
            try Self.checkVersion(ifVersion, current.version, kind: "organisation", id: id.rawValue)
            var updated = current
            try change(&updated)
            updated.id = id
            try Self.check(Validation.issues(in: updated))
            try await connection.checkedQuery("""
                UPDATE orgs o SET name = x.name, kind = x.kind, parent_id = x.parent_id, contacts = x.contacts,
                       escalation_contact = x.escalation_contact, version = o.version + 1, updated_at = now()
                FROM jsonb_to_record(\(try RecordJSON.object(OrgRecord(updated)))::jsonb) AS x(\(unescaped: OrgRecord.columns))
                WHERE o.id = \(id.rawValue)
                """, logger: database.logger)
            return try await fetchOrg(id, on: connection, lock: false)
        }
    }

    public func deleteOrg(_ id: OrgID, ifVersion: Int?, as caller: Principal) async throws {
        try await database.withCaller(caller) { connection in
            _ = try await fetchOrg(id, on: connection, lock: false)
            guard caller.may(.delete, org: id) else { throw InventoryError.forbidden("only admins manage organisations") }
            let current = try await fetchOrg(id, on: connection, lock: true)
            try Self.checkVersion(ifVersion, current.version, kind: "organisation", id: id.rawValue)
            try await connection.checkedQuery("DELETE FROM orgs WHERE id = \(id.rawValue)", logger: database.logger)
        }
    }

    func fetchOrg(_ id: OrgID, on connection: PostgresConnection, lock: Bool) async throws -> Organisation {
        let rows = try await connection.checkedQuery("""
            SELECT \(unescaped: InventoryRows.orgColumns) FROM orgs o WHERE o.id = \(id.rawValue) \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: database.logger)
        for try await row in rows { return try InventoryRows.org(row.makeRandomAccess()) }
        throw InventoryError.notFound(kind: "organisation", id: id.rawValue)
    }

    func writeOrgs(_ orgs: [Organisation], upsert: Bool, on connection: PostgresConnection) async throws {
        guard !orgs.isEmpty else { return }
        try await connection.checkedQuery("""
            INSERT INTO orgs AS o (id, name, kind, parent_id, contacts, escalation_contact)
            SELECT id, name, kind, parent_id, coalesce(contacts, '{}'), escalation_contact
            FROM jsonb_to_recordset(\(try RecordJSON.array(orgs.map(OrgRecord.init)))::jsonb) AS x(\(unescaped: OrgRecord.columns))
            \(unescaped: upsert ? """
                ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, parent_id = EXCLUDED.parent_id,
                contacts = EXCLUDED.contacts, escalation_contact = EXCLUDED.escalation_contact,
                version = o.version + 1, updated_at = now()
                """ : "")
            """, logger: database.logger)
    }

    // MARK: Systems

    public func systems(matching filter: SystemFilter, as caller: Principal, page: PageRequest) async throws -> Page<ProtectedSystem> {
        let after = try Cursor.decode(page.after)
        let scope = Scope(caller)
        let text = Cursor.likePattern(filter.text)
        return try await database.withCaller(caller) { connection in
            let rows = try await connection.checkedQuery("""
                WITH filtered AS (
                    SELECT y.id FROM systems y
                    WHERE (\(scope.all) OR y.owner_org_id = ANY(\(scope.orgs))
                           OR EXISTS (SELECT 1 FROM log_sources s WHERE s.system_id = y.id AND s.custodian_org_id = ANY(\(scope.orgs))))
                      AND (\(filter.org?.rawValue)::text IS NULL OR y.owner_org_id = \(filter.org?.rawValue))
                      AND (\(text)::text IS NULL OR y.name ILIKE \(text) OR y.id ILIKE \(text) OR y.description ILIKE \(text))),
                     page AS (SELECT id FROM filtered WHERE (\(after)::text IS NULL OR id > \(after)) ORDER BY id LIMIT \(page.limit + 1))
                SELECT t.total, x.* FROM (SELECT count(*) AS total FROM filtered) t
                LEFT JOIN (SELECT \(unescaped: InventoryRows.systemColumns) FROM systems y WHERE y.id IN (SELECT id FROM page)) x ON true
                ORDER BY x.id
                """, logger: database.logger)
            return try await Self.page(rows, limit: page.limit, key: { $0.id.rawValue }) { try InventoryRows.system($0) }
        }
    }

    public func system(_ id: SystemID, as caller: Principal) async throws -> ProtectedSystem {
        try await database.withCaller(caller) { connection in try await fetchSystem(id, on: connection, lock: false) }
    }

    public func create(_ system: ProtectedSystem, as caller: Principal) async throws -> ProtectedSystem {
        try Self.check(Validation.issues(in: system))
        return try await database.withCaller(caller) { connection in
            try await requireOwnOrg(system.ownerOrgID, caller: caller, path: "owner_org", on: connection)
            try await writeSystems([system], upsert: false, on: connection)
            return try await fetchSystem(system.id, on: connection, lock: false)
        }
    }

    public func updateSystem(_ id: SystemID, ifVersion: Int?, as caller: Principal,
                             _ change: @Sendable (inout ProtectedSystem) throws -> Void) async throws -> ProtectedSystem {
        try await database.withCaller(caller) { connection in
            let current = try await fetchSystem(id, on: connection, lock: true)
            try Self.checkVersion(ifVersion, current.version, kind: "system", id: id.rawValue)
            var updated = current
            try change(&updated)
            updated.id = id
            try Self.check(Validation.issues(in: updated))
            if updated.ownerOrgID != current.ownerOrgID {
                try await requireOwnOrg(updated.ownerOrgID, caller: caller, path: "owner_org", on: connection)
            }
            try await connection.checkedQuery("""
                UPDATE systems y SET name = x.name, owner_org_id = x.owner_org_id, criticality = x.criticality,
                       internet_facing = x.internet_facing, tags = x.tags, description = x.description,
                       version = y.version + 1, updated_at = now()
                FROM jsonb_to_record(\(try RecordJSON.object(SystemRecord(updated)))::jsonb) AS x(\(unescaped: SystemRecord.columns))
                WHERE y.id = \(id.rawValue)
                """, logger: database.logger)
            return try await fetchSystem(id, on: connection, lock: false)
        }
    }

    public func deleteSystem(_ id: SystemID, ifVersion: Int?, as caller: Principal) async throws {
        try await database.withCaller(caller) { connection in
            let current = try await fetchSystem(id, on: connection, lock: true)
            try Self.checkVersion(ifVersion, current.version, kind: "system", id: id.rawValue)
            try await connection.checkedQuery("DELETE FROM systems WHERE id = \(id.rawValue)", logger: database.logger)
        }
    }

    func fetchSystem(_ id: SystemID, on connection: PostgresConnection, lock: Bool) async throws -> ProtectedSystem {
        let rows = try await connection.checkedQuery("""
            SELECT \(unescaped: InventoryRows.systemColumns) FROM systems y WHERE y.id = \(id.rawValue) \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: database.logger)
        for try await row in rows { return try InventoryRows.system(row.makeRandomAccess()) }
        throw InventoryError.notFound(kind: "system", id: id.rawValue)
    }

    func writeSystems(_ systems: [ProtectedSystem], upsert: Bool, on connection: PostgresConnection) async throws {
        guard !systems.isEmpty else { return }
        try await connection.checkedQuery("""
            INSERT INTO systems AS y (id, name, owner_org_id, criticality, internet_facing, tags, description)
            SELECT id, name, owner_org_id, criticality, internet_facing, coalesce(tags, '{}'), description
            FROM jsonb_to_recordset(\(try RecordJSON.array(systems.map(SystemRecord.init)))::jsonb) AS x(\(unescaped: SystemRecord.columns))
            \(unescaped: upsert ? """
                ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, owner_org_id = EXCLUDED.owner_org_id,
                criticality = EXCLUDED.criticality, internet_facing = EXCLUDED.internet_facing, tags = EXCLUDED.tags,
                description = EXCLUDED.description, version = y.version + 1, updated_at = now()
                """ : "")
            """, logger: database.logger)
    }

    /// A custodian may only give objects to its own organisations; anyone needs the organisation to exist.
    func requireOwnOrg(_ org: OrgID, caller: Principal, path: String, on connection: PostgresConnection) async throws {
        if !caller.mayAssign(to: org) {
            throw InventoryError.invalid([ValidationIssue(path: path, message: "must be one of your organisations")])
        }
        let rows = try await connection.checkedQuery("SELECT 1 FROM orgs WHERE id = \(org.rawValue)", logger: database.logger)
        for try await _ in rows { return }
        throw InventoryError.invalid([ValidationIssue(path: path, message: "unknown organisation '\(org)'")])
    }

    // MARK: Helpers

    /// The caller's scope as query parameters.
    struct Scope {
        let all: Bool
        let orgs: [String]
        init(_ caller: Principal) {
            all = caller.seesAllOrgs
            orgs = caller.orgIDs.map(\.rawValue).sorted()
        }
    }

    static func page<Item: Sendable>(_ rows: PostgresRowSequence, limit: Int, key: (Item) -> String,
                                     _ decode: (PostgresRandomAccessRow) throws -> Item) async throws -> Page<Item> {
        var items: [Item] = []
        var total = 0
        for try await row in rows {
            let access = row.makeRandomAccess()
            total = try access.value("total", as: Int.self)
            // The total comes on a row of its own when the page is empty.
            guard access["id"].bytes != nil else { continue }
            items.append(try decode(access))
        }
        var next: String?
        if items.count > limit {
            items.removeLast()
            next = items.last.map { Cursor.encode(key($0)) }
        }
        return Page(items: items, nextCursor: next, total: total)
    }

    static func check(_ issues: [ValidationIssue]) throws {
        if !issues.isEmpty { throw InventoryError.invalid(issues) }
    }

    static func checkVersion(_ expected: Int?, _ current: Int, kind: String, id: String) throws {
        if let expected, expected != current { throw InventoryError.versionConflict(kind: kind, id: id, currentVersion: current) }
    }
}

extension RecordJSON {
    /// One JSON object, to bind as a `jsonb` parameter.
    static func object<T: Encodable>(_ record: T) throws -> String {
        String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
    }
}
