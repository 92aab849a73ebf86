import Foundation
import LogAtlasCore
import Testing

/// The item lifecycle as a table: every (action, party, state) combination is checked against the expected outcome.
@Suite("Request state machine")
struct ItemStateMachineTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let action: ItemAction
        let party: Party
        let state: ItemState
        /// The resulting state, or nil when the action must be refused.
        let result: ItemState?
        var testDescription: String { "\(party.rawValue) \(action.rawValue) in \(state.rawValue) → \(result?.rawValue ?? "refused")" }
    }

    /// The allowed transitions, written out independently of the machine's own table.
    static let allowed: [ItemAction: (Party, [ItemState: ItemState])] = [
        .acknowledge: (.custodian, [.requested: .acknowledged]),
        .approve: (.custodian, [.acknowledged: .approved]),
        .reject: (.custodian, [.requested: .rejected, .acknowledged: .rejected]),
        .start: (.custodian, [.approved: .inProgress]),
        .deliver: (.custodian, [.approved: .delivered, .inProgress: .delivered]),
        .receive: (.requester, [.delivered: .received]),
        .askInfo: (.custodian, [.requested: .needsInfo, .acknowledged: .needsInfo, .approved: .needsInfo, .inProgress: .needsInfo]),
        .answer: (.requester, [.needsInfo: .approved]),  // resumes the remembered state (approved in this table)
        .cancel: (.requester, [.requested: .cancelled, .acknowledged: .cancelled, .approved: .cancelled, .inProgress: .cancelled, .needsInfo: .cancelled]),
        .expire: (.system, [.requested: .expired, .acknowledged: .expired, .approved: .expired, .inProgress: .expired, .needsInfo: .expired]),
        // The due-date negotiation leaves the state where it is, while the custodian still owes a delivery.
        .proposeDueDate: (.custodian, [.requested: .requested, .acknowledged: .acknowledged, .approved: .approved, .inProgress: .inProgress, .needsInfo: .needsInfo]),
        .acceptDueDate: (.requester, [.requested: .requested, .acknowledged: .acknowledged, .approved: .approved, .inProgress: .inProgress, .needsInfo: .needsInfo]),
        .declineDueDate: (.requester, [.requested: .requested, .acknowledged: .acknowledged, .approved: .approved, .inProgress: .inProgress, .needsInfo: .needsInfo]),
    ]

    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    /// A pending proposal of two days later, and a new one asking for three.
    static let terms = DueDateTerms(deliverDue: t0, proposed: t0.addingTimeInterval(2 * 86_400), asked: t0.addingTimeInterval(3 * 86_400),
                                    now: t0.addingTimeInterval(-86_400))

    static let rows: [Row] = ItemAction.allCases.flatMap { action in
        Party.allCases.flatMap { party in
            ItemState.allCases.map { state in
                let (allowedParty, moves) = allowed[action]!
                return Row(action: action, party: party, state: state, result: party == allowedParty ? moves[state] : nil)
            }
        }
    }

    @Test(arguments: rows)
    func transition(_ row: Row) {
        let outcome = ItemStateMachine.decide(row.action, by: [row.party], state: row.state, resumeState: .approved,
                                              note: "because", evidenceCount: 1, terms: Self.terms)
        switch (outcome, row.result) {
        case (.success(let transition), let expected?):
            #expect(transition.to == expected)
            #expect(transition.from == row.state)
        case (.failure(let refusal), nil):
            let allowedParty = Self.allowed[row.action]!.0
            if row.party != allowedParty { #expect(refusal == .notPermitted(action: row.action)) }
            else { #expect(refusal == .wrongState(action: row.action, current: row.state)) }
        default:
            Issue.record("\(row.testDescription): got \(outcome)")
        }
    }

    @Test func notesAreRequiredWhereTheyCarryMeaning() {
        for (action, state) in [(ItemAction.reject, ItemState.requested), (.receive, .delivered), (.askInfo, .approved), (.answer, .needsInfo)] {
            let party: Party = action == .receive || action == .answer ? .requester : .custodian
            #expect(ItemStateMachine.decide(action, by: [party], state: state, note: "  ") == .failure(.noteRequired(action: action)))
        }
    }

    @Test func theDueDateMovesOnlyWhenTheRequesterAcceptsALaterOne() throws {
        let due = Self.t0, now = Self.t0.addingTimeInterval(-86_400), later = Self.t0.addingTimeInterval(5 * 86_400)
        func propose(_ asked: Date?) -> Result<TransitionOutcome, TransitionRefusal> {
            ItemStateMachine.decide(.proposeDueDate, by: [.custodian], state: .approved, note: "tape restore takes 5 days",
                                    terms: DueDateTerms(deliverDue: due, asked: asked, now: now))
        }
        let proposed = try propose(later).get()
        #expect(proposed.to == .approved)
        #expect(proposed.deliverDue == due)           // proposing alone moves nothing
        #expect(proposed.proposedDue == later)
        // No date, an earlier or equal one, or more than a year away: refused with the current date.
        for asked in [nil, due, due.addingTimeInterval(-3_600), now.addingTimeInterval(366 * 86_400)] {
            #expect(propose(asked) == .failure(.dueDateInvalid(current: due)))
        }
        #expect(ItemStateMachine.decide(.proposeDueDate, by: [.custodian], state: .approved, note: " ",
                                        terms: DueDateTerms(deliverDue: due, asked: later, now: now)) == .failure(.noteRequired(action: .proposeDueDate)))
        let pending = DueDateTerms(deliverDue: due, proposed: later, now: now)
        let accepted = try ItemStateMachine.decide(.acceptDueDate, by: [.requester], state: .inProgress, terms: pending).get()
        #expect(accepted.deliverDue == later)
        #expect(accepted.proposedDue == nil)
        #expect(accepted.to == .inProgress)
        let declined = try ItemStateMachine.decide(.declineDueDate, by: [.requester], state: .inProgress, note: "the regulator's deadline",
                                                   terms: pending).get()
        #expect(declined.deliverDue == due)
        #expect(declined.proposedDue == nil)
        // Nothing to answer without a proposal; the custodian cannot accept its own; a closed item negotiates nothing.
        let none = DueDateTerms(deliverDue: due, now: now)
        #expect(ItemStateMachine.decide(.acceptDueDate, by: [.requester], state: .approved, terms: none) == .failure(.noProposal))
        #expect(ItemStateMachine.decide(.declineDueDate, by: [.requester], state: .approved, note: "no", terms: none) == .failure(.noProposal))
        #expect(ItemStateMachine.decide(.acceptDueDate, by: [.custodian], state: .approved, terms: pending) == .failure(.notPermitted(action: .acceptDueDate)))
        #expect(ItemStateMachine.decide(.proposeDueDate, by: [.custodian], state: .delivered, note: "x",
                                        terms: DueDateTerms(deliverDue: due, asked: later, now: now)) == .failure(.wrongState(action: .proposeDueDate, current: .delivered)))
        // Other actions leave the due date and a pending proposal alone.
        let started = try ItemStateMachine.decide(.start, by: [.custodian], state: .approved, terms: pending).get()
        #expect(started.deliverDue == due)
        #expect(started.proposedDue == later)
    }

    @Test func deliveryNeedsEvidenceAndNeedsInfoRemembersWhereItWas() throws {
        #expect(ItemStateMachine.decide(.deliver, by: [.custodian], state: .inProgress, evidenceCount: 0) == .failure(.noEvidence))
        let asked = try ItemStateMachine.decide(.askInfo, by: [.custodian], state: .inProgress, note: "which VLAN?").get()
        #expect(asked.to == .needsInfo)
        #expect(asked.resumeState == .inProgress)
        let answered = try ItemStateMachine.decide(.answer, by: [.requester], state: .needsInfo, resumeState: asked.resumeState, note: "VLAN 20").get()
        #expect(answered.to == .inProgress)
        #expect(answered.resumeState == nil)
    }

    @Test func partiesFollowRolesAndOrganisations() {
        let csirtTeam = OrgID("csirt")
        let member = Principal(userID: UserID(), name: "c", role: .csirt, orgIDs: [csirtTeam])
        let outsider = Principal(userID: UserID(), name: "o", role: .csirt, orgIDs: [OrgID("other-team")])
        let custodian = Principal(userID: UserID(), name: "k", role: .custodian, orgIDs: [OrgID("vendor")])
        let auditor = Principal(userID: UserID(), name: "a", role: .auditor, orgIDs: [])
        #expect(member.parties(requesterOrg: csirtTeam, custodian: OrgID("vendor")) == [.requester])
        #expect(outsider.parties(requesterOrg: csirtTeam, custodian: OrgID("vendor")).isEmpty)
        #expect(custodian.parties(requesterOrg: csirtTeam, custodian: OrgID("vendor")) == [.custodian])
        #expect(custodian.parties(requesterOrg: csirtTeam, custodian: OrgID("dept")).isEmpty)
        #expect(auditor.parties(requesterOrg: csirtTeam, custodian: OrgID("vendor")).isEmpty)
        #expect(!auditor.mayDownloadEvidence(requesterOrg: csirtTeam))
        #expect(member.mayDownloadEvidence(requesterOrg: csirtTeam))
        #expect(!custodian.mayDownloadEvidence(requesterOrg: csirtTeam))
    }
}

