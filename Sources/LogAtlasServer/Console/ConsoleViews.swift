import Foundation
import LogAtlasCore

// View models of the console: plain values made by pure functions (unit-tested), which the Mustache templates only
// place. Every text a template shows comes from here or from `ConsoleStrings`; templates escape all of it.

/// What every page shows around its content.
struct LayoutView {
    let lang: String
    let t: [String: String]
    let title: String
    /// The signed-in user, if any.
    let user: String?
    let role: String?
    /// The session's CSRF token (for the sign-out and language forms).
    let csrf: String?
    let otherLanguage: String
    /// This page's path, where the language switch returns to.
    let path: String
    /// A guest-link page: no navigation to pages a guest cannot open.
    var guest = false
}

/// A moment, shown in UTC and marked up so that a script can show it in the reader's time zone.
struct TimeView: Hashable {
    let iso: String
    let text: String

    init(_ date: Date) {
        iso = Timestamp.format(date)
        text = String(iso.prefix(10)) + " " + String(iso.dropFirst(11).prefix(5)) + " UTC"
    }
}

struct InboxRow: Hashable {
    let requestID: String
    let incident: String
    let purpose: String
    let organisation: String
    let priority: String
    let state: String
    /// What the custodian must do next ("acknowledge" or "deliver") and by when.
    let dueWhat: String
    let due: TimeView
    let countdown: String
    let overdue: Bool
    let preserveBefore: TimeView?
}

struct ItemSummary: Hashable {
    let organisation: String
    let state: String
    let waitsFor: String
    let overdue: Bool
}

struct RequestRow: Hashable {
    let id: String
    let incident: String
    let priority: String
    let filed: TimeView
    let items: [ItemSummary]
}

struct AuditRow: Hashable {
    let seq: Int64
    let time: TimeView
    let actor: String
    let action: String
    let object: String
}

struct UserRow: Hashable {
    let name: String
    let role: String
    let orgs: String
}

struct OrgRow: Hashable {
    let id: String
    let name: String
}

/// The home page: each role sees the sections it may (nil sections are not shown).
struct HomeView {
    let layout: LayoutView
    var canFile = false
    var showInbox = false
    var inbox: [InboxRow] = []
    var showRequests = false
    var requests: [RequestRow] = []
    var requestsTitle = ""
    var showAudit = false
    var audit: [AuditRow] = []
    var showAdmin = false
    var users: [UserRow] = []
    var orgs: [OrgRow] = []
}

/// One stretch of a source's timeline, as a share of the window (percent, for the bar's CSS width).
struct TimelineSegment: Hashable {
    let availability: String
    let startPercent: Double
    let widthPercent: Double
    let label: String
}

struct SourceTimeline: Hashable {
    let name: String
    let segments: [TimelineSegment]
}

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
    /// Why the last action was not done, if it was not.
    let error: String?
    /// Shown through a guest link: one item, no comments, no custody.
    let isGuest: Bool
    /// The address of a guest link just made, shown this once.
    var newGuestLink: String? = nil
}

struct LoginView {
    let layout: LayoutView
    let csrf: String
    let username: String
    let error: String?
}

struct GuestUnlockView {
    let layout: LayoutView
    let action: String
    let error: String?
}

struct MessageView {
    let layout: LayoutView
    let heading: String
    let message: String
    let reference: String?
}

/// The pure functions that make the views.
enum ConsoleViews {
    /// Who must act next on an item in `state`.
    static func waitsFor(_ state: ItemState) -> Party? {
        switch state {
        case .requested, .acknowledged, .approved, .inProgress: .custodian
        case .needsInfo, .delivered: .requester
        case .rejected, .received, .cancelled, .expired: nil
        }
    }

    /// The deadline that runs for an item: acknowledging while requested, delivering after.
    static func runningDue(of item: RequestItem) -> (what: String, date: Date) {
        item.state == .requested ? ("acknowledge_by", item.acknowledgeDue) : ("deliver_by", item.deliverDue)
    }

