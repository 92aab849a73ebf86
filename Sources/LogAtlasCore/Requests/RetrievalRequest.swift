import Foundation

/// Identifier of a retrieval request.
public struct RequestID: UUIDIdentifier {
    public let rawValue: UUID
    public init(rawValue: UUID) { self.rawValue = rawValue }
}

/// Identifier of one custodian organisation's part of a request.
public struct RequestItemID: UUIDIdentifier {
    public let rawValue: UUID
    public init(rawValue: UUID) { self.rawValue = rawValue }
}

/// Identifier of an uploaded artifact or hand-over record.
public struct ArtifactID: UUIDIdentifier {
    public let rawValue: UUID
    public init(rawValue: UUID) { self.rawValue = rawValue }
}

/// Urgency of a request, after the action-card severities; it sets the SLA.
public enum Priority: String, CaseIterable, Sendable, Codable, Comparable {
    case informational, medium, serious, critical

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The period whose logs are wanted, in UTC; `from` is inclusive, `to` exclusive.
public struct TimeWindow: Hashable, Sendable {
    public var from: Date
    public var to: Date

    public init(from: Date, to: Date) {
        self.from = from
        self.to = to
    }

    public var duration: TimeInterval { to.timeIntervalSince(from) }
}

/// What the custodian should look for inside the window.
public struct FilterHints: Hashable, Sendable, Codable {
    public var hosts: [String]
    public var users: [String]
    public var ips: [String]
    public var text: String?

    public init(hosts: [String] = [], users: [String] = [], ips: [String] = [], text: String? = nil) {
        self.hosts = hosts
        self.users = users
        self.ips = ips
        self.text = text
    }
}

/// What a CSIRT member submits.
public struct RequestDraft: Hashable, Sendable {
    /// The incident ticket this request serves, e.g. `INC-2026-0142`.
    public var incidentReference: String
    /// Why these logs are needed; custodians read this first.
    public var purpose: String
    public var priority: Priority
    public var window: TimeWindow
    public var hints: FilterHints
    public var sourceIDs: [LogSourceID]
    /// The incident's type on the action card (100–600), when known; standing agreements may be limited to some.
    public var incidentType: IncidentType?

    public init(incidentReference: String, purpose: String, priority: Priority, window: TimeWindow,
                hints: FilterHints = FilterHints(), sourceIDs: [LogSourceID], incidentType: IncidentType? = nil) {
        self.incidentType = incidentType
        self.incidentReference = incidentReference
        self.purpose = purpose
        self.priority = priority
        self.window = window
        self.hints = hints
        self.sourceIDs = sourceIDs
    }
}

/// The lifecycle state of one item.
public enum ItemState: String, CaseIterable, Sendable, Codable {
    case requested, acknowledged, approved, rejected
    case inProgress = "in_progress"
    case delivered, received
    case needsInfo = "needs_info"
    case cancelled, expired

    /// Whether nothing can happen to the item any more.
    public var isTerminal: Bool { [.rejected, .received, .cancelled, .expired].contains(self) }
    /// Whether the custodian still owes a delivery (the SLA clock runs).
    public var awaitsDelivery: Bool { [.requested, .acknowledged, .approved, .inProgress, .needsInfo].contains(self) }
}

/// One custodian organisation's share of a request: its sources, state, deadlines and preservation instruction.
public struct RequestItem: Hashable, Sendable {
    public var id: RequestItemID
    public var custodianOrgID: OrgID
    public var sourceIDs: [LogSourceID]
    public var state: ItemState
    /// The state to return to when a `needs_info` question is answered.
    public var resumeState: ItemState?
    public var acknowledgeDue: Date
    public var deliverDue: Date
    /// Data of the window starts leaving a tier on this date: the custodian should preserve it before then.
    public var preserveBefore: Date?
    public var acknowledgedAt: Date?
    public var deliveredAt: Date?
    public var rejectReason: String?
    public var outcome: String?
    /// The prediction for the item's sources, made at filing.
    public var feasibility: [SourceFeasibility]
    /// Uploaded artifacts and hand-over records on the item.
    public var evidenceCount: Int
    public var version: Int
    /// The earliest the slowest part of the window can be delivered, as predicted at filing (nil: no prediction).
    public var feasibleBy: Date?
    /// The custodian's pending request for a later delivery due date.
    public var proposal: DueDateProposal?
    /// The standing agreement that approved the item at filing (its due date is the agreement's promise).
    public var agreement: AgreementRef?

