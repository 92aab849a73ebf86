import Foundation
import LogAtlasCore
import Testing

/// Gaps learned from incidents: the requirement each kind implies, how they show in a report (a finding of their own,
/// marking the catalogue findings they confirm, their remediation first) and who may record them from which answer.
@Suite("Observed gaps")
struct ObservedGapCoreTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let owner = OrgID("shop"), vendor = OrgID("vendor")
    static let web = SystemID("shop-web")

    static func source(days: Int = 90, fields: [String] = ["time", "src_ip"], attestedDaysAgo: Double? = nil) -> LogSource {
        LogSource(systemID: web, name: "access", logType: "web.access", custodianOrgID: vendor,
                  retentionTiers: [RetentionTier(medium: .siem, days: days, isSearchable: true, retrievalHours: 1)],
                  fields: fields,
                  latestAttestation: attestedDaysAgo.map {
                      Attestation(oldestRecordAt: now.addingTimeInterval(-($0 + Double(days)) * 86_400), checkedAt: now.addingTimeInterval(-$0 * 86_400),
                                  checkedBy: "x", method: "query")
                  })
    }

    static func inventory(_ sources: [LogSource]) -> Inventory {
        Inventory(orgs: [Organisation(id: owner, name: "Shop", kind: .department), Organisation(id: vendor, name: "Vendor", kind: .vendor)],
                  systems: [ProtectedSystem(id: web, name: "Web shop", ownerOrgID: owner, criticality: .high, isInternetFacing: true)],
                  sources: sources)
    }

    static func gap(_ kind: ObservedGapKind, days: Int? = nil, hours: Double? = nil, fields: [String] = [], source: LogSourceID? = nil,
                    logType: String = "web.access", recordedDaysAgo: Double = 10, incident: String = "INC-2026-0142") -> ObservedGap {
        ObservedGap(incidentReference: incident, systemID: web, systemOwnerOrgID: owner, logType: logType, sourceID: source, kind: kind,
                    neededDays: days, neededHours: hours, fields: fields, incidentType: .unauthorisedAccess, recordedBy: "cyd",
                    recordedAt: now.addingTimeInterval(-recordedDaysAgo * 86_400))
    }

    static func finding(_ gap: ObservedGap, _ sources: [LogSource], policies: [Policy] = []) throws -> Finding {
        let findings = GapAnalysis.findings(for: policies, in: inventory(sources), now: now, observed: [gap])
        return try #require(findings.first { $0.observedGapID == gap.id })
    }

    @Test("each kind is judged by the requirement it implies: (kind, inventory) → status and shortfall")
    func kindsTable() throws {
        let attested = Self.source(attestedDaysAgo: 2)
        let rows: [(ObservedGap, [LogSource], FindingStatus, String?)] = [
            // The type is not collected at all, then it is.
            (Self.gap(.missing, logType: "network.waf"), [Self.source()], .missing, "no source of network.waf"),
            (Self.gap(.missing), [Self.source()], .met, nil),
            // A known source held nothing: met only by an attestation made since the incident.
            (Self.gap(.missing, source: attested.id, recordedDaysAgo: 10), [Self.source(attestedDaysAgo: 20)].map { var s = $0; s.id = attested.id; return s },
             .partial, "unverified since 20 d (limit 10 d)"),
            (Self.gap(.missing, source: attested.id, recordedDaysAgo: 10), [attested], .met, nil),
            (Self.gap(.tooShort, days: 200), [Self.source(days: 90)], .partial, "retention 90 d < 200 d required"),
            (Self.gap(.tooShort, days: 60), [Self.source(days: 90)], .met, nil),
            (Self.gap(.tooSlow, days: 30, hours: 0.5), [Self.source()], .partial, "retrieval from siem 1 h > 0.5 h for the last 30 d"),
            (Self.gap(.tooSlow, days: 30, hours: 4), [Self.source()], .met, nil),
            (Self.gap(.fieldsMissing, fields: ["user_agent"]), [Self.source()], .partial, "fields missing: user_agent"),
            (Self.gap(.fieldsMissing, fields: ["user_agent"]), [Self.source(fields: ["time", "user_agent"])], .met, nil),
        ]
        for (gap, sources, status, shortfall) in rows {
            let finding = try Self.finding(gap, sources)
            #expect(finding.status == status, "\(gap.kind) \(gap.title)")
            #expect(finding.shortfalls.first?.description == shortfall, "\(gap.kind)")
            #expect(finding.policyID == "observed" && finding.observedIn == ["INC-2026-0142"])
            #expect(finding.requirement.incidentTypes == [.unauthorisedAccess] && finding.requirement.weight == ObservedGap.weight)
        }
    }

    @Test("the source named is judged, not a better one of the same type on the system")
    func namedSourceIsJudged() throws {
        let short = Self.source(days: 30), long = LogSource(systemID: Self.web, name: "cdn", logType: "web.access", custodianOrgID: Self.vendor,
                                                            retentionTiers: [RetentionTier(medium: .siem, days: 400, isSearchable: true)])
        #expect(try Self.finding(Self.gap(.tooShort, days: 200, source: short.id), [short, long]).status == .partial)
        #expect(try Self.finding(Self.gap(.tooShort, days: 200), [short, long]).status == .met)
        // The source was removed since: whichever source of the type is there now counts.
        #expect(try Self.finding(Self.gap(.tooShort, days: 200, source: LogSourceID()), [short, long]).status == .met)
    }

    @Test("closed gaps and gaps on systems the reader cannot see add nothing")
    func closedAndInvisible() {
        var closed = Self.gap(.tooShort, days: 200)
        closed.closure = .init(by: "ada", at: Self.now, reason: "system retired")
        var elsewhere = Self.gap(.tooShort, days: 200)
        elsewhere.systemID = SystemID("other")
        #expect(GapAnalysis.findings(for: [], in: Self.inventory([Self.source()]), now: Self.now, observed: [closed, elsewhere]).isEmpty)
    }

    @Test("a catalogue finding the incident confirms is marked, and its change comes first in the remediation")
    func raisesRemediationPriority() throws {
        let catalogue = Policy(id: "baseline", title: "Baseline", version: "1", citation: "internal", status: .current, requirements: [
            Requirement(id: "web-retention", title: "Web access logs one year", clause: "4.1", appliesTo: TargetSelector(),
                        logTypes: .anyOf(["web.access"]), minRetentionDays: 365, weight: 1),
            // Weighs far more, and has nothing to do with the incident.
            Requirement(id: "waf", title: "WAF logs", clause: "4.2", appliesTo: TargetSelector(), logTypes: .anyOf(["network.waf"]), weight: 10),
        ])
        let sources = [Self.source(days: 90)]
        let plain = GapAnalysis.report(for: [catalogue], in: Self.inventory(sources), now: Self.now)
        #expect(plain.remediation.first?.action == "start collecting network.waf for shop-web")

        let report = GapAnalysis.report(for: [catalogue], in: Self.inventory(sources), now: Self.now,
                                        observed: [Self.gap(.tooShort, days: 200), Self.gap(.tooShort, days: 300, incident: "INC-2026-0150")])
        let retention = try #require(report.findings.first { $0.requirement.id == "web-retention" })
        #expect(retention.observedIn == ["INC-2026-0142", "INC-2026-0150"])
        #expect(report.findings.first { $0.requirement.id == "waf" }?.observedIn == [])
        // The two gaps' own changes and the catalogue's, all observed, come before the heavier WAF change.
        #expect(report.remediation.map(\.action) == ["keep web.access of shop-web 300 d instead of 90 d", "keep web.access of shop-web 200 d instead of 90 d",
                                                    "keep web.access of shop-web 365 d instead of 90 d", "start collecting network.waf for shop-web"])
        let confirmed = report.remediation[2]
        #expect(confirmed.observedIn == ["INC-2026-0142", "INC-2026-0150"] && confirmed.serves == ["baseline/web-retention"])
        #expect(confirmed.evidence == "observed in INC-2026-0142, INC-2026-0150")
        #expect(report.remediation[3].observedIn == [] && report.remediation[3].impact > report.remediation[0].impact)
        // Two findings of its own, in the observed pseudo-policy's score and the incident type's row of the matrix.
        #expect(report.byPolicy["observed"]?.partial == 2)
        #expect(report.cell(Self.web, .unauthorisedAccess)?.readiness == .partly)
    }

    @Test("who records a gap, from which answer, and what the draft must say")
    func recording() throws {
        let csirt = Principal(userID: UserID(), name: "cyd", role: .csirt, orgIDs: [OrgID("csirt")])
        let otherTeam = Principal(userID: UserID(), name: "eve", role: .csirt, orgIDs: [OrgID("red-team")])
        let custodian = Principal(userID: UserID(), name: "cus", role: .custodian, orgIDs: [Self.vendor])
        let auditor = Principal(userID: UserID(), name: "aud", role: .auditor, orgIDs: [])
        let sourceID = LogSourceID()
        let facts = ObservedGapDraft.SourceFacts(systemID: Self.web, systemOwnerOrgID: Self.owner, logType: "web.access")
        func item(_ state: ItemState) -> ObservedGapDraft.ItemFacts {
            .init(incidentReference: "INC-7", incidentType: .malware, requesterOrgID: OrgID("csirt"), state: state, sourceIDs: [sourceID])
        }
        let draft = ObservedGapDraft(requestID: RequestID(), itemID: RequestItemID(), sourceID: sourceID, kind: .tooShort, neededDays: 200)

        let gap = try draft.resolve(item: item(.rejected), source: facts, system: nil, by: csirt, now: Self.now)
        #expect(gap.incidentReference == "INC-7" && gap.incidentType == .malware && gap.systemID == Self.web && gap.logType == "web.access")
        #expect(gap.recordedBy == "cyd" && gap.isOpen && gap.itemID == draft.itemID)
        for state in ItemState.allCases {
            let result = Result { try draft.resolve(item: item(state), source: facts, system: nil, by: csirt, now: Self.now) }
            #expect(((try? result.get()) != nil) == ObservedGapDraft.revealingStates.contains(state), "\(state)")
            if case .failure(let error) = result { #expect(error as? ObservedGapError == .refused(
                "the item is \(state.rawValue); a gap is recorded once it was rejected, expired or received")) }
        }
        for caller in [custodian, auditor] {
            #expect(throws: ObservedGapError.forbidden("only the CSIRT and admins record observed gaps")) {
                try draft.resolve(item: item(.rejected), source: facts, system: nil, by: caller, now: Self.now)
            }
        }
        #expect(throws: ObservedGapError.forbidden("only the team that filed the request records what its answer lacked")) {
            try draft.resolve(item: item(.rejected), source: facts, system: nil, by: otherTeam, now: Self.now)
        }
        var foreign = draft
        foreign.sourceID = LogSourceID()
        #expect(throws: ObservedGapError.invalid([.init(path: "source_id", message: "not one of the item's sources")])) {
            try foreign.resolve(item: item(.expired), source: facts, system: nil, by: csirt, now: Self.now)
        }
        #expect(throws: ObservedGapError.notFound(kind: "request item", id: draft.itemID!.description)) {
            try draft.resolve(item: nil, source: facts, system: nil, by: csirt, now: Self.now)
        }

        // Without an item: the incident reference and the system and log type (or a source).
        let loose = ObservedGapDraft(incidentReference: "INC-8", systemID: Self.web, logType: "network.waf", kind: .missing)
        let looseGap = try loose.resolve(item: nil, source: nil, system: (Self.web, Self.owner), by: otherTeam, now: Self.now)
        #expect(looseGap.systemOwnerOrgID == Self.owner && looseGap.requestID == nil && looseGap.incidentType == nil)
        #expect(throws: ObservedGapError.notFound(kind: "system", id: "shop-web")) {
            try loose.resolve(item: nil, source: nil, system: nil, by: csirt, now: Self.now)
        }
    }

    @Test("draft rules: (draft) → issue paths")
    func draftIssues() {
        let rows: [(ObservedGapDraft, [String])] = [
            (ObservedGapDraft(incidentReference: "INC-1", sourceID: LogSourceID(), kind: .missing), []),
            (ObservedGapDraft(sourceID: LogSourceID(), kind: .missing), ["incident_reference"]),
            (ObservedGapDraft(incidentReference: "INC-1", kind: .missing), ["source_id"]),
            (ObservedGapDraft(incidentReference: "INC-1", systemID: Self.web, kind: .missing), ["source_id"]),
            (ObservedGapDraft(incidentReference: "INC-1", systemID: Self.web, logType: "web.nope", kind: .missing), ["log_type"]),
            (ObservedGapDraft(incidentReference: "INC-1", sourceID: LogSourceID(), systemID: Self.web, kind: .missing), ["source_id"]),
            (ObservedGapDraft(requestID: RequestID(), kind: .missing), ["item_id", "incident_reference", "source_id"]),
            (ObservedGapDraft(incidentReference: "INC-1", sourceID: LogSourceID(), kind: .tooShort), ["needed_days"]),
            (ObservedGapDraft(incidentReference: "INC-1", sourceID: LogSourceID(), kind: .tooShort, neededDays: 0), ["needed_days"]),
            (ObservedGapDraft(incidentReference: "INC-1", sourceID: LogSourceID(), kind: .tooSlow), ["needed_hours"]),
            (ObservedGapDraft(incidentReference: "INC-1", sourceID: LogSourceID(), kind: .tooSlow, neededHours: -1), ["needed_hours"]),
            (ObservedGapDraft(incidentReference: "INC-1", sourceID: LogSourceID(), kind: .fieldsMissing), ["fields"]),
            (ObservedGapDraft(incidentReference: "INC-1", sourceID: LogSourceID(), kind: .fieldsMissing, fields: ["bad field"]), ["fields[0]"]),
            (ObservedGapDraft(incidentReference: "INC-1\u{7}", sourceID: LogSourceID(), kind: .missing), ["incident_reference"]),
            (ObservedGapDraft(incidentReference: String(repeating: "x", count: 101), sourceID: LogSourceID(), kind: .missing), ["incident_reference"]),
        ]
        for (draft, paths) in rows { #expect(draft.issues().map(\.path) == paths, "\(draft)") }
    }
}
