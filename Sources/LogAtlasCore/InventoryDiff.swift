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
    /// Action cards by `ActionCard.key`.
    public var actionCards = Changes<String>()

    /// Objects to write: new or changed ones, sources carrying the ID they keep.
    public var orgsToWrite: [Organisation] = []
    public var systemsToWrite: [ProtectedSystem] = []
    public var sourcesToWrite: [LogSource] = []
    public var actionCardsToWrite: [ActionCard] = []

    /// Whether applying changes nothing.
    public var isEmpty: Bool { orgs.isEmpty && systems.isEmpty && sources.isEmpty && actionCards.isEmpty }

    /// Compares `desired` with `current`. Without `prune`, objects missing from `desired` are kept.
    public init(from current: Inventory, to desired: Inventory, prune: Bool) {
        (orgs, orgsToWrite) = Self.classify(current.orgs, desired.orgs, prune: prune, key: \.id) { $0.declaresSame(as: $1) }
        (systems, systemsToWrite) = Self.classify(current.systems, desired.systems, prune: prune, key: \.id) { $0.declaresSame(as: $1) }
        (sources, sourcesToWrite) = Self.classify(current.sources, desired.sources, prune: prune, key: \.key) { $0.declaresSame(as: $1) }
        (actionCards, actionCardsToWrite) = Self.classify(current.actionCards, desired.actionCards, prune: prune, key: \.key) { $0.declaresSame(as: $1) }
        // A source that is kept keeps the identity it has in the database.
        if !sources.updated.isEmpty {
            let currentIDs = Dictionary(current.sources.map { ($0.key, $0.id) }, uniquingKeysWith: { first, _ in first })
            for index in sourcesToWrite.indices {
                if let id = currentIDs[sourcesToWrite[index].key] { sourcesToWrite[index].id = id }
            }
        }
    }

    /// Sorts each desired object into created, updated or unchanged, and (with `prune`) each current one missing from `desired` into deleted.
    static func classify<Object, Key>(_ current: [Object], _ desired: [Object], prune: Bool, key: (Object) -> Key,
                                      same: (Object, Object) -> Bool) -> (Changes<Key>, [Object]) {
        let existing = Dictionary(current.map { (key($0), $0) }, uniquingKeysWith: { first, _ in first })
        var changes = Changes<Key>(), toWrite: [Object] = []
        for object in desired {
            switch existing[key(object)] {
            case .some(let old) where same(old, object): changes.unchanged.append(key(object))
            case .some: changes.updated.append(key(object)); toWrite.append(object)
            case .none: changes.created.append(key(object)); toWrite.append(object)
            }
        }
        if prune {
            let wanted = Set(desired.map(key))
            changes.deleted = current.map(key).filter { !wanted.contains($0) }
        }
        changes.sort()
        return (changes, toWrite)
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
