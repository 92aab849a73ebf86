/// The SOC action-card incident types a requirement serves.
public enum IncidentType: Int, CaseIterable, Sendable, Comparable, Codable {
    case unauthorisedAccess = 100
    case denialOfService = 200
    case malware = 300
    case policyViolatingCommunication = 400
    case reconnaissance = 500
    case other = 600

    public var title: String {
        switch self {
        case .unauthorisedAccess: "unauthorised access"
        case .denialOfService: "DoS/DDoS"
        case .malware: "malware"
        case .policyViolatingCommunication: "policy-violating communication"
        case .reconnaissance: "reconnaissance"
        case .other: "other"
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Whether a catalogue is in force or kept for reference (e.g. a rescinded mandate).
public enum PolicyStatus: String, Sendable, Codable, CaseIterable {
    case current, legacy
}

/// A requirement catalogue: a standard or an internal baseline, each requirement citing its clause.
public struct Policy: Sendable, Hashable {
    public var id: String
    public var title: String
    public var version: String
    public var citation: String
    public var status: PolicyStatus
    public var requirements: [Requirement]

    public init(id: String, title: String, version: String, citation: String, status: PolicyStatus, requirements: [Requirement]) {
        self.id = id
        self.title = title
        self.version = version
        self.citation = citation
        self.status = status
        self.requirements = requirements
    }
}

/// Which log types satisfy a requirement.
public enum LogTypeRule: Sendable, Hashable {
    /// Any one of these types will do (the best source counts).
    case anyOf([String])
    /// Each of these types is needed.
    case allOf([String])

    public var types: [String] {
        switch self {
        case .anyOf(let types), .allOf(let types): types
        }
    }
}

/// Which targets a requirement applies to.
public struct TargetSelector: Sendable, Hashable {
    /// What is evaluated: each matching system, or each matching organisation ("every org").
    public enum Scope: String, Sendable, Hashable {
        case systems, orgs
    }

    /// Organisations only: which sources count for one — those of the systems it owns, those it holds as
    /// custodian (a vendor or a shared service keeping others' logs), or both.
    public enum OrgSources: String, Sendable, Hashable, CaseIterable {
        case owned, held
        case ownedOrHeld = "owned_or_held"
    }

    public var scope: Scope
    /// Systems only: internet-facing ones (true), internal ones (false), or both (nil).
    public var internetFacing: Bool?
    /// Systems only: at least this critical.
    public var minCriticality: Criticality?
    /// Systems only: carrying any of these tags (empty: no condition).
    public var tags: [String]
    /// Organisations of these kinds (for systems: their owner's kind); empty: any kind.
    public var orgKinds: [OrgKind]
    public var orgSources: OrgSources

    public init(scope: Scope = .systems, internetFacing: Bool? = nil, minCriticality: Criticality? = nil, tags: [String] = [], orgKinds: [OrgKind] = [],
                orgSources: OrgSources = .owned) {
        self.scope = scope
        self.internetFacing = internetFacing
        self.minCriticality = minCriticality
        self.tags = tags
        self.orgKinds = orgKinds
        self.orgSources = orgSources
    }

    /// Whether `system`, owned by an organisation of `ownerKind`, is selected.
    public func selects(_ system: ProtectedSystem, ownerKind: OrgKind?) -> Bool {
        guard scope == .systems else { return false }
        if let internetFacing, system.isInternetFacing != internetFacing { return false }
        if let minCriticality, system.criticality < minCriticality { return false }
        if !tags.isEmpty, !tags.contains(where: system.tags.contains) { return false }
        if !orgKinds.isEmpty, !(ownerKind.map(orgKinds.contains) ?? false) { return false }
        return true
    }

    /// Whether `org` is selected.
    public func selects(_ org: Organisation) -> Bool {
        scope == .orgs && (orgKinds.isEmpty || orgKinds.contains(org.kind))
    }
}

/// One requirement of a policy.
public struct Requirement: Sendable, Hashable {
    public var id: String
    public var title: String
    /// The clause of the standard it encodes, e.g. "PCI DSS v4.0.1 10.5.1".
    public var clause: String
    public var appliesTo: TargetSelector
    public var logTypes: LogTypeRule
    public var minRetentionDays: Int?
    public var minSearchableDays: Int?
    /// The most hours retrieval may take…
    public var maxRetrievalHours: Double?
    /// …for data up to this many days old (default: the required retention, else everything held).
    public var retrievalWindowDays: Int?
    public var requiredFields: [String]
    public var clockSync: Bool
    public var maxAttestationAgeDays: Int?
    public var incidentTypes: [IncidentType]
    public var weight: Double
    /// The most hours obtaining the logs may take in an incident of each severity, e.g. 24 for critical: met when
    /// the CSIRT searches the data itself, or a standing agreement (or else the declared lead time) is fast enough.
    public var maxAccessHours: [Priority: Double]
    /// Systems only: the action-card cells that must name a responsible person and a contact.
    public var responsibleContact: ResponsibleContactRule?
    /// The source must have passed a retrieval drill within this many days.
    public var drilledWithinDays: Int?

    public init(id: String, title: String, clause: String, appliesTo: TargetSelector, logTypes: LogTypeRule,
                minRetentionDays: Int? = nil, minSearchableDays: Int? = nil, maxRetrievalHours: Double? = nil,
                retrievalWindowDays: Int? = nil, requiredFields: [String] = [], clockSync: Bool = false,
                maxAttestationAgeDays: Int? = nil, incidentTypes: [IncidentType] = [], weight: Double = 1,
                maxAccessHours: [Priority: Double] = [:], responsibleContact: ResponsibleContactRule? = nil, drilledWithinDays: Int? = nil) {
        self.drilledWithinDays = drilledWithinDays
        self.maxAccessHours = maxAccessHours
        self.responsibleContact = responsibleContact
        self.id = id
        self.title = title
        self.clause = clause
        self.appliesTo = appliesTo
        self.logTypes = logTypes
        self.minRetentionDays = minRetentionDays
        self.minSearchableDays = minSearchableDays
        self.maxRetrievalHours = maxRetrievalHours
        self.retrievalWindowDays = retrievalWindowDays
        self.requiredFields = requiredFields
        self.clockSync = clockSync
        self.maxAttestationAgeDays = maxAttestationAgeDays
        self.incidentTypes = incidentTypes
        self.weight = weight
    }
}
