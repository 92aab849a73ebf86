import Foundation

/// What an incident showed to be wrong with the logs of a system.
public enum ObservedGapKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The logs were not there at all (the log type is not collected, or the source held nothing for the window).
    case missing
    /// They were kept, but not far enough back.
    case tooShort = "too_short"
    /// They were kept, but obtaining them took too long.
    case tooSlow = "too_slow"
    /// They arrived without fields the investigation needed.
    case fieldsMissing = "fields_missing"
}

/// A gap an incident revealed, recorded by the CSIRT against the incident reference. It stays open — a finding of
/// every gap report, raising the priority of the remediation that would close it — until a gap report shows the
/// requirement it implies met, or an admin closes it with a reason.
public struct ObservedGap: Sendable, Hashable {
    public struct Closure: Sendable, Hashable {
        public var by: String
        public var at: Date
        public var reason: String
        /// The gap report that showed it met, when a run closed it.
        public var reportID: UUID?

        public init(by: String, at: Date, reason: String, reportID: UUID? = nil) {
            self.by = by
            self.at = at
            self.reason = reason
            self.reportID = reportID
        }
    }

    public var id: UUID
    public var incidentReference: String
    public var systemID: SystemID
    /// The organisation owning the system (what the gap's findings count for).
    public var systemOwnerOrgID: OrgID
    public var logType: String
    /// The source that fell short, when it was a known source.
    public var sourceID: LogSourceID?
    public var kind: ObservedGapKind
    /// `too_short`: how many days back the incident needed; `too_slow`: the window the speed applies to.
    public var neededDays: Int?
    /// `too_slow`: within how many hours the incident needed the logs.
    public var neededHours: Double?
    /// `fields_missing`: the fields the logs lacked.
    public var fields: [String]
    public var note: String
    /// The request item whose answer revealed the gap, when there was one.
    public var requestID: RequestID?
    public var itemID: RequestItemID?
    public var incidentType: IncidentType?
    public var recordedBy: String
    public var recordedAt: Date
    public var closure: Closure?

    public init(id: UUID = UUID(), incidentReference: String, systemID: SystemID, systemOwnerOrgID: OrgID, logType: String,
                sourceID: LogSourceID? = nil, kind: ObservedGapKind, neededDays: Int? = nil, neededHours: Double? = nil, fields: [String] = [],
                note: String = "", requestID: RequestID? = nil, itemID: RequestItemID? = nil, incidentType: IncidentType? = nil,
                recordedBy: String, recordedAt: Date, closure: Closure? = nil) {
        self.id = id
        self.incidentReference = incidentReference
        self.systemID = systemID
        self.systemOwnerOrgID = systemOwnerOrgID
        self.logType = logType
        self.sourceID = sourceID
        self.kind = kind
        self.neededDays = neededDays
        self.neededHours = neededHours
        self.fields = fields
        self.note = note
        self.requestID = requestID
        self.itemID = itemID
        self.incidentType = incidentType
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
        self.closure = closure
    }

    public var isOpen: Bool { closure == nil }

    /// The findings of observed gaps belong to this pseudo-policy.
    public static let policyID = "observed"
    /// What an observed gap weighs against a catalogue requirement (1 by default): an incident proved it matters.
    public static let weight = 3.0

    /// The requirement the gap implies, judged by the same rules as a catalogue's: a source of the log type
    /// (for a missing source's logs: attested after the incident), `needed_days` of retention, retrieval within
    /// `needed_hours`, the missing fields logged.
    public func requirement(now: Date) -> Requirement {
        var requirement = Requirement(id: "\(incidentReference)#\(id.uuidString.prefix(8).lowercased())", title: title,
                                      clause: "observed gap \(id.uuidString.lowercased())", appliesTo: TargetSelector(),
                                      logTypes: .anyOf([logType]), incidentTypes: incidentType.map { [$0] } ?? [], weight: Self.weight)
        switch kind {
        case .missing:
            // A source that held nothing must show, by an attestation made since, that it now keeps its logs.
            if sourceID != nil { requirement.maxAttestationAgeDays = max(0, Int(now.timeIntervalSince(recordedAt) / 86_400)) }
        case .tooShort: requirement.minRetentionDays = neededDays
        case .tooSlow:
            requirement.maxRetrievalHours = neededHours
            requirement.retrievalWindowDays = neededDays
        case .fieldsMissing: requirement.requiredFields = fields
        }
        return requirement
    }