    public init(id: RequestItemID = RequestItemID(), custodianOrgID: OrgID, sourceIDs: [LogSourceID], state: ItemState = .requested,
                resumeState: ItemState? = nil, acknowledgeDue: Date, deliverDue: Date, preserveBefore: Date? = nil,
                acknowledgedAt: Date? = nil, deliveredAt: Date? = nil, rejectReason: String? = nil, outcome: String? = nil,
                feasibility: [SourceFeasibility] = [], evidenceCount: Int = 0, version: Int = 1, feasibleBy: Date? = nil,
                proposal: DueDateProposal? = nil, agreement: AgreementRef? = nil) {
        self.agreement = agreement
        self.feasibleBy = feasibleBy
        self.proposal = proposal
        self.id = id
        self.custodianOrgID = custodianOrgID
        self.sourceIDs = sourceIDs
        self.state = state
        self.resumeState = resumeState
        self.acknowledgeDue = acknowledgeDue
        self.deliverDue = deliverDue
        self.preserveBefore = preserveBefore
        self.acknowledgedAt = acknowledgedAt
        self.deliveredAt = deliveredAt
        self.rejectReason = rejectReason
        self.outcome = outcome
        self.feasibility = feasibility
        self.evidenceCount = evidenceCount
        self.version = version
    }

    /// Whether the prediction says the delivery due date cannot be met: the slowest part of the window needs longer.
    public var dueDateUnreachable: Bool { state.awaitsDelivery && (feasibleBy.map { $0 > deliverDue } ?? false) }

    /// What the preview and the item say when the due date cannot be met, naming the slowest medium and its lead time.
    public var dueDateWarning: String? {
        guard dueDateUnreachable, let feasibleBy else { return nil }
        let slowest = feasibility.flatMap(\.segments).filter { $0.leadHours != nil }.max { $0.leadHours! < $1.leadHours! }
        let lead = slowest.map { " (\($0.medium?.rawValue ?? "slow media"), \(Int($0.leadHours!.rounded(.up))) h)" } ?? ""
        return "\(custodianOrgID): delivery is due \(Timestamp.format(deliverDue)) but the slowest part of the window\(lead) "
            + "cannot be delivered before \(Timestamp.format(feasibleBy)); the custodian may propose a later due date"
    }

    /// Whether the item is past a deadline it has not met, as of `now`.
    public func isOverdue(now: Date) -> Bool {
        (state == .requested && now > acknowledgeDue) || (state.awaitsDelivery && now > deliverDue)
    }
}

/// The agreement version that approved an item, and its promise.
public struct AgreementRef: Hashable, Sendable, Codable {
    public var id: AgreementID
    public var version: Int
    public var promisedLeadHours: Double

    public init(id: AgreementID, version: Int, promisedLeadHours: Double) {
        self.id = id
        self.version = version
        self.promisedLeadHours = promisedLeadHours
    }
}

/// A custodian's request to move an item's delivery due date, waiting for the requester's answer.
public struct DueDateProposal: Hashable, Sendable {
    public var deliverDue: Date
    public var reason: String
    public var proposedBy: String
    public var proposedAt: Date

    public init(deliverDue: Date, reason: String, proposedBy: String, proposedAt: Date) {
        self.deliverDue = deliverDue
        self.reason = reason
        self.proposedBy = proposedBy
        self.proposedAt = proposedAt
    }
}

/// A filed request with the items the caller may see (a custodian sees only its own organisations' items).
public struct RetrievalRequest: Hashable, Sendable {
    public var id: RequestID
    public var draft: RequestDraft
    /// The CSIRT team (organisation) that filed it; its members follow the request.
    public var requesterOrgID: OrgID?
    public var requestedBy: String
    public var filedAt: Date
    /// Warnings computed at filing (part of the window expired, stale attestations …).
    public var warnings: [String]
    public var items: [RequestItem]
    /// How long its evidence is kept once it closes.
    public var retention: RequestRetention

    /// The warnings about the items held here, as they stand now: the predictions' warnings about their sources and
    /// any due date that cannot be met. Derived from the items, so a custodian reads nothing about other organisations.
    public var itemWarnings: [String] {
        items.flatMap { $0.feasibility.flatMap(\.warnings) + [$0.dueDateWarning].compactMap { $0 } }
    }

    public init(id: RequestID = RequestID(), draft: RequestDraft, requesterOrgID: OrgID?, requestedBy: String, filedAt: Date,
                warnings: [String] = [], items: [RequestItem], retention: RequestRetention = RequestRetention()) {
        self.retention = retention
        self.id = id
        self.draft = draft
        self.requesterOrgID = requesterOrgID
        self.requestedBy = requestedBy
        self.filedAt = filedAt
        self.warnings = warnings
        self.items = items
    }
}
