import Foundation
import LogAtlasCore

// The request page's view models: one panel per item with its history and the actions the caller may take, the
// comment thread, the artifacts, custody and retention. Made by pure functions like the rest of `ConsoleViews`.

struct HistoryRow: Hashable {
    let time: TimeView
    let actor: String
    let change: String
    let note: String?
}

struct ActionForm: Hashable {
    let url: String
    let action: String
    let label: String
    /// The label of the text the action needs (reason, question, answer, outcome), if it needs one.
    let noteLabel: String?
    let fieldID: String
    /// The label of the date the action needs (a proposed delivery date), if it needs one.
    var dateLabel: String? = nil
}

struct ItemPanel {
    let id: String
    let organisation: String
    let state: String
    let acknowledgeDue: TimeView
    let deliverDue: TimeView
    let countdown: String?
    let overdue: Bool
    let preserveBefore: TimeView?
    /// Why the delivery due date cannot be met, and the custodian's pending proposal of a later one.
    let dueDateWarning: String?
    let proposal: String?
    let rejectReason: String?
    let outcome: String?
    let timelines: [SourceTimeline]
    let history: [HistoryRow]
    let actions: [ActionForm]
    let hasActions: Bool
    /// Where the page's script streams an evidence file, when the caller may deliver for the item now.
    let uploadURL: String?
    /// Where the form that makes a guest link for the item posts, for its custodians and admins.
    let guestLinkURL: String?
}

struct CommentRow: Hashable {
    let author: String
    let time: TimeView
    let body: String
}

struct ArtifactRow: Hashable {
    /// Set for the requesting team (and admins), who may download.
    let downloadURL: String?
    let name: String
    let size: String
    let sha256: String
    let by: String
    let time: TimeView
    /// When the evidence retention deleted the content (then there is nothing to download).
    let purged: TimeView?
}

struct RequestPageView {
    let layout: LayoutView
    let id: String
    let incident: String
    let purpose: String
    let priority: String
    let windowFrom: TimeView
    let windowTo: TimeView
    let filed: TimeView
    let filedBy: String
    let hints: String?
    let warnings: [String]
    let hasWarnings: Bool
    let items: [ItemPanel]
    let comments: [CommentRow]
    let artifacts: [ArtifactRow]
    let custodyIntact: Bool?
    /// How long the evidence is kept, or the legal hold that keeps it (not on a guest's page).
    let retention: String?
    /// Why the last action was not done, if it was not.
    let error: String?
    /// Shown through a guest link: one item, no comments, no custody.
    let isGuest: Bool
    /// The address of a guest link just made, shown this once.
    var newGuestLink: String? = nil
}

extension ConsoleViews {
    /// The forms of the actions the caller may take on an item now.
    static func actions(for caller: Principal, request: RetrievalRequest, item: RequestItem, t: [String: String], base: String,
                        guest: GuestLink? = nil) -> [ActionForm] {
        let parties = caller.parties(requesterOrg: request.requesterOrgID, custodian: item.custodianOrgID)
        return ItemStateMachine.available(to: parties, state: item.state)
            .filter { $0 != .expire && (guest?.permits($0, on: item.id) ?? true) }.map { action in
            let rule = ItemStateMachine.rules.first { $0.action == action }!
            let noteKey: String? = switch action {
            case .reject: "reason"
            case .askInfo: "question"
            case .answer: "answer_label"
            case .receive: "outcome"
            case .proposeDueDate, .declineDueDate: "reason"
            default: rule.needsNote ? "note" : nil
            }
            return ActionForm(url: "\(base)/\(action.rawValue)", action: action.rawValue, label: t["action_" + action.rawValue]!, noteLabel: noteKey.map { t[$0]! },
                              fieldID: "note-\(item.id.rawValue.uuidString.lowercased())-\(action.rawValue)",
                              dateLabel: action == .proposeDueDate ? t["new_due_date"]! : nil)
        }
    }

    /// Where an item's forms post: under the request page, or under the guest link's page.
    static func itemBase(_ item: RequestItem, of request: RetrievalRequest, guestPath: String?) -> String {
        guestPath ?? "/requests/\(request.id.rawValue.uuidString.lowercased())/items/\(item.id.rawValue.uuidString.lowercased())"
    }

    static func item(_ item: RequestItem, of request: RequestPageInput, for caller: Principal, now: Date, t: [String: String]) -> ItemPanel {
        let base = itemBase(item, of: request.request, guestPath: request.guestPath)
        let due = runningDue(of: item), actions = actions(for: caller, request: request.request, item: item, t: t, base: base, guest: request.guest)
        return ItemPanel(
            id: item.id.rawValue.uuidString.lowercased(), organisation: item.custodianOrgID.rawValue, state: t["state_" + item.state.rawValue]!,
            acknowledgeDue: TimeView(item.acknowledgeDue), deliverDue: TimeView(item.deliverDue),
            countdown: item.state.awaitsDelivery ? countdown(due: due.date, now: now, t: t) : nil, overdue: item.isOverdue(now: now),
            preserveBefore: item.preserveBefore.map(TimeView.init), dueDateWarning: item.dueDateWarning,
            proposal: item.proposal.map { proposal in
                t["due_date_proposed"]!.replacingOccurrences(of: "{date}", with: TimeView(proposal.deliverDue).text)
                    .replacingOccurrences(of: "{by}", with: proposal.proposedBy) + " " + proposal.reason
            },
            rejectReason: item.rejectReason, outcome: item.outcome,
            timelines: item.feasibility.map { timeline($0, window: request.request.draft.window, t: t) },
            history: request.history.filter { $0.itemID == item.id }.map { event in
                HistoryRow(time: TimeView(event.at), actor: event.actor,
                           change: "\(t["state_" + event.from.rawValue]!) → \(t["state_" + event.to.rawValue]!)", note: event.note)
            },
            actions: actions, hasActions: !actions.isEmpty,
            uploadURL: actions.contains { $0.action == ItemAction.deliver.rawValue } ? "\(base)/artifacts" : nil,
            guestLinkURL: request.guest == nil && !item.state.isTerminal && caller.mayManageGuestLinks(forItemHeldBy: item.custodianOrgID)
                ? "\(base)/guest-links" : nil)
    }

