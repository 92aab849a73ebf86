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
}

/// What the store records when a transition is allowed.
public struct TransitionOutcome: Hashable, Sendable {
    public var from: ItemState
    public var to: ItemState
    /// Remembered while in `needs_info`, cleared on answer.
    public var resumeState: ItemState?
}

/// The lifecycle of a request item as one pure function: who may fire which action from which state.
public enum ItemStateMachine {
    /// One row of the table.
    public struct Rule: Sendable {
        public let action: ItemAction
        public let parties: Set<Party>
        public let from: Set<ItemState>
        /// The target state; `nil` means "back to the remembered state" (answer).
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
    ]

    /// Decides `action` by a caller acting for `parties` on an item in `state`.
    /// - Parameters:
    ///   - resumeState: the state remembered when the item entered `needs_info`.
    ///   - note: the reason, question, answer or outcome given with the action.
    ///   - evidenceCount: artifacts and hand-over records on the item.
    public static func decide(_ action: ItemAction, by parties: Set<Party>, state: ItemState, resumeState: ItemState? = nil,
                              note: String? = nil, evidenceCount: Int = 0) -> Result<TransitionOutcome, TransitionRefusal> {
        let rule = rules.first { $0.action == action }!
        guard !rule.parties.isDisjoint(with: parties) else { return .failure(.notPermitted(action: action)) }
        guard rule.from.contains(state) else { return .failure(.wrongState(action: action, current: state)) }
        if rule.needsNote, (note ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return .failure(.noteRequired(action: action))
        }
        if action == .deliver, evidenceCount == 0 { return .failure(.noEvidence) }
        let target = rule.to ?? resumeState ?? .acknowledged
        return .success(TransitionOutcome(from: state, to: target, resumeState: target == .needsInfo ? state : nil))
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
