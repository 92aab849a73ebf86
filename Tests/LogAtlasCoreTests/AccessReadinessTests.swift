import Foundation
import LogAtlasCore
import LogAtlasFormats
import Testing

/// `max_access_hours`: how fast the logs can really be obtained at a severity — searchable by the CSIRT, promised by a
/// standing agreement, or else the declared lead time with its approvals.
@Suite("Access readiness")
struct AccessReadinessTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let vendor = OrgID("vendor")

    static func source(delivery: DeliveryMethod = .vendorTicket, lead: Double? = 72, searchable: Bool = false) -> LogSource {
        LogSource(systemID: SystemID("web"), name: "ssh", logType: "host.linux-auth", custodianOrgID: vendor,
                  retentionTiers: [RetentionTier(medium: searchable ? .siem : .tape, days: 365, isSearchable: searchable)],
                  accessProcedure: AccessProcedure(approvals: ["contract-manager", "privacy-officer", "ciso"], leadTimeHours: lead, delivery: delivery))
    }

    static func agreement(lead: Double, minimum: Priority = .serious, types: [IncidentType] = [], custodian: OrgID = vendor) -> RetrievalAgreement {
        let signed = AgreementSignature(by: "x", at: now.addingTimeInterval(-86_400))
        return RetrievalAgreement(custodianOrgID: custodian, csirtOrgID: OrgID("csirt"),
                                  terms: AgreementTerms(scope: AgreementScope(systemIDs: [SystemID("web")]), incidentTypes: types, minimumSeverity: minimum,
                                                        maxWindowDays: 30, deliveryMethod: .vendorTicket, promisedLeadHours: lead,
                                                        validFrom: signed.at, validUntil: now.addingTimeInterval(90 * 86_400), approverName: "H",
                                                        approverRole: "privacy officer", legalBasis: "contract"),
                                  custodianAcceptance: signed, csirtAcceptance: signed, createdBy: "x", createdAt: signed.at)
    }

    static func requirement(_ hours: [Priority: Double], types: [IncidentType] = []) -> Requirement {
        Requirement(id: "access", title: "Logs within a day in a critical incident", clause: "internal", appliesTo: TargetSelector(),
                    logTypes: .anyOf(["host.linux-auth"]), incidentTypes: types, maxAccessHours: hours)
    }

    static func shortfalls(_ source: LogSource, _ requirement: Requirement, _ agreements: [RetrievalAgreement] = []) -> [Shortfall] {
        GapAnalysis.shortfalls(of: source, for: requirement, now: now, access: GapAnalysis.AccessContext(agreements: agreements))
    }

    @Test func searchableByTheCSIRTMeetsAnyLimit() {
        #expect(Self.shortfalls(Self.source(delivery: .searchAccess, lead: 200, searchable: true), Self.requirement([.critical: 1])).isEmpty)
        // Searchable, but by the custodian only: the lead time still counts.
        #expect(!Self.shortfalls(Self.source(delivery: .fileExport, lead: 200, searchable: true), Self.requirement([.critical: 1])).isEmpty)
    }

    @Test func withoutAnAgreementTheDeclaredLeadTimeAndItsApprovalsAreNamed() throws {
        let found = Self.shortfalls(Self.source(), Self.requirement([.critical: 24, .medium: 240]))
        #expect(found == [.access(hours: 120, limit: 24, severity: .critical, approvals: 3, agreementHours: nil)])   // tape's 120 h beats 72 h
        #expect(found[0].description == "declared lead time 120 h, 3 approvals, no standing agreement ≤ 24 h for critical")
        #expect(Self.shortfalls(Self.source(lead: 200), Self.requirement([.critical: 24]))
                == [.access(hours: 200, limit: 24, severity: .critical, approvals: 3, agreementHours: nil)])
    }

    @Test func anAgreementMeetsTheLimitOnlyAtItsSeveritiesTypesAndScopeAndWhenItsPromiseFits() {
        let source = Self.source(), critical = Self.requirement([.critical: 24])
        #expect(Self.shortfalls(source, critical, [Self.agreement(lead: 12)]).isEmpty)
        // The fastest promise counts.
        #expect(Self.shortfalls(source, critical, [Self.agreement(lead: 48), Self.agreement(lead: 20)]).isEmpty)
        let slow = Self.shortfalls(source, critical, [Self.agreement(lead: 48)])
        #expect(slow == [.access(hours: 48, limit: 24, severity: .critical, approvals: 3, agreementHours: 48)])
        #expect(slow.first?.description == "standing agreement promises 48 h > 24 h for critical")
        // Only for critical incidents: no help at serious.
        #expect(!Self.shortfalls(source, Self.requirement([.serious: 24]), [Self.agreement(lead: 12, minimum: .critical)]).isEmpty)
        // Another custodian's agreement does not speed up this one's logs.
        #expect(!Self.shortfalls(source, critical, [Self.agreement(lead: 12, custodian: OrgID("other"))]).isEmpty)
        // Limited to malware: counts for a malware requirement, not for one that also serves DoS or names no type.
        let malwareOnly = [Self.agreement(lead: 12, types: [.malware])]
        #expect(Self.shortfalls(source, Self.requirement([.critical: 24], types: [.malware]), malwareOnly).isEmpty)
        #expect(!Self.shortfalls(source, Self.requirement([.critical: 24], types: [.malware, .denialOfService]), malwareOnly).isEmpty)
        #expect(!Self.shortfalls(source, critical, malwareOnly).isEmpty)
        // Withdrawn: no longer counts.
        var withdrawn = Self.agreement(lead: 12)
        withdrawn.withdrawal = AgreementSignature(by: "x", at: Self.now)
        #expect(!Self.shortfalls(source, critical, [withdrawn]).isEmpty)
    }

    @Test func theShortfallIsStoredAndReadBack() throws {
        for shortfall in [Shortfall.access(hours: 72, limit: 24, severity: .critical, approvals: 2, agreementHours: nil),
                          .access(hours: 48, limit: 24, severity: .serious, approvals: 0, agreementHours: 48)] {
            let data = try JSONEncoder().encode(shortfall)
            #expect(try JSONDecoder().decode(Shortfall.self, from: data) == shortfall)
        }
    }

    @Test func policiesDeclareTheLimitPerSeverityAndBadOnesAreLocated() throws {
        let yaml = """
            id: access
            title: Access
            version: "1"
            citation: internal
            status: current
            requirements:
              - id: web-access
                title: Web logs within a day
                clause: IR-7
                applies_to: {systems: {internet_facing: true}}
                log_types: {any_of: [web.access]}
                max_access_hours: {critical: 24, serious: 72}
            """
        let policy = try PolicyYAML.decode(yaml)
        #expect(policy.requirements[0].maxAccessHours == [.critical: 24, .serious: 72])
        let bad = yaml.replacingOccurrences(of: "{critical: 24, serious: 72}", with: "{critcal: 24, serious: -1}")
        #expect {
            try PolicyYAML.decode(bad)
        } throws: { error in
            let paths = (error as? FormatError)?.problems.map(\.path) ?? []
            return paths.contains("requirements[0].max_access_hours.critcal") && paths.contains("requirements[0].max_access_hours.serious")
        }
    }
}