    /// "Observed in INC-2026-0142: web.access of shop-web too short (400 d needed)".
    public var title: String {
        let what = switch kind {
        case .missing: "missing"
        case .tooShort: "kept too briefly" + (neededDays.map { " (\($0) d needed)" } ?? "")
        case .tooSlow: "obtained too slowly" + (neededHours.map { " (needed within \(Shortfall.number($0)) h)" } ?? "")
        case .fieldsMissing: "without \(fields.joined(separator: ", "))"
        }
        return "Observed in \(incidentReference): \(logType) of \(systemID) \(what)"
    }
}

/// What the CSIRT says an incident showed. With an item, the incident reference comes from its request and the
/// source must be one of the item's; without one, the incident reference and a source or a system are named.
public struct ObservedGapDraft: Sendable, Hashable {
    public var incidentReference: String?
    public var requestID: RequestID?
    public var itemID: RequestItemID?
    public var sourceID: LogSourceID?
    public var systemID: SystemID?
    public var logType: String?
    public var kind: ObservedGapKind
    public var neededDays: Int?
    public var neededHours: Double?
    public var fields: [String]
    public var note: String

    public init(incidentReference: String? = nil, requestID: RequestID? = nil, itemID: RequestItemID? = nil, sourceID: LogSourceID? = nil,
                systemID: SystemID? = nil, logType: String? = nil, kind: ObservedGapKind, neededDays: Int? = nil, neededHours: Double? = nil,
                fields: [String] = [], note: String = "") {
        self.incidentReference = incidentReference
        self.requestID = requestID
        self.itemID = itemID
        self.sourceID = sourceID
        self.systemID = systemID
        self.logType = logType
        self.kind = kind
        self.neededDays = neededDays
        self.neededHours = neededHours
        self.fields = fields
        self.note = note
    }

    /// The item states whose answer can reveal a gap: rejected (e.g. as unavailable), expired, or received (with an
    /// outcome the CSIRT found insufficient).
    public static let revealingStates: Set<ItemState> = [.rejected, .expired, .received]

    /// Rules that need nothing but the draft.
    public func issues() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if (requestID == nil) != (itemID == nil) {
            issues.append(.init(path: requestID == nil ? "request_id" : "item_id", message: "name the request and its item together"))
        }
        if itemID == nil {
            if (incidentReference ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                issues.append(.init(path: "incident_reference", message: "required when no request item is named"))
            }
            if sourceID == nil, systemID == nil || logType == nil {
                issues.append(.init(path: "source_id", message: "name the source, or the system and the log type"))
            }
        }
        if let reference = incidentReference, reference.count > 100 { issues.append(.init(path: "incident_reference", message: "at most 100 characters")) }
        issues += Validation.controlIssues(incidentReference, path: "incident_reference") + Validation.controlIssues(note, path: "note")
        if note.count > 4000 { issues.append(.init(path: "note", message: "at most 4000 characters")) }
        if let logType { issues += Validation.logTypeIssues(logType, path: "log_type") }
        if sourceID != nil, systemID != nil || logType != nil {
            issues.append(.init(path: "source_id", message: "a source names its system and log type; give one or the other"))
        }
        switch kind {
        case .missing: break
        case .tooShort:
            if neededDays == nil { issues.append(.init(path: "needed_days", message: "how many days back the incident needed (required for too_short)")) }
        case .tooSlow:
            if neededHours == nil { issues.append(.init(path: "needed_hours", message: "within how many hours the logs were needed (required for too_slow)")) }
        case .fieldsMissing:
            if fields.isEmpty { issues.append(.init(path: "fields", message: "the fields the logs lacked (required for fields_missing)")) }
        }
        if let days = neededDays, !(1...Validation.maxRetentionDays).contains(days) {
            issues.append(.init(path: "needed_days", message: "between 1 and \(Validation.maxRetentionDays)"))
        }
        if let hours = neededHours, !(hours > 0 && hours <= 8_760) { issues.append(.init(path: "needed_hours", message: "more than 0 and at most 8760")) }
        for (index, field) in fields.enumerated() where !Validation.isFieldName(field) {
            issues.append(.init(path: "fields[\(index)]", message: "not a field name"))
        }
        return issues
    }

    /// The gap as recorded, from the facts the store looked up as the caller: the item (its request's incident and
    /// team, its state and sources) and the source, or the system. Decides who may record it and from which answer.
    public func resolve(item: ItemFacts?, source: SourceFacts?, system: (id: SystemID, owner: OrgID)?, by caller: Principal,
                        now: Date) throws -> ObservedGap {
        guard caller.mayRecordObservedGaps else { throw ObservedGapError.forbidden("only the CSIRT and admins record observed gaps") }
        var issues = self.issues()
        guard issues.isEmpty else { throw ObservedGapError.invalid(issues) }
        if let itemID, item == nil { throw ObservedGapError.notFound(kind: "request item", id: itemID.description) }
        if let item {
            guard caller.parties(requesterOrg: item.requesterOrgID, custodian: OrgID("")).contains(.requester) else {
                throw ObservedGapError.forbidden("only the team that filed the request records what its answer lacked")
            }
            guard Self.revealingStates.contains(item.state) else {
                throw ObservedGapError.refused("the item is \(item.state.rawValue); a gap is recorded once it was rejected, expired or received")
            }
            if let sourceID, !item.sourceIDs.contains(sourceID) {
                issues.append(.init(path: "source_id", message: "not one of the item's sources"))
            }
            if sourceID == nil, systemID == nil {
                issues.append(.init(path: "source_id", message: "name which of the item's sources fell short"))
            }
        }
        if let sourceID, source == nil { throw ObservedGapError.notFound(kind: "source", id: sourceID.description) }
        if let systemID, system == nil { throw ObservedGapError.notFound(kind: "system", id: systemID.rawValue) }
        guard issues.isEmpty else { throw ObservedGapError.invalid(issues) }
        guard let target = source.map({ (id: $0.systemID, owner: $0.systemOwnerOrgID) }) ?? system,
              let logType = source?.logType ?? logType else {
            throw ObservedGapError.invalid([.init(path: "source_id", message: "name the source, or the system and the log type")])
        }
        return ObservedGap(incidentReference: item?.incidentReference ?? incidentReference ?? "", systemID: target.id, systemOwnerOrgID: target.owner,
                           logType: logType, sourceID: sourceID, kind: kind, neededDays: neededDays, neededHours: neededHours, fields: fields,
                           note: note, requestID: item == nil ? nil : requestID, itemID: item == nil ? nil : itemID, incidentType: item?.incidentType,
                           recordedBy: caller.name, recordedAt: now)
    }

    /// What the store knows of the named request item.
    public struct ItemFacts: Sendable, Hashable {
        public var incidentReference: String
        public var incidentType: IncidentType?
        public var requesterOrgID: OrgID?
        public var state: ItemState
        public var sourceIDs: [LogSourceID]

        public init(incidentReference: String, incidentType: IncidentType?, requesterOrgID: OrgID?, state: ItemState, sourceIDs: [LogSourceID]) {
            self.incidentReference = incidentReference
            self.incidentType = incidentType
            self.requesterOrgID = requesterOrgID
            self.state = state
            self.sourceIDs = sourceIDs
        }
    }

    /// What the store knows of the named source.
    public struct SourceFacts: Sendable, Hashable {
        public var systemID: SystemID
        public var systemOwnerOrgID: OrgID
        public var logType: String

        public init(systemID: SystemID, systemOwnerOrgID: OrgID, logType: String) {
            self.systemID = systemID
            self.systemOwnerOrgID = systemOwnerOrgID
            self.logType = logType
        }
    }
}

