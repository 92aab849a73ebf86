import Foundation

/// One line of an action card: for these incident types and severities, who acts, how to reach them, what they do
/// first and which logs the responder needs.
public struct ActionCardEntry: Sendable, Hashable, Codable {
    /// The incident types it covers (100–600); empty: every type.
    public var incidentTypes: [IncidentType]
    /// The severities it covers; empty: every severity.
    public var severities: [Priority]
    /// The responsible person or role, e.g. "Web team on-call (Sato)".
    public var responsible: String
    /// How to reach them now: a phone number, a pager, a mail address.
    public var contact: String
    public var firstActions: [String]
    /// The log types the responder needs first.
    public var logTypes: [String]

    public init(incidentTypes: [IncidentType] = [], severities: [Priority] = [], responsible: String, contact: String, firstActions: [String] = [],
                logTypes: [String] = []) {
        self.incidentTypes = incidentTypes
        self.severities = severities
        self.responsible = responsible
        self.contact = contact
        self.firstActions = firstActions
        self.logTypes = logTypes
    }

    enum CodingKeys: String, CodingKey {
        case incidentTypes = "incident_types", severities, responsible, contact, firstActions = "first_actions", logTypes = "log_types"
    }

    /// Whether the entry covers the cell.
    public func covers(_ type: IncidentType, _ severity: Priority) -> Bool {
        (incidentTypes.isEmpty || incidentTypes.contains(type)) && (severities.isEmpty || severities.contains(severity))
    }
}

/// An organisation's default card (`systemID` nil) or one system's card. A system's entries override its owner's
/// defaults cell by cell; within a card, a later entry overrides an earlier one.
public struct ActionCard: Sendable, Hashable {
    public var orgID: OrgID
    public var systemID: SystemID?
    public var entries: [ActionCardEntry]
    public var version: Int
    public var updatedBy: String
    public var updatedAt: Date

    public init(orgID: OrgID, systemID: SystemID? = nil, entries: [ActionCardEntry], version: Int = 1, updatedBy: String = "", updatedAt: Date = Date()) {
        self.orgID = orgID
        self.systemID = systemID
        self.entries = entries
        self.version = version
        self.updatedBy = updatedBy
        self.updatedAt = updatedAt
    }

    /// "system shop-web" or "org digital": what a card is for, unique in an inventory.
    public var key: String { systemID.map { "system \($0)" } ?? "org \(orgID)" }

    /// Whether two cards say the same (versions and who changed them aside).
    public func declaresSame(as other: ActionCard) -> Bool { key == other.key && entries == other.entries }

    /// Rules of the entries, with their paths (`entries[i].field`).
    public static func issues(in entries: [ActionCardEntry]) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if entries.count > 200 { issues.append(.init(path: "entries", message: "at most 200 entries")) }
        for (index, entry) in entries.enumerated() {
            let path = "entries[\(index)]"
            for (field, value, limit) in [("responsible", entry.responsible, 200), ("contact", entry.contact, 200)] {
                let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
                if trimmed.isEmpty || trimmed.count > limit { issues.append(.init(path: "\(path).\(field)", message: "1 to \(limit) characters")) }
                issues += Validation.controlIssues(value, path: "\(path).\(field)")
            }
            if entry.firstActions.count > 20 { issues.append(.init(path: "\(path).first_actions", message: "at most 20 actions")) }
            for (position, action) in entry.firstActions.enumerated() {
                if action.trimmingCharacters(in: .whitespaces).isEmpty || action.count > 1_000 {
                    issues.append(.init(path: "\(path).first_actions[\(position)]", message: "1 to 1000 characters"))
                }
                issues += Validation.controlIssues(action, path: "\(path).first_actions[\(position)]")
            }
            for (position, type) in entry.logTypes.enumerated() { issues += Validation.logTypeIssues(type, path: "\(path).log_types[\(position)]") }
        }
        return issues
    }
}

/// A system's card as the responder reads it: every cell of incident type × severity that has an entry, from the
/// system's own card or its owner's defaults.
public struct ResolvedActionCard: Sendable, Hashable {
    public struct Cell: Sendable, Hashable {
        public var incidentType: IncidentType
        public var severity: Priority
        public var entry: ActionCardEntry
        /// Whether the entry comes from the owner organisation's defaults.
        public var fromDefaults: Bool
    }

    public var system: ProtectedSystem
    public var cells: [Cell]

    public init(system: ProtectedSystem, systemCard: ActionCard?, defaults: ActionCard?) {
        self.system = system
        var cells: [Cell] = []
        for type in IncidentType.allCases {
            for severity in Priority.allCases {
                if let entry = systemCard?.entries.last(where: { $0.covers(type, severity) }) {
                    cells.append(Cell(incidentType: type, severity: severity, entry: entry, fromDefaults: false))
                } else if let entry = defaults?.entries.last(where: { $0.covers(type, severity) }) {
                    cells.append(Cell(incidentType: type, severity: severity, entry: entry, fromDefaults: true))
                }
            }
        }
        self.cells = cells
    }

    public func cell(_ type: IncidentType, _ severity: Priority) -> Cell? {
        cells.first { $0.incidentType == type && $0.severity == severity }
    }

    /// The cells of `types` × `severities` (empty: all) without a responsible person and a contact.
    public func uncovered(types: [IncidentType], severities: [Priority]) -> [(IncidentType, Priority)] {
        (types.isEmpty ? IncidentType.allCases : types).flatMap { type in
            (severities.isEmpty ? Priority.allCases : severities).compactMap { severity in cell(type, severity) == nil ? (type, severity) : nil }
        }
    }
}

/// Which cells of a system's action card a requirement wants answered with a responsible person and a contact.
public struct ResponsibleContactRule: Sendable, Hashable {
    public var incidentTypes: [IncidentType]
    public var severities: [Priority]

    public init(incidentTypes: [IncidentType] = [], severities: [Priority] = []) {
        self.incidentTypes = incidentTypes
        self.severities = severities
    }
}

extension Principal {
    /// Whether the caller may set the action card of `org` or of one of its systems: an admin, or a custodian member
    /// of the organisation that owns it (who knows who acts there); the CSIRT and auditors read.
    public func mayEditActionCard(of org: OrgID) -> Bool {
        role == .admin || (role == .custodian && orgIDs.contains(org))
    }
}

/// Action cards in storage, scoped like the systems they belong to.
public protocol ActionCardRepository: Sendable {
    /// Every card the caller sees (organisation defaults and system cards).
    func cards(as caller: Principal) async throws -> [ActionCard]
    /// A system's card resolved against its owner's defaults.
    func resolved(_ system: SystemID, as caller: Principal) async throws -> ResolvedActionCard
    /// Replaces an organisation's default card (`system` nil) or a system's card; `ifVersion` guards a concurrent edit.
    func save(_ entries: [ActionCardEntry], org: OrgID?, system: SystemID?, ifVersion: Int?, as caller: Principal, now: Date) async throws -> ActionCard
}