    /// "Due in 1 d 3 h" or "Overdue by 2 h 5 min", to the minute.
    static func countdown(due: Date, now: Date, t: [String: String]) -> String {
        let seconds = Int(due.timeIntervalSince(now).rounded(.towardZero))
        let minutes = abs(seconds) / 60, days = minutes / 1_440, hours = minutes % 1_440 / 60, rest = minutes % 60
        var parts: [String] = []
        if days > 0 { parts.append("\(days) \(t["days_short"]!)") }
        if hours > 0 || days > 0 { parts.append("\(hours) \(t["hours_short"]!)") }
        if days == 0 { parts.append("\(rest) \(t["minutes_short"]!)") }
        return (seconds < 0 ? t["overdue_by"]! : t["due_in"]!) + " " + parts.joined(separator: " ")
    }

    /// The items of `requests` that wait for the caller as custodian, overdue first, then by the running deadline.
    static func inbox(_ requests: [RetrievalRequest], for caller: Principal, now: Date, t: [String: String]) -> [InboxRow] {
        let rows = requests.flatMap { request in
            request.items.filter { item in
                caller.parties(requesterOrg: request.requesterOrgID, custodian: item.custodianOrgID).contains(.custodian)
                    && waitsFor(item.state) == .custodian
            }.map { item in (request, item, runningDue(of: item)) }
        }
        return rows.sorted { lhs, rhs in
            let (l, r) = (lhs.1.isOverdue(now: now), rhs.1.isOverdue(now: now))
            return l != r ? l : lhs.2.date < rhs.2.date
        }.map { request, item, due in
            InboxRow(requestID: request.id.rawValue.uuidString.lowercased(), incident: request.draft.incidentReference,
                     purpose: request.draft.purpose, organisation: item.custodianOrgID.rawValue,
                     priority: t["priority_" + request.draft.priority.rawValue]!, state: t["state_" + item.state.rawValue]!,
                     dueWhat: t[due.what]!, due: TimeView(due.date), countdown: countdown(due: due.date, now: now, t: t),
                     overdue: item.isOverdue(now: now), preserveBefore: item.preserveBefore.map(TimeView.init))
        }
    }

    /// Requests with any item not yet closed, each with the state of every item and whom it waits for.
    static func openRequests(_ requests: [RetrievalRequest], now: Date, t: [String: String]) -> [RequestRow] {
        requests.filter { $0.items.contains { !$0.state.isTerminal } }.map { request in
            RequestRow(id: request.id.rawValue.uuidString.lowercased(), incident: request.draft.incidentReference,
                       priority: t["priority_" + request.draft.priority.rawValue]!, filed: TimeView(request.filedAt),
                       items: request.items.map { item in
                           ItemSummary(organisation: item.custodianOrgID.rawValue, state: t["state_" + item.state.rawValue]!,
                                       waitsFor: waitsFor(item.state).map { t[$0 == .custodian ? "custodian_party" : "requester_party"]! } ?? t["nobody"]!,
                                       overdue: item.isOverdue(now: now))
                       })
        }
    }