extension Principal {
    /// Whether the caller may record what an incident showed missing (the CSIRT and admins).
    public var mayRecordObservedGaps: Bool { role == .csirt || role == .admin }

    /// Whether the caller may close an observed gap by hand, with a reason (admins; a gap report closes it otherwise).
    public var mayCloseObservedGaps: Bool { role == .admin }
}

public enum ObservedGapError: Error, Hashable, Sendable {
    /// No such gap (or item, source, system), or the caller may not see it (never told apart).
    case notFound(kind: String, id: String)
    case invalid([ValidationIssue])
    case forbidden(String)
    /// The gap or the item does not allow it (closed already; the item's answer is still open).
    case refused(String)
}

/// Which observed gaps to list.
public struct ObservedGapFilter: Sendable, Hashable {
    public var open: Bool?
    public var systemID: SystemID?
    public var incidentReference: String?

    public init(open: Bool? = nil, systemID: SystemID? = nil, incidentReference: String? = nil) {
        self.open = open
        self.systemID = systemID
        self.incidentReference = incidentReference
    }
}

/// Persistence of observed gaps, scoped to the caller: the CSIRT, auditors and admins see all; a custodian those on
/// systems its organisations own or hold sources of.
public protocol ObservedGapRepository: Sendable {
    func gaps(matching filter: ObservedGapFilter, as caller: Principal) async throws -> [ObservedGap]
    func gap(_ id: UUID, as caller: Principal) async throws -> ObservedGap
    func record(_ draft: ObservedGapDraft, as caller: Principal, now: Date) async throws -> ObservedGap
    /// Closes an open gap by hand (admins), with a reason.
    func close(_ id: UUID, reason: String, as caller: Principal, now: Date) async throws -> ObservedGap
    /// Closes the open gaps among `ids` that the stored gap report `report` shows met; returns those it closed.
    func closeMet(_ ids: [UUID], by report: UUID, as caller: Principal, now: Date) async throws -> [UUID]
}