@Suite("Feasibility and SLA")
struct FeasibilityTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let day: TimeInterval = 86_400

    static func source(_ tiers: [RetentionTier], lead: Double? = nil, attestation: Attestation? = nil) -> LogSource {
        LogSource(systemID: SystemID("net"), name: "firewall", logType: "network.firewall", custodianOrgID: OrgID("dept"),
                  retentionTiers: tiers, accessProcedure: lead.map { AccessProcedure(leadTimeHours: $0) }, latestAttestation: attestation)
    }

    static func ago(_ days: Double) -> Date { now.addingTimeInterval(-days * day) }

    @Test func splitsTheWindowIntoSearchableSlowAndExpired() {
        let firewall = Self.source([RetentionTier(medium: .siem, days: 90, isSearchable: true, retrievalHours: 1),
                                    RetentionTier(medium: .tape, days: 365, isSearchable: false)], lead: 24)
        let window = TimeWindow(from: Self.ago(400), to: Self.ago(30))
        let result = Feasibility.of(firewall, window: window, now: Self.now, deliverDue: Self.now.addingTimeInterval(3 * Self.day))
        #expect(result.segments.map(\.availability) == [.expired, .slow, .searchable])
        #expect(result.segments[0].to == Self.ago(365))
        #expect(result.segments[1].from == Self.ago(365))
        #expect(result.segments[1].to == Self.ago(90))
        #expect(result.segments[1].medium == .tape)
        #expect(result.segments[1].leadHours == 120)       // tape's documented default beats the 24 h procedure
        #expect(result.segments[2].leadHours == 24)        // the procedure's lead time beats the SIEM's hour
        #expect(result.seconds(.expired) == 35 * Self.day)
        #expect(result.warnings.contains { $0.contains("have expired") })
        // The oldest records of the window are leaving the tape now: preserve at once, or they are lost.
        #expect(result.hold == PreservationHold(before: Self.now, medium: .tape, isLoss: true))
    }

    @Test func holdOnlyWhenDataLeavesATierBeforeTheDeliveryIsDue() {
        let proxy = Self.source([RetentionTier(medium: .siem, days: 30, isSearchable: true)])
        let window = TimeWindow(from: Self.ago(28), to: Self.ago(27))
        let soon = Feasibility.of(proxy, window: window, now: Self.now, deliverDue: Self.now.addingTimeInterval(3 * Self.day))
        #expect(soon.hold?.before == Self.now.addingTimeInterval(2 * Self.day))
        #expect(soon.hold?.isLoss == true)
        let quick = Feasibility.of(proxy, window: window, now: Self.now, deliverDue: Self.now.addingTimeInterval(1 * Self.day))
        #expect(quick.hold == nil)
        #expect(quick.segments.map(\.availability) == [.searchable])
    }

    @Test func driftUsesTheAttestedHistory() {
        let attestation = Attestation(oldestRecordAt: Self.ago(41), checkedAt: Self.ago(1), checkedBy: "ops", method: "query")
        let drifting = Self.source([RetentionTier(medium: .siem, days: 365, isSearchable: true)], attestation: attestation)
        let result = Feasibility.of(drifting, window: TimeWindow(from: Self.ago(100), to: Self.ago(10)), now: Self.now,
                                    deliverDue: Self.now.addingTimeInterval(Self.day))
        #expect(result.segments.map(\.availability) == [.expired, .searchable])
        #expect(result.segments[1].from == Self.ago(40))
        #expect(result.warnings.contains { $0.contains("attested history") })
    }

    @Test func plannerSplitsPerCustodianAndRefusesAnExpiredWindow() throws {
        let a = LogSource(systemID: SystemID("net"), name: "fw", logType: "network.firewall", custodianOrgID: OrgID("dept"),
                          retentionTiers: [RetentionTier(medium: .siem, days: 90, isSearchable: true)])
        let b = LogSource(systemID: SystemID("dc"), name: "auth", logType: "host.linux-auth", custodianOrgID: OrgID("vendor"),
                          retentionTiers: [RetentionTier(medium: .deviceLocal, days: 7, isSearchable: false)])
        let c = LogSource(systemID: SystemID("dc"), name: "dns", logType: "network.dns", custodianOrgID: OrgID("vendor"),
                          retentionTiers: [RetentionTier(medium: .siem, days: 30, isSearchable: true)])
        let sources = Dictionary(uniqueKeysWithValues: [a, b, c].map { ($0.id, $0) })
        let csirt = Principal(userID: UserID(), name: "cyd", role: .csirt, orgIDs: [OrgID("csirt")])
        var draft = RequestDraft(incidentReference: "INC-1", purpose: "lateral movement", priority: .critical,
                                 window: TimeWindow(from: Self.ago(5), to: Self.ago(1)), sourceIDs: [a.id, b.id, c.id])
        let plan = try RequestPlanner.plan(draft, sources: sources, requester: csirt, requesterOrg: OrgID("csirt"), now: Self.now, sla: SLAPolicy())
        #expect(plan.request.items.map(\.custodianOrgID) == [OrgID("dept"), OrgID("vendor")])
        #expect(plan.request.items[1].sourceIDs == [b.id, c.id])
        #expect(plan.request.items[0].acknowledgeDue == Self.now.addingTimeInterval(4 * 3600))
        #expect(plan.request.items[0].deliverDue == Self.now.addingTimeInterval(24 * 3600))
        // vendor's device-local copy of day -5 leaves in 2 days, after the 24 h delivery: no hold.
        #expect(plan.request.items[1].preserveBefore == nil)

        draft.window = TimeWindow(from: Self.ago(60), to: Self.ago(40))
        #expect(throws: RequestError.self) {
            try RequestPlanner.plan(draft, sources: sources, requester: csirt, requesterOrg: nil, now: Self.now, sla: SLAPolicy())
        }
        do {
            _ = try RequestPlanner.plan(draft, sources: sources, requester: csirt, requesterOrg: nil, now: Self.now, sla: SLAPolicy())
        } catch RequestError.invalid(let issues) {
            #expect(issues.map(\.path) == ["sources[1]", "sources[2]"])
            #expect(issues[0].message.contains("whole window has expired"))
        }
    }

    @Test func plannerSaysWhenTheSlowestMediumCannotMeetTheDueDate() throws {
        // Tape needs 120 h by default; a serious request is due in 72 h.
        let tape = Self.source([RetentionTier(medium: .siem, days: 30, isSearchable: true),
                                RetentionTier(medium: .tape, days: 365, isSearchable: false)])
        let quick = LogSource(systemID: SystemID("web"), name: "proxy", logType: "network.proxy", custodianOrgID: OrgID("vendor"),
                              retentionTiers: [RetentionTier(medium: .siem, days: 400, isSearchable: true, retrievalHours: 2)])
        let sources = Dictionary(uniqueKeysWithValues: [tape, quick].map { ($0.id, $0) })
        let csirt = Principal(userID: UserID(), name: "cyd", role: .csirt, orgIDs: [OrgID("csirt")])
        let draft = RequestDraft(incidentReference: "INC-2", purpose: "exfiltration", priority: .serious,
                                 window: TimeWindow(from: Self.ago(100), to: Self.ago(1)), sourceIDs: [tape.id, quick.id])
        let plan = try RequestPlanner.plan(draft, sources: sources, requester: csirt, requesterOrg: OrgID("csirt"), now: Self.now, sla: SLAPolicy())
        let dept = try #require(plan.request.items.first { $0.custodianOrgID == OrgID("dept") })
        let vendor = try #require(plan.request.items.first { $0.custodianOrgID == OrgID("vendor") })
        #expect(dept.deliverDue == Self.now.addingTimeInterval(72 * 3_600))   // the SLA is not bent at filing
        #expect(dept.feasibleBy == Self.now.addingTimeInterval(120 * 3_600))
        #expect(dept.dueDateUnreachable)
        let warning = try #require(dept.dueDateWarning)
        #expect(warning.contains("tape, 120 h") && warning.contains(Timestamp.format(Self.now.addingTimeInterval(120 * 3_600))))
        #expect(plan.request.warnings.contains(warning))
        #expect(vendor.feasibleBy == Self.now.addingTimeInterval(2 * 3_600))
        #expect(!vendor.dueDateUnreachable && vendor.dueDateWarning == nil)
        // Once the due date is moved past the prediction, or the item is delivered, the warning is gone.
        var moved = dept
        moved.deliverDue = Self.now.addingTimeInterval(130 * 3_600)
        #expect(moved.dueDateWarning == nil)
        var delivered = dept
        delivered.state = .delivered
        #expect(delivered.dueDateWarning == nil)
    }

    @Test func plannerReportsEveryFieldProblem() {
        let draft = RequestDraft(incidentReference: " ", purpose: "", priority: .medium,
                                 window: TimeWindow(from: Self.now.addingTimeInterval(10), to: Self.now), sourceIDs: [])
        do {
            _ = try RequestPlanner.plan(draft, sources: [:], requester: .system(), requesterOrg: nil, now: Self.now, sla: SLAPolicy())
            Issue.record("accepted an invalid draft")
        } catch RequestError.invalid(let issues) {
            #expect(Set(issues.map(\.path)) == ["incident_reference", "purpose", "window.to", "window.from", "sources"])
        } catch { Issue.record("\(error)") }
    }

    @Test func slaEventsFireAtHalfAndFullTimeAndOnlyOnce() throws {
        let sla = try SLAPolicy.parse("critical=2h/10h", expiryFactor: 1)
        let filed = Self.now
        let due = sla.dueDates(priority: .critical, filedAt: filed)
        #expect(due.acknowledge == filed.addingTimeInterval(7200))
        func events(after hours: Double, state: ItemState = .requested, raised: Set<SLAEvent> = []) -> [SLAEvent] {
            sla.dueEvents(state: state, filedAt: filed, acknowledgeDue: due.acknowledge, deliverDue: due.deliver,
                          now: filed.addingTimeInterval(hours * 3600), raised: raised)
        }
        #expect(events(after: 0.5).isEmpty)
        #expect(events(after: 1) == [.acknowledgeReminder])
        #expect(events(after: 2) == [.acknowledgeReminder, .acknowledgeOverdue])
        #expect(events(after: 2, raised: [.acknowledgeReminder]) == [.acknowledgeOverdue])
        #expect(events(after: 6, state: .acknowledged) == [.deliverReminder])
        #expect(events(after: 10, state: .approved) == [.deliverReminder, .deliverOverdue])
        #expect(events(after: 20, state: .needsInfo, raised: [.deliverReminder, .deliverOverdue]) == [.expire])
        #expect(events(after: 20, state: .delivered).isEmpty)
        #expect(SLAEvent.acknowledgeOverdue.escalates && !SLAEvent.deliverReminder.escalates)
        #expect(throws: ValidationIssue.self) { try SLAPolicy.parse("urgent=1h/2h") }
        #expect(throws: ValidationIssue.self) { try SLAPolicy.parse("critical=5h/2h") }
    }
}