    /// A source's feasibility drawn against the window: each stretch's start and width as a share of it.
    static func timeline(_ feasibility: SourceFeasibility, window: TimeWindow, t: [String: String]) -> SourceTimeline {
        let total = max(window.duration, 1)
        let segments = feasibility.segments.map { segment in
            let start = max(0, segment.from.timeIntervalSince(window.from)) / total * 100
            let width = max(0, min(segment.to, window.to).timeIntervalSince(max(segment.from, window.from))) / total * 100
            let lead = segment.leadHours.map { ", \(t["lead_time"]!) " + String(format: "%.0f", $0) + " \(t["hours_short"]!)" } ?? ""
            return TimelineSegment(availability: segment.availability.rawValue, startPercent: (start * 10).rounded() / 10,
                                   widthPercent: (width * 10).rounded() / 10,
                                   label: "\(TimeView(segment.from).text) – \(TimeView(segment.to).text): \(t["availability_" + segment.availability.rawValue]!)\(lead)")
        }
        return SourceTimeline(name: feasibility.sourceName, segments: segments)
    }

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
            default: rule.needsNote ? "note" : nil
            }
            return ActionForm(url: "\(base)/\(action.rawValue)", action: action.rawValue, label: t["action_" + action.rawValue]!, noteLabel: noteKey.map { t[$0]! },
                              fieldID: "note-\(item.id.rawValue.uuidString.lowercased())-\(action.rawValue)")
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
            preserveBefore: item.preserveBefore.map(TimeView.init), rejectReason: item.rejectReason, outcome: item.outcome,
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

    static func requestPage(_ input: RequestPageInput, for caller: Principal, now: Date, layout: LayoutView, error: String?) -> RequestPageView {
        let t = layout.t, draft = input.request.draft
        let hints = [draft.hints.hosts.joined(separator: ", "), draft.hints.users.joined(separator: ", "), draft.hints.ips.joined(separator: ", "),
                     draft.hints.text ?? ""].filter { !$0.isEmpty }.joined(separator: " · ")
        return RequestPageView(
            layout: layout, id: input.request.id.rawValue.uuidString.lowercased(), incident: draft.incidentReference, purpose: draft.purpose,
            priority: t["priority_" + draft.priority.rawValue]!, windowFrom: TimeView(draft.window.from), windowTo: TimeView(draft.window.to),
            filed: TimeView(input.request.filedAt), filedBy: input.request.requestedBy, hints: hints.isEmpty ? nil : hints,
            warnings: input.request.warnings, hasWarnings: !input.request.warnings.isEmpty,
            items: input.request.items.map { item($0, of: input, for: caller, now: now, t: t) },
            comments: input.comments.map { CommentRow(author: $0.author, time: TimeView($0.createdAt), body: $0.body) },
            artifacts: input.artifacts.map { artifact in
                ArtifactRow(downloadURL: artifact.kind == .upload && caller.mayDownloadEvidence(requesterOrg: input.request.requesterOrgID)
                                ? "/requests/\(input.request.id.rawValue.uuidString.lowercased())/artifacts/\(artifact.id.rawValue.uuidString.lowercased())" : nil,
                            name: artifact.fileName ?? artifact.location ?? artifact.kind.rawValue,
                            size: artifact.size.map { ByteCountFormatter.string(fromByteCount: $0, countStyle: .file) } ?? "—",
                            sha256: artifact.sha256, by: artifact.createdBy, time: TimeView(artifact.createdAt))
            },
            custodyIntact: input.custodyIntact, error: error, isGuest: input.guest != nil)
    }

    /// The refusal of an action, in the reader's language.
    static func refusal(_ error: RequestError, t: [String: String]) -> String {
        let reason = switch error {
        case .refused(.notPermitted): t["refusal_not_permitted"]!
        case .refused(.wrongState): t["refusal_wrong_state"]!
        case .refused(.noteRequired): t["refusal_note_required"]!
        case .refused(.noEvidence): t["refusal_no_evidence"]!
        case .conflict: t["refusal_conflict"]!
        case .invalid(let issues): t["refusal_invalid"]! + " " + issues.map { "\($0.path): \($0.message)" }.joined(separator: "; ")
        default: t["refusal_not_permitted"]!
        }
        return t["refused"]! + " " + reason
    }

    static func audit(_ events: [AuditEntry]) -> [AuditRow] {
        events.map { AuditRow(seq: $0.seq, time: TimeView($0.occurredAt), actor: $0.actor, action: $0.action, object: "\($0.objectType) \($0.objectID)") }
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
    /// Set when the page is shown through a guest link (its item only), with the link's page path.
    var guest: GuestLink? = nil
    var guestPath: String? = nil
}

// MARK: The request desk

struct SourceOption: Hashable {
    let id: String
    let name: String
    let system: String
    let logType: String
    let custodian: String
    let checked: Bool
}

struct Choice: Hashable {
    let value: String
    let label: String
    let selected: Bool
}

