import Foundation
import LogAtlasCore

// The request desk: what the CSIRT composes and what the preview shows.

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
    /// Pre-approved by a standing agreement, or waiting for the custodian's approval.
    let approval: String
}

/// What the CSIRT is composing, as typed (kept when the page comes back with a preview or an error).
struct DeskForm: Hashable {
    var sources: [String] = []
    var incident = ""
    var purpose = ""
    var priority = Priority.serious.rawValue
    /// 100–600, or empty when not known.
    var incidentType = ""
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
    let incidentTypes: [Choice]
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
        let incidentType = Int(form.incidentType).flatMap(IncidentType.init(rawValue:))
        if !form.incidentType.isEmpty, incidentType == nil { issues.append(ValidationIssue(path: "incident_type", message: "one of 100, 200, … 600")) }
        guard issues.isEmpty, let from, let to, let priority else { return .failure(.invalid(issues)) }
        let text = form.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return .success(RequestDraft(incidentReference: form.incident.trimmingCharacters(in: .whitespaces),
                                     purpose: form.purpose.trimmingCharacters(in: .whitespacesAndNewlines), priority: priority,
                                     window: TimeWindow(from: from, to: to),
                                     hints: FilterHints(hosts: list(form.hosts), users: list(form.users), ips: list(form.ips), text: text.isEmpty ? nil : text),
                                     sourceIDs: sources, incidentType: incidentType))
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
            incidentTypes: [Choice(value: "", label: t["incident_type_unknown"]!, selected: form.incidentType.isEmpty)]
                + IncidentType.allCases.map { Choice(value: "\($0.rawValue)", label: "\($0.rawValue) \($0.title)", selected: form.incidentType == "\($0.rawValue)") },
            errors: errors.map { "\($0.path): \($0.message)" }, hasErrors: !errors.isEmpty, previewed: plan != nil,
            timelines: plan.map { plan in feasibility.map { timeline($0, window: plan.request.draft.window, t: t) } } ?? [],
            items: plan?.request.items.map { item in
                DeskItemRow(custodian: item.custodianOrgID.rawValue, acknowledgeDue: TimeView(item.acknowledgeDue), deliverDue: TimeView(item.deliverDue),
                            approval: item.agreement.map {
                                t["preapproved"]!.replacingOccurrences(of: "{id}", with: String($0.id.description.prefix(8)))
                                    .replacingOccurrences(of: "{hours}", with: "\(Int($0.promisedLeadHours.rounded(.up)))")
                            } ?? t["needs_approval"]!)
            } ?? [],
            holds: holds, hasHolds: !holds.isEmpty, warnings: warnings, hasWarnings: !warnings.isEmpty)
    }
}
