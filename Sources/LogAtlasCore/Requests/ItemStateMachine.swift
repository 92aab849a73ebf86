import Foundation

/// Something a party can do to a request item.
public enum ItemAction: String, CaseIterable, Sendable, Codable {
    case acknowledge, approve, reject, start, deliver, receive
    /// The custodian asks the requester a question (→ `needs_info`).
    case askInfo = "ask_info"
    /// The requester answers; the item returns to where it was.
    case answer
    case cancel
    /// The SLA job gives up on a long-overdue item.
    case expire
    /// The custodian asks for a later delivery date, with its reason (the state does not change).
    case proposeDueDate = "propose_due_date"
    /// The requester agrees: the proposed date becomes the item's delivery due date.
    case acceptDueDate = "accept_due_date"
    /// The requester keeps the due date, with its reason; the proposal is withdrawn.
    case declineDueDate = "decline_due_date"

    /// Whether the action is part of the due-date negotiation (it leaves the state as it is).
    public var negotiatesDueDate: Bool { [.proposeDueDate, .acceptDueDate, .declineDueDate].contains(self) }
}

/// The side a caller acts for on one item.
public enum Party: String, Sendable, CaseIterable {
    /// The CSIRT team that filed the request.
    case requester
    /// The organisation that holds the logs of this item.
    case custodian
    /// LogAtlas itself (the SLA job).
    case system
}

/// Why a transition was refused.
public enum TransitionRefusal: Error, Hashable, Sendable {
    /// The caller does not act for a party allowed to fire the action.
    case notPermitted(action: ItemAction)
    /// The action does not apply in the item's current state.
    case wrongState(action: ItemAction, current: ItemState)
    /// A reason, question, answer or outcome note is required.
    case noteRequired(action: ItemAction)
    /// Delivery needs an uploaded artifact or a hand-over record first.
    case noEvidence
    /// A proposal must name a delivery date later than the current one and within a year.
    case dueDateInvalid(current: Date)
    /// Accepting or declining needs a pending proposal.
    case noProposal
}

/// What the store records when a transition is allowed.
public struct TransitionOutcome: Hashable, Sendable {
    public var from: ItemState
    public var to: ItemState
    /// Remembered while in `needs_info`, cleared on answer.
    public var resumeState: ItemState?
    /// The item's delivery due date afterwards (moved only by an accepted proposal).
    public var deliverDue: Date?
    /// The pending proposal afterwards (set by a proposal, cleared by acceptance or decline).
    public var proposedDue: Date?
}

/// What the due-date negotiation needs to know about an item.
public struct DueDateTerms: Hashable, Sendable {
    public var deliverDue: Date
    /// The custodian's pending proposal, if any.
    public var proposed: Date?
    /// The date a new proposal asks for.
    public var asked: Date?
    public var now: Date

    public init(deliverDue: Date, proposed: Date? = nil, asked: Date? = nil, now: Date) {
        self.deliverDue = deliverDue
        self.proposed = proposed
        self.asked = asked
        self.now = now
    }

    /// The furthest a proposal may push delivery: a year from now.
    public static let longestPostponement: TimeInterval = 365 * 86_400
}

/// The lifecycle of a request item as one pure function: who may fire which action from which state.
public enum ItemStateMachine {
    /// One row of the table.
    public struct Rule: Sendable {
        public let action: ItemAction
        public let parties: Set<Party>
        public let from: Set<ItemState>
        /// The target state; `nil` means "back to the remembered state" (answer) or, for the due-date negotiation,
        /// "where it is".
        public let to: ItemState?
        public let needsNote: Bool
    }

    static let open: Set<ItemState> = [.requested, .acknowledged, .approved, .inProgress]

    /// The whole table.
    public static let rules: [Rule] = [
        Rule(action: .acknowledge, parties: [.custodian], from: [.requested], to: .acknowledged, needsNote: false),
        Rule(action: .approve, parties: [.custodian], from: [.acknowledged], to: .approved, needsNote: false),
        Rule(action: .reject, parties: [.custodian], from: [.requested, .acknowledged], to: .rejected, needsNote: true),
        Rule(action: .start, parties: [.custodian], from: [.approved], to: .inProgress, needsNote: false),
        Rule(action: .deliver, parties: [.custodian], from: [.approved, .inProgress], to: .delivered, needsNote: false),
        Rule(action: .receive, parties: [.requester], from: [.delivered], to: .received, needsNote: true),
        Rule(action: .askInfo, parties: [.custodian], from: open, to: .needsInfo, needsNote: true),
        Rule(action: .answer, parties: [.requester], from: [.needsInfo], to: nil, needsNote: true),
        Rule(action: .cancel, parties: [.requester], from: open.union([.needsInfo]), to: .cancelled, needsNote: false),
        Rule(action: .expire, parties: [.system], from: open.union([.needsInfo]), to: .expired, needsNote: false),
        Rule(action: .proposeDueDate, parties: [.custodian], from: open.union([.needsInfo]), to: nil, needsNote: true),
        Rule(action: .acceptDueDate, parties: [.requester], from: open.union([.needsInfo]), to: nil, needsNote: false),
        Rule(action: .declineDueDate, parties: [.requester], from: open.union([.needsInfo]), to: nil, needsNote: true),
    ]