struct HoldRow: Hashable {
    let source: String
    let before: TimeView
    let medium: String
    let isLoss: Bool
}

struct DeskItemRow: Hashable {
    let custodian: String
    let acknowledgeDue: TimeView
    let deliverDue: TimeView
}

/// What the CSIRT is composing, as typed (kept when the page comes back with a preview or an error).
struct DeskForm: Hashable {
    var sources: [String] = []
    var incident = ""
    var purpose = ""
    var priority = Priority.serious.rawValue
    var from = ""
    var to = ""
    var hosts = ""
    var users = ""
    var ips = ""
    var text = ""
}

struct DeskView {
    let layout: LayoutView
    let filterSystem: String
    let filterLogType: String
    let filterOrg: String
    let filterText: String
    let media: [Choice]
    let sources: [SourceOption]
    let hasSources: Bool
    let form: DeskForm
    let priorities: [Choice]
    let errors: [String]
    let hasErrors: Bool
    let previewed: Bool
    let timelines: [SourceTimeline]
    let items: [DeskItemRow]
    let holds: [HoldRow]
    let hasHolds: Bool
    let warnings: [String]
    let hasWarnings: Bool
}

extension ConsoleViews {
    /// `2026-12-01T10:00` from a `datetime-local` field, read as UTC (the page says so); nil when it is not one.
    static func date(fromLocalField text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.count == 16 || trimmed.count == 19 else { return nil }
        return Timestamp.parse(trimmed + (trimmed.count == 16 ? ":00Z" : "Z"))
    }

    /// The `datetime-local` value of `date` in UTC, to the minute.
    static func localField(_ date: Date) -> String { String(Timestamp.format(date).prefix(16)) }

    /// Hosts, users or addresses typed one per line or separated by commas or spaces.
    static func list(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "," || $0.isWhitespace }).map(String.init)
    }

    /// The draft a form describes, or the problems that keep it from being one (with the field's path).
    static func draft(_ form: DeskForm) -> Result<RequestDraft, RequestError> {
        var issues: [ValidationIssue] = []
        let from = date(fromLocalField: form.from), to = date(fromLocalField: form.to)
        if from == nil { issues.append(ValidationIssue(path: "window.from", message: "a date and time (UTC) is required")) }
        if to == nil { issues.append(ValidationIssue(path: "window.to", message: "a date and time (UTC) is required")) }
        let priority = Priority(rawValue: form.priority)
        if priority == nil { issues.append(ValidationIssue(path: "priority", message: "one of \(Priority.allCases.map(\.rawValue).joined(separator: ", "))")) }
        let sources = form.sources.compactMap { UUID(uuidString: $0).map(LogSourceID.init) }
        if sources.count != form.sources.count { issues.append(ValidationIssue(path: "sources", message: "unknown source")) }
        guard issues.isEmpty, let from, let to, let priority else { return .failure(.invalid(issues)) }
        let text = form.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return .success(RequestDraft(incidentReference: form.incident.trimmingCharacters(in: .whitespaces),
                                     purpose: form.purpose.trimmingCharacters(in: .whitespacesAndNewlines), priority: priority,
                                     window: TimeWindow(from: from, to: to),
                                     hints: FilterHints(hosts: list(form.hosts), users: list(form.users), ips: list(form.ips), text: text.isEmpty ? nil : text),
                                     sourceIDs: sources))
    }

    static func desk(layout: LayoutView, filter: SourceFilter, sources: [LogSource], form: DeskForm, plan: RequestPlanner.Plan?,
                     errors: [ValidationIssue]) -> DeskView {
        let t = layout.t, chosen = Set(form.sources)
        let feasibility = plan?.feasibility ?? []
        let warnings = plan?.request.warnings ?? []   // the planner's, which include every source's
        let holds = feasibility.compactMap { source in
            source.hold.map { HoldRow(source: source.sourceName, before: TimeView($0.before), medium: $0.medium.rawValue, isLoss: $0.isLoss) }
        }
        return DeskView(
            layout: layout, filterSystem: filter.system?.rawValue ?? "", filterLogType: filter.logType ?? "", filterOrg: filter.org?.rawValue ?? "",
            filterText: filter.text ?? "",
            media: [Choice(value: "", label: t["any"]!, selected: filter.medium == nil)]
                + StorageMedium.allCases.map { Choice(value: $0.rawValue, label: $0.rawValue, selected: filter.medium == $0) },
            sources: sources.map { SourceOption(id: $0.id.description, name: $0.name, system: $0.systemID.rawValue, logType: $0.logType,
                                                custodian: $0.custodianOrgID.rawValue, checked: chosen.contains($0.id.description)) },
            hasSources: !sources.isEmpty, form: form,
            priorities: Priority.allCases.map { Choice(value: $0.rawValue, label: t["priority_" + $0.rawValue]!, selected: form.priority == $0.rawValue) },
            errors: errors.map { "\($0.path): \($0.message)" }, hasErrors: !errors.isEmpty, previewed: plan != nil,
            timelines: plan.map { plan in feasibility.map { timeline($0, window: plan.request.draft.window, t: t) } } ?? [],
            items: plan?.request.items.map { DeskItemRow(custodian: $0.custodianOrgID.rawValue, acknowledgeDue: TimeView($0.acknowledgeDue),
                                                         deliverDue: TimeView($0.deliverDue)) } ?? [],
            holds: holds, hasHolds: !holds.isEmpty, warnings: warnings, hasWarnings: !warnings.isEmpty)
    }
}

