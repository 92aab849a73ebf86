
/// A whole inventory: what an inventory-as-code file declares or an export contains.
public struct Inventory: Sendable, Hashable {
    public var orgs: [Organisation]
    public var systems: [ProtectedSystem]
    public var sources: [LogSource]
    /// Action cards: organisations' defaults and systems' own (a system card's `orgID` is its system's owner).
    public var actionCards: [ActionCard]

    public init(orgs: [Organisation] = [], systems: [ProtectedSystem] = [], sources: [LogSource] = [], actionCards: [ActionCard] = []) {
        self.actionCards = actionCards
        self.orgs = orgs
        self.systems = systems
        self.sources = sources
    }

    /// Issues of every object, plus broken references and duplicate keys within the document.
    public func issues() -> [ValidationIssue] {
        orgs.enumerated().flatMap { Validation.issues(in: $1, path: "orgs[\($0)]") }
            + systems.enumerated().flatMap { Validation.issues(in: $1, path: "systems[\($0)]") }
            + sources.enumerated().flatMap { Validation.issues(in: $1, path: "sources[\($0)]") }
            + actionCardIssues() + referenceIssues()
    }

    func actionCardIssues() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        for (index, card) in actionCards.enumerated() {
            for issue in ActionCard.issues(in: card.entries) {
                issues.append(ValidationIssue(path: "action_cards[\(index)].\(issue.path)", message: issue.message))
            }
        }
        return issues
    }

    /// Broken references between objects and duplicate keys, without validating each object.
    public func referenceIssues() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        var orgIDs = Set<OrgID>(minimumCapacity: orgs.count), systemIDs = Set<SystemID>(minimumCapacity: systems.count)
        for (index, org) in orgs.enumerated() {
            if !orgIDs.insert(org.id).inserted { issues.append(.init(path: "orgs[\(index)].id", message: "duplicate organisation '\(org.id)'")) }
        }
        for (index, org) in orgs.enumerated() {
            if let parent = org.parentID, !orgIDs.contains(parent) {
                issues.append(.init(path: "orgs[\(index)].parent", message: "unknown organisation '\(parent)'"))
            }
        }
        for (index, system) in systems.enumerated() {
            if !systemIDs.insert(system.id).inserted { issues.append(.init(path: "systems[\(index)].id", message: "duplicate system '\(system.id)'")) }
            if !orgIDs.contains(system.ownerOrgID) { issues.append(.init(path: "systems[\(index)].owner_org", message: "unknown organisation '\(system.ownerOrgID)'")) }
        }
        var sourceKeys = Set<SourceKey>(minimumCapacity: sources.count)
        for (index, source) in sources.enumerated() {
            if !sourceKeys.insert(source.key).inserted {
                issues.append(.init(path: "sources[\(index)].name", message: "duplicate source '\(source.name)' on system '\(source.systemID)'"))
            }
            if !systemIDs.contains(source.systemID) {
                issues.append(.init(path: "sources[\(index)].system", message: "unknown system '\(source.systemID)'"))
            }
            if !orgIDs.contains(source.custodianOrgID) {
                issues.append(.init(path: "sources[\(index)].custodian_org", message: "unknown organisation '\(source.custodianOrgID)'"))
            }
        }
        var cardKeys = Set<String>()
        for (index, card) in actionCards.enumerated() {
            if let system = card.systemID {
                if !systemIDs.contains(system) { issues.append(.init(path: "action_cards[\(index)].system", message: "unknown system '\(system)'")) }
            } else if !orgIDs.contains(card.orgID) {
                issues.append(.init(path: "action_cards[\(index)].org", message: "unknown organisation '\(card.orgID)'"))
            }
            if !cardKeys.insert(card.key).inserted {
                issues.append(.init(path: "action_cards[\(index)]", message: "a second card for \(card.key)"))
            }
        }
        return issues
    }
}

/// The stable key of a source in inventory-as-code: its system and its name there.
public struct SourceKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var systemID: SystemID
    public var name: String
    public init(systemID: SystemID, name: String) {
        self.systemID = systemID
        self.name = name
    }
    public var description: String { "\(systemID)/\(name)" }
    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.systemID.rawValue, lhs.name) < (rhs.systemID.rawValue, rhs.name) }
}

extension LogSource {
    /// The stable key used by `apply`.
    public var key: SourceKey { SourceKey(systemID: systemID, name: name) }

    /// Whether two sources declare the same things, ignoring identity, version and attestations.
    public func declaresSame(as other: LogSource) -> Bool {
        var lhs = self, rhs = other
        lhs.id = rhs.id
        lhs.version = rhs.version
        lhs.latestAttestation = rhs.latestAttestation
        return lhs == rhs
    }
}

extension Organisation {
    /// Whether two organisations declare the same things, ignoring the version.
    public func declaresSame(as other: Organisation) -> Bool {
        var lhs = self
        lhs.version = other.version
        return lhs == other
    }
}

extension ProtectedSystem {
    /// Whether two systems declare the same things, ignoring the version.
    public func declaresSame(as other: ProtectedSystem) -> Bool {
        var lhs = self
        lhs.version = other.version
        return lhs == other
    }
}