    /// Decides `action` by a caller acting for `parties` on an item in `state`.
    /// - Parameters:
    ///   - resumeState: the state remembered when the item entered `needs_info`.
    ///   - note: the reason, question, answer or outcome given with the action.
    ///   - evidenceCount: artifacts and hand-over records on the item.
    ///   - terms: the item's due date and pending proposal (needed by the due-date negotiation).
    public static func decide(_ action: ItemAction, by parties: Set<Party>, state: ItemState, resumeState: ItemState? = nil,
                              note: String? = nil, evidenceCount: Int = 0, terms: DueDateTerms? = nil) -> Result<TransitionOutcome, TransitionRefusal> {
        let rule = rules.first { $0.action == action }!
        guard !rule.parties.isDisjoint(with: parties) else { return .failure(.notPermitted(action: action)) }
        guard rule.from.contains(state) else { return .failure(.wrongState(action: action, current: state)) }
        if rule.needsNote, (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return .failure(.noteRequired(action: action))
        }
        if action == .deliver, evidenceCount == 0 { return .failure(.noEvidence) }
        if action.negotiatesDueDate { return negotiate(action, state: state, resumeState: resumeState, terms: terms) }
        let target = rule.to ?? resumeState ?? .acknowledged
        return .success(TransitionOutcome(from: state, to: target, resumeState: target == .needsInfo ? state : nil,
                                          deliverDue: terms?.deliverDue, proposedDue: terms?.proposed))
    }

    /// Propose, accept or decline a new delivery date; the state stays where it is.
    static func negotiate(_ action: ItemAction, state: ItemState, resumeState: ItemState?, terms: DueDateTerms?) -> Result<TransitionOutcome, TransitionRefusal> {
        guard let terms else { return .failure(.noProposal) }
        var outcome = TransitionOutcome(from: state, to: state, resumeState: resumeState, deliverDue: terms.deliverDue, proposedDue: terms.proposed)
        switch action {
        case .proposeDueDate:
            guard let asked = terms.asked, asked > terms.deliverDue, asked > terms.now,
                  asked <= terms.now.addingTimeInterval(DueDateTerms.longestPostponement) else {
                return .failure(.dueDateInvalid(current: terms.deliverDue))
            }
            outcome.proposedDue = asked
        case .acceptDueDate:
            guard let proposed = terms.proposed else { return .failure(.noProposal) }
            outcome.deliverDue = proposed
            outcome.proposedDue = nil
        default:
            guard terms.proposed != nil else { return .failure(.noProposal) }
            outcome.proposedDue = nil
        }
        return .success(outcome)
    }

    /// The actions `parties` could fire now (for the UI and the CLI's hints).
    public static func available(to parties: Set<Party>, state: ItemState) -> [ItemAction] {
        rules.filter { !$0.parties.isDisjoint(with: parties) && $0.from.contains(state) }.map(\.action)
    }
}

extension Principal {
    /// The parties the caller acts for on an item held by `custodian` of a request filed by `requesterOrg`.
    /// Admins act for both sides; auditors for neither; CSIRT members for the team that filed it.
    public func parties(requesterOrg: OrgID?, custodian: OrgID) -> Set<Party> {
        switch role {
        case .admin: [.requester, .custodian]
        case .auditor: []
        case .csirt: requesterOrg.map { orgIDs.contains($0) } ?? true ? [.requester] : []
        case .custodian: orgIDs.contains(custodian) ? [.custodian] : []
        }
    }

    /// Whether the caller may file retrieval requests.
    public var mayFileRequests: Bool { role == .csirt || role == .admin }

    /// Whether the caller may download evidence (the requester's team; auditors see metadata only).
    public func mayDownloadEvidence(requesterOrg: OrgID?) -> Bool {
        parties(requesterOrg: requesterOrg, custodian: OrgID("")).contains(.requester)
    }
}

extension Principal {
    /// The team a request filed by the caller belongs to: a CSIRT member's first organisation; none for an admin.
    public var requesterTeam: OrgID? { role == .csirt ? orgIDs.sorted().first : nil }
}