// MARK: Readiness

struct HeatCell: Hashable {
    let x: Int
    let y: Int
    let textX: Int
    let textY: Int
    let readiness: String
    let label: String
    let counts: String
    let href: String
    let title: String
}

struct HeatRow: Hashable {
    let y: Int
    let system: String
}

struct HeatColumn: Hashable {
    let x: Int
    let code: Int
    let title: String
}

struct FindingRow: Hashable {
    let requirement: String
    let target: String
    let status: String
    let shortfalls: [String]
}

struct RemediationRow: Hashable {
    let action: String
    let impact: String
}

struct ReadinessView {
    let layout: LayoutView
    let policies: [Choice]
    let filterOrg: String
    let width: Int
    let height: Int
    let columns: [HeatColumn]
    let rows: [HeatRow]
    let cells: [HeatCell]
    let hasCells: Bool
    /// The cell clicked, with its findings.
    let cellTitle: String?
    let findings: [FindingRow]
    let remediation: [RemediationRow]
    let hasRemediation: Bool
}

extension ConsoleViews {
    static let cellWidth = 120, cellHeight = 36, labelWidth = 220, headerHeight = 56

    /// The readiness heat map: systems × incident types, each cell coloured by readiness and labelled with it and its
    /// counts (colour is never the only signal), linking to its findings.
    static func readiness(_ report: GapReport, layout: LayoutView, policies: [String], selected: String?, org: String?,
                          cell: (system: SystemID, type: IncidentType)?, detail: GapReport?) -> ReadinessView {
        let t = layout.t, systems = report.matrixSystems
        let query = { (system: SystemID, type: IncidentType) -> String in
            var items = ["system=\(system.rawValue)", "incident=\(type.rawValue)"]
            if let selected { items.append("policy=\(selected)") }
            if let org { items.append("org=\(org)") }
            return "/readiness?" + items.map { $0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? $0 }.joined(separator: "&")
        }
        let columns = IncidentType.allCases.enumerated().map { index, type in
            HeatColumn(x: labelWidth + index * cellWidth, code: type.rawValue, title: t["incident_\(type.rawValue)"]!)
        }
        let rows = systems.enumerated().map { HeatRow(y: headerHeight + $0.offset * cellHeight, system: $0.element.rawValue) }
        var cells: [HeatCell] = []
        for (row, system) in systems.enumerated() {
            for (column, type) in IncidentType.allCases.enumerated() {
                guard let found = report.cell(system, type) else { continue }
                let key = found.readiness == .notReady ? "not_ready" : found.readiness.rawValue
                let (x, y) = (labelWidth + column * cellWidth, headerHeight + row * cellHeight)
                let counts = "\(found.met)/\(found.partial)/\(found.missing)"
                cells.append(HeatCell(x: x, y: y, textX: x + cellWidth / 2, textY: y + cellHeight / 2 + 5, readiness: key, label: t["readiness_\(key)"]!,
                                      counts: counts, href: query(system, type),
                                      title: "\(system.rawValue) × \(type.rawValue) \(t["incident_\(type.rawValue)"]!): \(t["readiness_\(key)"]!) — \(t["counts_legend"]!) \(counts)"))
            }
        }
        var findings: [FindingRow] = []
        if let cell, let detail {
            findings = detail.findings.filter { $0.requirement.incidentTypes.contains(cell.type) && $0.status != .met }
                .sorted { ($0.status, -$0.requirement.weight) < ($1.status, -$1.requirement.weight) }
                .map { FindingRow(requirement: "\($0.policyID)/\($0.requirement.id) — \($0.requirement.title)", target: $0.target.id,
                                  status: t["finding_\($0.status.rawValue)"] ?? $0.status.rawValue, shortfalls: $0.shortfalls.map(\.description)) }
        }
        let remediation = (detail ?? report).remediation.prefix(10).map { RemediationRow(action: $0.action, impact: String(format: "%.1f", $0.impact)) }
        return ReadinessView(
            layout: layout,
            policies: [Choice(value: "", label: t["all_policies"]!, selected: selected == nil)]
                + policies.map { Choice(value: $0, label: $0, selected: $0 == selected) },
            filterOrg: org ?? "", width: labelWidth + IncidentType.allCases.count * cellWidth, height: headerHeight + max(systems.count, 1) * cellHeight,
            columns: columns, rows: rows, cells: cells, hasCells: !cells.isEmpty,
            cellTitle: cell.map { "\($0.system.rawValue) × \($0.type.rawValue) \(t["incident_\($0.type.rawValue)"]!)" },
            findings: findings, remediation: Array(remediation), hasRemediation: !remediation.isEmpty)
    }
}

