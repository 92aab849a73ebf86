import Foundation

/// Turns a draft into a request: validates it, predicts feasibility per source, splits it into one item per
/// custodian organisation with SLA due dates and preservation holds. Pure: the sources come from the caller.
public enum RequestPlanner {
    /// The longest window a request may cover (ten years).
    public static let maxWindow: TimeInterval = 3_650 * 86_400
    public static let maxSources = 200

    /// A planned request and the prediction it rests on.
    public struct Plan: Sendable {
        public var request: RetrievalRequest
        public var feasibility: [SourceFeasibility]
        /// The history the filing records: the approvals standing agreements gave.
        public var events: [ItemEvent] = []
    }

    /// Plans `draft` filed by `requester` at `now`. `sources` are the ones the caller could see, by ID; an item
    /// every source of which one of `agreements` covers starts approved by it, due after its promised lead time.
    /// Throws `RequestError.invalid` with every problem, including sources whose whole window has expired.
    public static func plan(_ draft: RequestDraft, sources: [LogSourceID: LogSource], requester: Principal,
                            requesterOrg: OrgID?, now: Date, sla: SLAPolicy, agreements: [RetrievalAgreement] = [],
                            systemTags: [SystemID: [String]] = [:]) throws -> Plan {
        let fieldIssues = validate(draft, now: now)
        var issues = fieldIssues
        let due = sla.dueDates(priority: draft.priority, filedAt: now)
        var feasibility: [SourceFeasibility] = []
        for (index, id) in draft.sourceIDs.enumerated() {
            guard let source = sources[id] else {
                issues.append(ValidationIssue(path: "sources[\(index)]", message: "no log source '\(id)'"))
                continue
            }
            // A window that is itself invalid has no prediction.
            guard fieldIssues.isEmpty else { continue }
            let prediction = Feasibility.of(source, window: draft.window, now: now, deliverDue: due.deliver)
            if prediction.isEntirelyExpired {
                let held = Coverage(of: source, now: now).coveredDays
                issues.append(ValidationIssue(path: "sources[\(index)]", message:
                    "\(source.name): the whole window has expired (the source keeps \(held) days); nothing can be delivered"))
            }
            feasibility.append(prediction)
        }
        guard issues.isEmpty else { throw RequestError.invalid(issues) }
        let byOrg = Dictionary(grouping: feasibility, by: \.custodianOrgID)
        var events: [ItemEvent] = []
        let items = byOrg.keys.sorted().map { org in
            var parts = byOrg[org]!
            var item = RequestItem(custodianOrgID: org, sourceIDs: parts.map(\.sourceID), acknowledgeDue: due.acknowledge, deliverDue: due.deliver)
            let covered = AgreementCoverage.covering(parts.compactMap { sources[$0.sourceID] }, systemTags: systemTags, agreements: agreements,
                                                     team: requesterOrg, draft: draft, now: now)
            if let covered {
                // Due when the custodian promised; the holds are predicted against that date.
                item.deliverDue = now.addingTimeInterval(covered.terms.promisedLeadHours * 3_600)
                parts = parts.map { Feasibility.of(sources[$0.sourceID]!, window: draft.window, now: now, deliverDue: item.deliverDue) }
                item.agreement = AgreementRef(id: covered.id, version: covered.version, promisedLeadHours: covered.terms.promisedLeadHours)
                events += approve(&item, by: covered, now: now)
            }
            item.feasibility = parts
            item.preserveBefore = parts.compactMap(\.hold?.before).min()
            // The slowest obtainable part sets the earliest delivery; compared with the due date, not replacing it.
            item.feasibleBy = parts.compactMap(\.slowestLeadHours).max().map { now.addingTimeInterval($0 * 3_600) }
            return item
        }
        let request = RetrievalRequest(draft: draft, requesterOrgID: requesterOrg, requestedBy: requester.name, filedAt: now,
                                       warnings: feasibility.flatMap(\.warnings) + items.compactMap(\.dueDateWarning), items: items)
        return Plan(request: request, feasibility: items.flatMap(\.feasibility), events: events)
    }

    /// Acknowledges and approves `item` on the custodian's behalf as the agreement, through the state machine.
    static func approve(_ item: inout RequestItem, by agreement: RetrievalAgreement, now: Date) -> [ItemEvent] {
        let note = "pre-authorised by standing agreement \(agreement.id) version \(agreement.version) "
            + "(approved by \(agreement.terms.approverName), \(agreement.terms.approverRole); \(agreement.terms.legalBasis))"
        var events: [ItemEvent] = []
        for action in [ItemAction.acknowledge, .approve] {
            guard case .success(let outcome) = ItemStateMachine.decide(action, by: [.custodian], state: item.state) else { break }
            events.append(ItemEvent(itemID: item.id, action: action, from: outcome.from, to: outcome.to, actor: agreement.actorName,
                                    note: action == .approve ? note : nil, at: now))
            item.state = outcome.to
        }
        item.acknowledgedAt = now
        return events
    }

    /// Every problem with the draft's own fields.
    static func validate(_ draft: RequestDraft, now: Date) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        func text(_ value: String, _ path: String, max: Int) {
            let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { issues.append(.init(path: path, message: "required")) }
            if value.count > max { issues.append(.init(path: path, message: "at most \(max) characters")) }
            issues += Validation.controlIssues(value, path: path)
        }
        text(draft.incidentReference, "incident_reference", max: 100)
        text(draft.purpose, "purpose", max: 4_000)
        if draft.window.from >= draft.window.to {
            issues.append(.init(path: "window.to", message: "must be after window.from"))
        } else if draft.window.duration > maxWindow {
            issues.append(.init(path: "window", message: "covers more than ten years"))
        }
        if draft.window.from >= now { issues.append(.init(path: "window.from", message: "lies in the future; no logs exist for it yet")) }
        if draft.sourceIDs.isEmpty { issues.append(.init(path: "sources", message: "name at least one log source")) }
        if draft.sourceIDs.count > maxSources { issues.append(.init(path: "sources", message: "at most \(maxSources) sources per request")) }
        if Set(draft.sourceIDs).count != draft.sourceIDs.count { issues.append(.init(path: "sources", message: "a source is named twice")) }
        for (path, values) in [("hints.hosts", draft.hints.hosts), ("hints.users", draft.hints.users), ("hints.ips", draft.hints.ips)] {
            if values.count > 500 { issues.append(.init(path: path, message: "at most 500 entries")) }
            for (index, value) in values.enumerated() where value.isEmpty || value.count > 255 {
                issues.append(.init(path: "\(path)[\(index)]", message: "1 to 255 characters"))
            }
            for (index, value) in values.enumerated() { issues += Validation.controlIssues(value, path: "\(path)[\(index)]") }
        }
        if let text = draft.hints.text, text.count > 4_000 { issues.append(.init(path: "hints.text", message: "at most 4000 characters")) }
        issues += Validation.controlIssues(draft.hints.text, path: "hints.text")
        return issues
    }
}
