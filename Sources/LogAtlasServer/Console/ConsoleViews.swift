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

struct LoginView {
    let layout: LayoutView
    let csrf: String
    let username: String
    let error: String?
    /// Whether the user name and password form is shown.
    let localPasswords: Bool
    /// The identity provider's name on its sign-in button, when one is configured.
    let provider: String?
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

    static func audit(_ events: [AuditEntry]) -> [AuditRow] {
        events.map { AuditRow(seq: $0.seq, time: TimeView($0.occurredAt), actor: $0.actor, action: $0.action, object: "\($0.objectType) \($0.objectID)") }
    }
}