// MARK: Friction

struct FrictionOrgRow: Hashable {
    let org: String
    let items: Int
    let open: Int
    let acknowledge: String
    let deliver: String
    let breachRate: String
}

struct FrictionBar: Hashable {
    let y: Int
    let textY: Int
    let name: String
    let medianWidth: Int
    let p90X: Int
    let declaredX: Int?
    let label: String
}

struct FrictionView {
    let layout: LayoutView
    let orgs: [FrictionOrgRow]
    let hasOrgs: Bool
    let bars: [FrictionBar]
    let hasBars: Bool
    let chartHeight: Int
    let chartWidth: Int
}

extension ConsoleViews {
    static let barLeft = 220, barWidth = 520, barHeight = 30

    static func hours(_ value: Double, t: [String: String]) -> String { String(format: "%.1f", value) + " " + t["hours_short"]! }

    static func distribution(_ value: Distribution?, t: [String: String]) -> String {
        value.map { "\(hours($0.medianHours, t: t)) / \(hours($0.p90Hours, t: t)) (n = \($0.count))" } ?? "—"
    }

    /// Per organisation: items, open items, median/p90 to acknowledge and deliver, breach rate; per source a bar of the
    /// measured median to delivery with the p90 and the declared lead time marked, all on one scale (each also written).
    static func friction(_ report: FrictionReport, layout: LayoutView) -> FrictionView {
        let t = layout.t
        let orgs = report.orgs.map { row in
            FrictionOrgRow(org: row.orgID.rawValue, items: row.items, open: row.open, acknowledge: distribution(row.acknowledge, t: t),
                           deliver: distribution(row.deliver, t: t),
                           breachRate: row.breachRate.map { String(format: "%.0f %%", $0 * 100) + " (\(row.breached)/\(row.judged))" } ?? "—")
        }
        let measured = report.sources.filter { $0.measured != nil }
        let scale = max(measured.map { max($0.measured!.p90Hours, $0.declaredLeadHours ?? 0) }.max() ?? 1, 1)
        let x = { (hours: Double) in Int((hours / scale * Double(barWidth)).rounded()) }
        let bars = measured.enumerated().map { index, source in
            let distribution = source.measured!
            let declared = source.declaredLeadHours.map { hours($0, t: t) } ?? "—"
            return FrictionBar(y: 10 + index * barHeight, textY: 10 + index * barHeight + 18, name: source.name,
                               medianWidth: max(x(distribution.medianHours), 1), p90X: barLeft + x(distribution.p90Hours),
                               declaredX: source.declaredLeadHours.map { barLeft + x($0) },
                               label: "\(source.name) (\(source.custodianOrgID.rawValue)): \(t["measured_median_p90"]!) \(hours(distribution.medianHours, t: t)) / \(hours(distribution.p90Hours, t: t)), \(t["declared"]!) \(declared)")
        }
        return FrictionView(layout: layout, orgs: orgs, hasOrgs: !orgs.isEmpty, bars: bars, hasBars: !bars.isEmpty,
                            chartHeight: 20 + bars.count * barHeight, chartWidth: barLeft + barWidth + 20)
    }
}

