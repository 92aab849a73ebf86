import Foundation
import LogAtlasCore
import PostgresNIO

extension PostgresInventoryRepository {
    @discardableResult
    public func apply(_ desired: Inventory, scope: ApplyScope, prune: Bool, dryRun: Bool, as caller: Principal) async throws -> InventoryDiff {
        guard caller.mayEditInventory else { throw InventoryError.forbidden("your role cannot change the inventory") }
        if scope == .everything { try Self.check(desired.issues()) }
        return try await database.withCaller(caller) { connection in
            let current = try await snapshot(on: connection)
            var desired = desired
            if scope == .sourcesOnly {
                desired.orgs = current.orgs
                desired.systems = current.systems
                try Self.check(desired.issues())
            }
            let diff = InventoryDiff(from: current, to: desired, prune: prune)
            if !caller.mayManageOrgs, !diff.orgs.isEmpty {
                throw InventoryError.forbidden("only admins create, change or delete organisations")
            }
            if dryRun || diff.isEmpty { return diff }
            try await writeOrgs(diff.orgsToWrite, upsert: true, on: connection)
            try await writeSystems(diff.systemsToWrite, upsert: true, on: connection)
            try await writeSources(diff.sourcesToWrite, upsert: true, on: connection)
            try await writeActionCards(diff, current: current, as: caller, on: connection)
            try await deletePruned(diff, current: current, on: connection)
            return diff
        }
    }

    public func export(as caller: Principal) async throws -> Inventory {
        try await database.withCaller(caller) { connection in try await snapshot(on: connection) }
    }

    /// Everything the caller sees, in key order.
    func snapshot(on connection: PostgresConnection) async throws -> Inventory {
        var inventory = Inventory()
        for try await row in try await connection.checkedQuery("SELECT \(unescaped: InventoryRows.orgColumns) FROM orgs o ORDER BY o.id", logger: database.logger) {
            inventory.orgs.append(try InventoryRows.org(row.makeRandomAccess()))
        }
        for try await row in try await connection.checkedQuery("SELECT \(unescaped: InventoryRows.systemColumns) FROM systems y ORDER BY y.id", logger: database.logger) {
            inventory.systems.append(try InventoryRows.system(row.makeRandomAccess()))
        }
        for try await row in try await connection.checkedQuery("SELECT * FROM source_rows ORDER BY system_id, name", logger: database.logger) {
            inventory.sources.append(try InventoryRows.source(row.makeRandomAccess()).source)
        }
        inventory.actionCards = try await PostgresActionCardRepository.read(connection.checkedQuery("""
            SELECT \(unescaped: PostgresActionCardRepository.columns) FROM action_cards ORDER BY org_id, system_id NULLS FIRST
            """, logger: database.logger))
        // Parents first, so that a re-applied export never names an organisation before it exists.
        inventory.orgs = Self.parentsFirst(inventory.orgs)
        return inventory
    }

    /// The file's new and changed action cards, and (pruning) the removal of those it no longer lists; each only by
    /// someone who may edit the owner organisation's cards.
    func writeActionCards(_ diff: InventoryDiff, current: Inventory, as caller: Principal, on connection: PostgresConnection) async throws {
        let cards = PostgresActionCardRepository(database: database), now = Date()
        for card in diff.actionCardsToWrite {
            let owner = try await cards.owner(org: card.systemID == nil ? card.orgID : nil, system: card.systemID, as: caller, on: connection)
            _ = try await cards.write(card.entries, owner: owner, system: card.systemID, ifVersion: nil, by: caller.name, now: now, on: connection)
        }
        let deleted = Set(diff.actionCards.deleted)
        for card in current.actionCards where deleted.contains(card.key) {
            guard caller.mayEditActionCard(of: card.orgID) else {
                throw InventoryError.forbidden("only the owner organisation's custodians and admins remove its action cards")
            }
            try await connection.checkedQuery("""
                DELETE FROM action_cards WHERE org_id = \(card.orgID.rawValue) AND system_id IS NOT DISTINCT FROM \(card.systemID?.rawValue)
                """, logger: database.logger)
        }
    }

    func deletePruned(_ diff: InventoryDiff, current: Inventory, on connection: PostgresConnection) async throws {
        let sourceIDs = diff.sourceIDsToDelete(in: current).map(\.rawValue)
        if !sourceIDs.isEmpty {
            try await connection.checkedQuery("DELETE FROM log_sources WHERE id = ANY(\(sourceIDs))", logger: database.logger)
        }
        let systemIDs = diff.systems.deleted.map(\.rawValue)
        if !systemIDs.isEmpty {
            try await connection.checkedQuery("DELETE FROM systems WHERE id = ANY(\(systemIDs))", logger: database.logger)
        }
        let orgIDs = diff.orgs.deleted.map(\.rawValue)
        if !orgIDs.isEmpty {
            try await connection.checkedQuery("DELETE FROM orgs WHERE id = ANY(\(orgIDs))", logger: database.logger)
        }
    }

    static func parentsFirst(_ orgs: [Organisation]) -> [Organisation] {
        var placed = Set<OrgID>(), result: [Organisation] = [], pending = orgs
        let known = Set(orgs.map(\.id))
        while !pending.isEmpty {
            let ready = pending.filter { $0.parentID == nil || placed.contains($0.parentID!) || !known.contains($0.parentID!) }
            let batch = ready.isEmpty ? pending : ready
            result += batch
            placed.formUnion(batch.map(\.id))
            pending.removeAll { placed.contains($0.id) }
        }
        return result
    }
}
