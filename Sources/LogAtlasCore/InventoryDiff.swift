/// What applying a desired inventory to the current one changes, per kind of object.
public struct InventoryDiff: Sendable, Hashable {
    /// Changes to one kind of object, by key.
    public struct Changes<Key: Hashable & Comparable & Sendable>: Sendable, Hashable {
        public var created: [Key] = []
        public var updated: [Key] = []
        public var unchanged: [Key] = []
        public var deleted: [Key] = []

        /// Whether anything is created, updated or deleted.
        public var isEmpty: Bool { created.isEmpty && updated.isEmpty && deleted.isEmpty }
    }

    public var orgs = Changes<OrgID>()
    public var systems = Changes<SystemID>()
    public var sources = Changes<SourceKey>()

    /// Objects to write: new or changed ones, sources carrying the ID they keep.
    public var orgsToWrite: [Organisation] = []
    public var systemsToWrite: [ProtectedSystem] = []
    public var sourcesToWrite: [LogSource] = []

    /// Whether applying changes nothing.
    public var isEmpty: Bool { orgs.isEmpty && systems.isEmpty && sources.isEmpty }

    /// Compares `desired` with `current`. Without `prune`, objects missing from `desired` are kept.
    public init(from current: Inventory, to desired: Inventory, prune: Bool) {
        let currentOrgs = Dictionary(current.orgs.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for org in desired.orgs {
            if let existing = currentOrgs[org.id] {
                if existing.declaresSame(as: org) { orgs.unchanged.append(org.id) } else { orgs.updated.append(org.id); orgsToWrite.append(org) }
            } else {
                orgs.created.append(org.id); orgsToWrite.append(org)
            }
        }
        let currentSystems = Dictionary(current.systems.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for system in desired.systems {
            if let existing = currentSystems[system.id] {
                if existing.declaresSame(as: system) { systems.unchanged.append(system.id) } else { systems.updated.append(system.id); systemsToWrite.append(system) }
            } else {
                systems.created.append(system.id); systemsToWrite.append(system)
            }
        }
        let currentSources = Dictionary(current.sources.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for var source in desired.sources {
            if let existing = currentSources[source.key] {
                source.id = existing.id
                if existing.declaresSame(as: source) { sources.unchanged.append(source.key) } else { sources.updated.append(source.key); sourcesToWrite.append(source) }
            } else {
                sources.created.append(source.key); sourcesToWrite.append(source)
            }
        }
        if prune {
            let desiredOrgs = Set(desired.orgs.map(\.id)), desiredSystems = Set(desired.systems.map(\.id))
            let desiredSources = Set(desired.sources.map(\.key))
            orgs.deleted = current.orgs.map(\.id).filter { !desiredOrgs.contains($0) }
            systems.deleted = current.systems.map(\.id).filter { !desiredSystems.contains($0) }
            sources.deleted = current.sources.map(\.key).filter { !desiredSources.contains($0) }
        }
        orgs.sort(); systems.sort(); sources.sort()
    }

    /// IDs of current sources that pruning deletes.
    public func sourceIDsToDelete(in current: Inventory) -> [LogSourceID] {
        let deleted = Set(sources.deleted)
        return current.sources.filter { deleted.contains($0.key) }.map(\.id)
    }
}

extension InventoryDiff.Changes {
    mutating func sort() {
        created.sort(); updated.sort(); unchanged.sort(); deleted.sort()
    }
}