// MARK: Inventory

struct SourceRowView: Hashable {
    let id: String
    let name: String
    let system: String
    let logType: String
    let custodian: String
    let covered: Int
    let searchable: Int
}

struct InventoryView {
    let layout: LayoutView
    let orgs: [OrgRow]
    let filterSystem: String
    let filterLogType: String
    let filterOrg: String
    let filterText: String
    let media: [Choice]
    let sources: [SourceRowView]
    let hasSources: Bool
    let total: Int
}

struct TierBar: Hashable {
    let medium: String
    let y: Int
    let textY: Int
    let width: Int
    let searchable: Bool
    let label: String
}

struct RequirementLine: Hashable {
    let x: Int
    let label: String
    let kind: String
}

struct SourceEditForm: Hashable {
    let version: Int
    let product: String
    let format: String
    let notes: String
    let leadTimeHours: String
}

struct SourcePageView {
    let layout: LayoutView
    let id: String
    let name: String
    let system: String
    let logType: String
    let custodian: String
    let chartWidth: Int
    let chartHeight: Int
    let tiers: [TierBar]
    let lines: [RequirementLine]
    let lineLabels: [String]
    let hasLines: Bool
    let attestation: String
    let declaredLead: String
    let measuredLead: String
    let canEdit: Bool
    let form: SourceEditForm
    /// After a stale edit: the fields someone else changed meanwhile (their value now), and the note to read them.
    let changed: [String]
    let hasChanged: Bool
    let error: String?
}

extension ConsoleViews {
    static func inventory(layout: LayoutView, orgs: [Organisation], filter: SourceFilter, sources: Page<LogSource>, now: Date) -> InventoryView {
        let t = layout.t
        let rows = sources.items.map { source in
            let coverage = Coverage(of: source, now: now)
            return SourceRowView(id: source.id.description, name: source.name, system: source.systemID.rawValue, logType: source.logType,
                                 custodian: source.custodianOrgID.rawValue, covered: coverage.coveredDays, searchable: coverage.searchableDays)
        }
        return InventoryView(layout: layout, orgs: orgs.map { OrgRow(id: $0.id.rawValue, name: $0.name) },
                             filterSystem: filter.system?.rawValue ?? "", filterLogType: filter.logType ?? "", filterOrg: filter.org?.rawValue ?? "",
                             filterText: filter.text ?? "",
                             media: [Choice(value: "", label: t["any"]!, selected: filter.medium == nil)]
                                 + StorageMedium.allCases.map { Choice(value: $0.rawValue, label: $0.rawValue, selected: filter.medium == $0) },
                             sources: rows, hasSources: !rows.isEmpty, total: sources.total)
    }

    static let tierLeft = 160, tierScale = 560, tierHeight = 28