@Suite("Friction and measured lead times")
struct FrictionTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static func at(_ hours: Double) -> Date { t0.addingTimeInterval(hours * 3600) }

    @Test func percentilesInterpolateLikePostgreSQL() throws {
        let distribution = try #require(Distribution.of([10, 2, 4, 8, 6]))
        #expect(distribution.count == 5)
        #expect(distribution.medianHours == 6)
        #expect(abs(distribution.p90Hours - 9.2) < 1e-9)
        #expect(Distribution.of([]) == nil)
    }

    @Test func breachesAndRowsPerOrganisationAndSource() {
        let source = LogSource(systemID: SystemID("net"), name: "fw", logType: "network.firewall", custodianOrgID: OrgID("dept"),
                               accessProcedure: AccessProcedure(leadTimeHours: 24))
        func sample(ack: Double?, delivered: Double?, state: ItemState) -> FrictionSample {
            FrictionSample(custodianOrgID: OrgID("dept"), sourceIDs: [source.id], state: state, filedAt: Self.t0,
                           acknowledgeDue: Self.at(4), deliverDue: Self.at(24), acknowledgedAt: ack.map(Self.at),
                           deliveredAt: delivered.map(Self.at), closedAt: nil)
        }
        let samples = [sample(ack: 1, delivered: 20, state: .received),      // on time
                       sample(ack: 6, delivered: 22, state: .delivered),      // late acknowledgement
                       sample(ack: 2, delivered: 40, state: .received),      // late delivery
                       sample(ack: 1, delivered: nil, state: .inProgress)]    // still within its SLA at hour 10
        let report = FrictionReport.compute(samples, sources: [source.id: source], now: Self.at(10))
        #expect(report.orgs.count == 1)
        #expect(report.orgs[0].items == 4)
        #expect(report.orgs[0].judged == 3)
        #expect(report.orgs[0].breached == 2)
        #expect(report.orgs[0].acknowledge?.medianHours == 1.5)
        #expect(report.orgs[0].deliver?.medianHours == 22)
        #expect(report.sources.first?.declaredLeadHours == 24)
        #expect(report.sources.first?.measured?.count == 3)
        // The open item breaches once its delivery is overdue.
        #expect(FrictionReport.compute(samples, sources: [:], now: Self.at(30)).orgs[0].breached == 3)
    }

    @Test func gapAnalysisJudgesRetrievalOnTheMeasurementOnceConclusive() {
        let requirement = Requirement(id: "r", title: "fast", clause: "x", appliesTo: TargetSelector(), logTypes: .anyOf(["network.firewall"]),
                                      maxRetrievalHours: 24, retrievalWindowDays: 30, incidentTypes: [], weight: 1)
        var source = LogSource(systemID: SystemID("net"), name: "fw", logType: "network.firewall", custodianOrgID: OrgID("dept"),
                               retentionTiers: [RetentionTier(medium: .siem, days: 90, isSearchable: true, retrievalHours: 1)])
        #expect(GapAnalysis.shortfalls(of: source, for: requirement, now: Self.t0).isEmpty)
        source.measuredLeadTime = MeasuredLeadTime(samples: 2, medianHours: 70, p90Hours: 90)
        #expect(GapAnalysis.shortfalls(of: source, for: requirement, now: Self.t0).isEmpty, "two samples are not conclusive")
        source.measuredLeadTime = MeasuredLeadTime(samples: 3, medianHours: 70, p90Hours: 90)
        #expect(GapAnalysis.shortfalls(of: source, for: requirement, now: Self.t0) == [.measuredRetrieval(hours: 70, limit: 24, samples: 3)])
        source.measuredLeadTime = MeasuredLeadTime(samples: 5, medianHours: 6, p90Hours: 30)
        source.retentionTiers = [RetentionTier(medium: .tape, days: 90, isSearchable: false)]
        #expect(GapAnalysis.shortfalls(of: source, for: requirement, now: Self.t0).isEmpty, "measured delivery beats a slow declaration")
    }

    /// #16: the time to obtain data is the slower of the medium and the access procedure, as the preview predicts.
    @Test func retrievalLimitsCountTheAccessProcedureLeadTime() {
        let requirement = Requirement(id: "r", title: "fast", clause: "x", appliesTo: TargetSelector(), logTypes: .anyOf(["network.firewall"]),
                                      maxRetrievalHours: 24, retrievalWindowDays: 30, incidentTypes: [], weight: 1)
        var source = LogSource(systemID: SystemID("net"), name: "fw", logType: "network.firewall", custodianOrgID: OrgID("vendor"),
                               retentionTiers: [RetentionTier(medium: .siem, days: 90, isSearchable: true, retrievalHours: 1)],
                               accessProcedure: AccessProcedure(approvals: ["privacy-officer", "vendor-manager", "ciso"], leadTimeHours: 72))
        let shortfalls = GapAnalysis.shortfalls(of: source, for: requirement, now: Self.t0)
        #expect(shortfalls == [.accessLeadTime(hours: 72, limit: 24, approvals: 3)])
        #expect(shortfalls.first?.description == "declared lead time 72 h, 3 approvals > 24 h")
        // Within the limit: met; a slower medium is named as the medium, not the procedure.
        source.accessProcedure?.leadTimeHours = 12
        #expect(GapAnalysis.shortfalls(of: source, for: requirement, now: Self.t0).isEmpty)
        source.retentionTiers = [RetentionTier(medium: .tape, days: 90, isSearchable: false, retrievalHours: 120)]
        #expect(GapAnalysis.shortfalls(of: source, for: requirement, now: Self.t0) == [.retrieval(hours: 120, limit: 24, medium: .tape, windowDays: 30)])
        // Stored with a report and read back.
        let stored = Shortfall.accessLeadTime(hours: 72, limit: 24, approvals: 3)
        #expect(Shortfall(storedKind: stored.stored.kind, fields: Dictionary(uniqueKeysWithValues: stored.stored.fields.map { ($0.key, $0.value) })) == stored)
    }

    /// Without `retrieval_window_days` or `min_retention_days`, a retrieval limit covers everything the source holds
    /// (it used to check only the last day) and implies no retention of its own.
    @Test func aRetrievalLimitWithoutAWindowCoversEverythingHeld() {
        let requirement = Requirement(id: "r", title: "fast", clause: "x", appliesTo: TargetSelector(), logTypes: .anyOf(["network.firewall"]),
                                      maxRetrievalHours: 24, incidentTypes: [], weight: 1)
        var source = LogSource(systemID: SystemID("net"), name: "fw", logType: "network.firewall", custodianOrgID: OrgID("dept"),
                               retentionTiers: [RetentionTier(medium: .siem, days: 30, isSearchable: true, retrievalHours: 1),
                                                RetentionTier(medium: .tape, days: 365, isSearchable: false, retrievalHours: 120)])
        #expect(GapAnalysis.shortfalls(of: source, for: requirement, now: Self.t0) == [.retrieval(hours: 120, limit: 24, medium: .tape, windowDays: 365)])
        source.retentionTiers.removeLast()
        #expect(GapAnalysis.shortfalls(of: source, for: requirement, now: Self.t0).isEmpty, "30 days within the hour: met, no retention asked")
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test(arguments: [0.0, 951_782_400, 1_800_000_000.25, 4_102_444_799, -86_401, 1_709_164_800.000_001])
    func formatsLikeFoundationAndParsesBack(_ seconds: Double) throws {
        let date = Date(timeIntervalSince1970: seconds)
        let expected = date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
        #expect(Timestamp.format(date) == expected)
        let parsed = try #require(Timestamp.parse(Timestamp.format(date, fractional: true)))
        #expect(abs(parsed.timeIntervalSince1970 - seconds) < 0.001)
    }

    /// #13 item 14: RFC 3339 allows lower-case `t` and `z` and any offset.
    @Test(arguments: ["2026-11-27T09:00:00Z", "2026-11-27t09:00:00z", "2026-11-27T18:00:00+09:00", "2026-11-27t05:30:00-03:30",
                      "2026-11-27T14:45:00.000+05:45", "2026-11-27T09:00:00-00:00", "2026-11-27 09:00:00Z"])
    func acceptsEveryRFC3339Spelling(_ text: String) throws {
        let parsed = try #require(Timestamp.parse(text), "\(text)")
        #expect(parsed == Date(timeIntervalSince1970: 1_795_770_000), "\(text)")
    }

    /// Found by the contract fuzzer: a `from` of 10 characters in 19 bytes crashed the server: more than
    /// 10 bytes, so the parser looked at the 11th character, which was the end of the string. Any text must give a date or nil.
    @Test(arguments: ["\u{96}\u{AABDD}\u{88};\u{88}\u{12}\u{9A5A}\u{1A}Dr", "\u{E9}\u{E9}\u{E9}\u{E9}\u{E9}\u{E9}\u{E9}\u{E9}\u{E9}\u{E9}",
                      "2026-11-27\u{301}09:00:00Z", "2026-11-2７ 09:00:00Z", "", " ", "2026-11-27 ", "2026-11-27"])
    func refusesAnyOtherTextWithoutCrashing(_ text: String) {
        #expect(Timestamp.parse(text) == nil, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    @Test func survivesRandomText() {
        var random = SystemRandomNumberGenerator()
        let alphabet: [Unicode.Scalar] = ["2", "0", "-", ":", "T", " ", "Z", "+", ".", "\u{96}", "\u{301}", "\u{AABDD}", "é", "７"]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...24, using: &random)
            let text = String(String.UnicodeScalarView((0..<length).map { _ in alphabet.randomElement(using: &random)! }))
            _ = Timestamp.parse(text)   // must return, whatever the text
        }
    }
}
