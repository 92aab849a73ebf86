import Foundation
import LogAtlasCore
import PostgresNIO

/// Action cards in PostgreSQL, read and written as the caller under row-level security; who may edit is decided in
/// Core (`Principal.mayEditActionCard`) on the owner organisation read in the same transaction.
public struct PostgresActionCardRepository: ActionCardRepository {
    let database: Database

    public init(database: Database) { self.database = database }

    public func cards(as caller: Principal) async throws -> [ActionCard] {
        try await database.withCaller(caller) { connection in
            try await Self.read(connection.checkedQuery("SELECT \(unescaped: Self.columns) FROM action_cards ORDER BY org_id, system_id NULLS FIRST", logger: database.logger))
        }
    }

    public func resolved(_ system: SystemID, as caller: Principal) async throws -> ResolvedActionCard {
        let inventory = PostgresInventoryRepository(database: database)
        let found = try await inventory.system(system, as: caller)
        let cards = try await database.withCaller(caller) { connection in
            try await Self.read(connection.checkedQuery("""
                SELECT \(unescaped: Self.columns) FROM action_cards WHERE system_id = \(system.rawValue) OR (system_id IS NULL AND org_id = \(found.ownerOrgID.rawValue))
                """, logger: database.logger))
        }
        return ResolvedActionCard(system: found, systemCard: cards.first { $0.systemID != nil }, defaults: cards.first { $0.systemID == nil })
    }

    public func save(_ entries: [ActionCardEntry], org: OrgID?, system: SystemID?, ifVersion: Int?, as caller: Principal,
                     now: Date) async throws -> ActionCard {
        let issues = ActionCard.issues(in: entries)
        guard issues.isEmpty else { throw InventoryError.invalid(issues) }
        return try await database.withCaller(caller) { connection in
            let owner = try await self.owner(org: org, system: system, as: caller, on: connection)
            return try await write(entries, owner: owner, system: system, ifVersion: ifVersion, by: caller.name, now: now, on: connection)
        }
    }

    /// The organisation a card belongs to — the system's owner, or the one named; it must be visible — once the caller
    /// is known to be allowed to edit its cards.
    func owner(org: OrgID?, system: SystemID?, as caller: Principal, on connection: PostgresConnection) async throws -> OrgID {
        var owner: OrgID?
        if let system {
            for try await id in try await connection.checkedQuery("SELECT owner_org_id FROM systems WHERE id = \(system.rawValue)",
                                                                  logger: database.logger).decode(String.self) { owner = OrgID(id) }
            guard owner != nil else { throw InventoryError.notFound(kind: "system", id: system.rawValue) }
        } else if let org {
            for try await id in try await connection.checkedQuery("SELECT id FROM orgs WHERE id = \(org.rawValue)",
                                                                  logger: database.logger).decode(String.self) { owner = OrgID(id) }
            guard owner != nil else { throw InventoryError.notFound(kind: "organisation", id: org.rawValue) }
        }
        guard let owner else { throw InventoryError.invalid([.init(path: "org", message: "name the organisation or the system")]) }
        guard caller.mayEditActionCard(of: owner) else {
            throw InventoryError.forbidden("only the owner organisation's custodians and admins set its action cards")
        }
        return owner
    }

    /// Inserts or replaces the card of `owner` (its defaults) or of `system`, in the caller's transaction.
    func write(_ entries: [ActionCardEntry], owner: OrgID, system: SystemID?, ifVersion: Int?, by name: String, now: Date,
               on connection: PostgresConnection) async throws -> ActionCard {
        let current = try await Self.read(connection.checkedQuery("""
            SELECT \(unescaped: Self.columns) FROM action_cards WHERE org_id = \(owner.rawValue) AND system_id IS NOT DISTINCT FROM \(system?.rawValue) FOR UPDATE
            """, logger: database.logger)).first
        if let ifVersion, ifVersion != (current?.version ?? 0) {
            throw InventoryError.versionConflict(kind: "action card", id: system?.rawValue ?? owner.rawValue, currentVersion: current?.version ?? 0)
        }
        let json = String(decoding: try JSONEncoder().encode(entries), as: UTF8.self)
        if current == nil {
            try await connection.checkedQuery("""
                INSERT INTO action_cards (id, org_id, system_id, entries, updated_by, updated_at)
                VALUES (\(UUID()), \(owner.rawValue), \(system?.rawValue), \(json)::jsonb, \(name), \(now))
                """, logger: database.logger)
        } else {
            try await connection.checkedQuery("""
                UPDATE action_cards SET entries = \(json)::jsonb, version = version + 1, updated_by = \(name), updated_at = \(now)
                WHERE org_id = \(owner.rawValue) AND system_id IS NOT DISTINCT FROM \(system?.rawValue)
                """, logger: database.logger)
        }
        return try await Self.read(connection.checkedQuery("""
            SELECT \(unescaped: Self.columns) FROM action_cards WHERE org_id = \(owner.rawValue) AND system_id IS NOT DISTINCT FROM \(system?.rawValue)
            """, logger: database.logger)).first!
    }

    static let columns = "org_id, system_id, entries::text AS entries, version, updated_by, updated_at"

    static func read(_ rows: PostgresRowSequence) async throws -> [ActionCard] {
        var cards: [ActionCard] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            let entries = try JSONDecoder().decode([ActionCardEntry].self, from: Data(try r.value("entries", as: String.self).utf8))
            cards.append(ActionCard(orgID: OrgID(try r.value("org_id")), systemID: try r.value("system_id", as: String?.self).map { SystemID($0) },
                                    entries: entries, version: try r.value("version"), updatedBy: try r.value("updated_by"),
                                    updatedAt: try r.value("updated_at")))
        }
        return cards
    }
}