    /// A source's retention tiers as bars from today back (days kept; searchable ones marked and labelled), against
    /// the requirement lines of the policies that judge it (days to keep, days searchable).
    static func sourcePage(_ source: LogSource, requirements: [Requirement], policyOf: [String: String], layout: LayoutView, now: Date,
                           canEdit: Bool, form: SourceEditForm? = nil, changed: [String] = [], error: String? = nil) -> SourcePageView {
        let t = layout.t
        let keep = requirements.compactMap { requirement in requirement.minRetentionDays.map { (requirement, $0, "keep") } }
        let search = requirements.compactMap { requirement in requirement.minSearchableDays.map { (requirement, $0, "search") } }
        let longest = max(source.retentionTiers.map(\.days).max() ?? 1, (keep + search).map(\.1).max() ?? 1, 1)
        let x = { (days: Int) in tierLeft + Int((Double(days) / Double(longest) * Double(tierScale)).rounded()) }
        let tiers = source.retentionTiers.enumerated().map { index, tier in
            TierBar(medium: "\(tier.medium.rawValue) \(tier.days) \(t["days_short"]!)", y: 10 + index * tierHeight, textY: 10 + index * tierHeight + 17, width: max(x(tier.days) - tierLeft, 1), searchable: tier.isSearchable,
                    label: "\(tier.medium.rawValue): \(tier.days) \(t["days_short"]!)\(tier.isSearchable ? " · " + t["availability_searchable"]! : ""), "
                        + "\(t["lead_time"]!) \(String(format: "%.0f", tier.effectiveRetrievalHours)) \(t["hours_short"]!)")
        }
        let lines = (keep + search).map { requirement, days, kind in
            RequirementLine(x: x(days), label: "\(policyOf[requirement.id] ?? "")/\(requirement.id): \(t[kind == "keep" ? "req_keep" : "req_search"]!) \(days) \(t["days_short"]!)",
                            kind: kind)
        }
        let coverage = Coverage(of: source, now: now)
        let attestation = source.latestAttestation.map { "\($0.attestedDays) \(t["days_short"]!) · \(TimeView($0.checkedAt).text) · \($0.checkedBy)" }
            ?? t["never_attested"]!
        return SourcePageView(
            layout: layout, id: source.id.description, name: source.name, system: source.systemID.rawValue, logType: source.logType,
            custodian: source.custodianOrgID.rawValue, chartWidth: tierLeft + tierScale + 20,
            chartHeight: 20 + max(source.retentionTiers.count, 1) * tierHeight, tiers: tiers, lines: lines, lineLabels: lines.map(\.label),
            hasLines: !lines.isEmpty, attestation: "\(attestation) (\(coverage.attestationStatus.rawValue))",
            declaredLead: source.accessProcedure?.leadTimeHours.map { hours($0, t: t) } ?? "—",
            measuredLead: source.measuredLeadTime.map { "\(hours($0.medianHours, t: t)) / \(hours($0.p90Hours, t: t)) (n = \($0.samples))" } ?? "—",
            canEdit: canEdit, form: form ?? editForm(source), changed: changed, hasChanged: !changed.isEmpty, error: error)
    }

    static func editForm(_ source: LogSource) -> SourceEditForm {
        SourceEditForm(version: source.version, product: source.product ?? "", format: source.format ?? "", notes: source.notes ?? "",
                       leadTimeHours: source.accessProcedure?.leadTimeHours.map { String(format: "%g", $0) } ?? "")
    }

    /// The fields of `base` (what the editor started from) that differ in `current` (what is stored now), named.
    static func changedFields(from base: SourceEditForm, to current: SourceEditForm, t: [String: String]) -> [String] {
        [(t["product_name"]!, base.product, current.product), (t["format"]!, base.format, current.format), (t["notes"]!, base.notes, current.notes),
         (t["lead_time"]!, base.leadTimeHours, current.leadTimeHours)]
            .filter { $0.1 != $0.2 }.map { "\($0.0): \($0.2.isEmpty ? "—" : $0.2)" }
    }
}