    /// "180 days after the request closes", "until <date> (30 days after it closed)" or the legal hold that suspends it.
    static func retention(_ retention: RequestRetention, policy: EvidenceRetentionPolicy, t: [String: String]) -> String {
        let days = policy.period(of: retention).days
        if let hold = retention.legalHold {
            return "\(t["legal_hold"]!): \(hold.reason) (\(hold.placedBy), \(TimeView(hold.placedAt).text))"
        }
        guard let closed = retention.closedAt else { return t["kept_after_closing"]!.replacingOccurrences(of: "{days}", with: "\(days)") }
        let until = TimeView(policy.purgeAfter(retention) ?? closed).text
        return t["kept_until"]!.replacingOccurrences(of: "{date}", with: until).replacingOccurrences(of: "{days}", with: "\(days)")
    }

    static func requestPage(_ input: RequestPageInput, for caller: Principal, now: Date, layout: LayoutView, error: String?) -> RequestPageView {
        let t = layout.t, draft = input.request.draft
        let hints = [draft.hints.hosts.joined(separator: ", "), draft.hints.users.joined(separator: ", "), draft.hints.ips.joined(separator: ", "),
                     draft.hints.text ?? ""].filter { !$0.isEmpty }.joined(separator: " · ")
        return RequestPageView(
            layout: layout, id: input.request.id.rawValue.uuidString.lowercased(), incident: draft.incidentReference, purpose: draft.purpose,
            priority: t["priority_" + draft.priority.rawValue]!, windowFrom: TimeView(draft.window.from), windowTo: TimeView(draft.window.to),
            filed: TimeView(input.request.filedAt), filedBy: input.request.requestedBy, hints: hints.isEmpty ? nil : hints,
            // Derived from the visible items (a custodian reads nothing about other organisations' sources).
            warnings: input.request.itemWarnings, hasWarnings: !input.request.itemWarnings.isEmpty,
            items: input.request.items.map { item($0, of: input, for: caller, now: now, t: t) },
            comments: input.comments.map { CommentRow(author: $0.author, time: TimeView($0.createdAt), body: $0.body) },
            artifacts: input.artifacts.map { artifact in
                ArtifactRow(downloadURL: artifact.kind == .upload && artifact.purgedAt == nil
                                && caller.mayDownloadEvidence(requesterOrg: input.request.requesterOrgID)
                                ? "/requests/\(input.request.id.rawValue.uuidString.lowercased())/artifacts/\(artifact.id.rawValue.uuidString.lowercased())" : nil,
                            name: artifact.fileName ?? artifact.location ?? artifact.kind.rawValue,
                            size: artifact.size.map { ByteCountFormatter.string(fromByteCount: $0, countStyle: .file) } ?? "—",
                            sha256: artifact.sha256, by: artifact.createdBy, time: TimeView(artifact.createdAt),
                            purged: artifact.purgedAt.map(TimeView.init))
            },
            custodyIntact: input.custodyIntact,
            retention: input.retention.map { retention(input.request.retention, policy: $0, t: t) }, error: error, isGuest: input.guest != nil)
    }

    /// The refusal of an action, in the reader's language.
    static func refusal(_ error: RequestError, t: [String: String]) -> String {
        let reason = switch error {
        case .refused(.notPermitted): t["refusal_not_permitted"]!
        case .refused(.wrongState): t["refusal_wrong_state"]!
        case .refused(.noteRequired): t["refusal_note_required"]!
        case .refused(.noEvidence): t["refusal_no_evidence"]!
        case .refused(.dueDateInvalid): t["refusal_due_date_invalid"]!
        case .refused(.noProposal): t["refusal_no_proposal"]!
        case .conflict: t["refusal_conflict"]!
        case .invalid(let issues): t["refusal_invalid"]! + " " + issues.map { "\($0.path): \($0.message)" }.joined(separator: "; ")
        default: t["refusal_not_permitted"]!
        }
        return t["refused"]! + " " + reason
    }
}

/// What the request page is made from: the request and what the caller may see of it.
struct RequestPageInput {
    let request: RetrievalRequest
    let history: [ItemEvent]
    let comments: [RequestComment]
    let artifacts: [Artifact]
    /// Whether the request's audit events verify (nil when the caller may not see custody).
    let custodyIntact: Bool?
    /// The service's evidence retention, to say how long this request's evidence is kept (nil on a guest's page).
    var retention: EvidenceRetentionPolicy? = nil
    /// Set when the page is shown through a guest link (its item only), with the link's page path.
    var guest: GuestLink? = nil
    var guestPath: String? = nil
}
