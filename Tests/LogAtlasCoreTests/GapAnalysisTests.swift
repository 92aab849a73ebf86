import Foundation
@testable import LogAtlasCore
@testable import LogAtlasFormats
import Testing

@Suite("Policies and gap analysis")
struct GapAnalysisTests {
    static let now = ISO8601DateFormatter().date(from: "2026-11-27T00:00:00Z")!

    @Test func everyShippedPolicyLoads() throws {
        let policies = try PolicyCatalogue.shipped()
        #expect(Set(policies.map(\.id)) == ["ir-baseline", "pci-dss-4", "cis-v8-control-8", "acsc-2024", "m-21-31"])
        #expect(policies.first { $0.id == "m-21-31" }?.status == .legacy)
        for policy in policies {
            for requirement in policy.requirements {
                #expect(!requirement.clause.isEmpty, "\(policy.id)/\(requirement.id) cites no clause")
                #expect(requirement.logTypes.types.allSatisfy { Taxonomy.logType($0) != nil })
            }
        }
        // The files in policies/shipped/ are the ones the binary carries.
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("policies/shipped")
        #expect(try PolicyCatalogue.load(folder: folder).map(\.id).sorted() == policies.map(\.id).sorted())
    }

    static let header = "id: p\ntitle: P\nversion: \"1\"\ncitation: c\nstatus: current\nrequirements:\n"

    @Test("policy problems name line and column", arguments: [
        ("  - {id: r, title: T, clause: c, applies_to: every_org, log_types: {any_of: [network.proxxy]}}\n", 7, "did you mean 'network.proxy'?"),
        ("  - {id: r, title: T, clause: c, applies_to: every_org, log_types: {any_of: [network.proxy]}, min_retention_days: -5}\n", 7, "days must be between 0"),
        ("  - {id: r, title: T, clause: c, applies_to: {systems: {colour: red}}, log_types: {any_of: [network.proxy]}}\n", 7, "unknown field 'colour'"),
        ("  - {id: r, title: T, clause: c, applies_to: every_org, log_types: {any_of: [network.dns]}}\n  - {id: r, title: U, clause: c, applies_to: every_org, log_types: {any_of: [network.dns]}}\n", 8, "duplicate requirement id 'r'"),
        ("  - {id: r, title: T, clause: c, applies_to: every_org, log_types: {any_of: [network.dns]}, incident_types: [700]}\n", 7, "incident type is one of"),
        ("  - {id: r, title: T, clause: c, applies_to: {orgs: {sources: kept}}, log_types: {any_of: [network.dns]}}\n", 7, "did you mean 'held'?"),
    ])
    func loaderErrors(_ body: String, line: Int, message: String) {
        do {
            _ = try PolicyYAML.decode(Self.header + body, file: "p.yaml")
            Issue.record("expected a FormatError")
        } catch let error as FormatError {
            #expect(error.problems.contains { $0.line == line && $0.message.contains(message) }, "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// #16: an organisation-scoped requirement counts the sources of the systems the organisation owns, or — as
    /// its `sources` field says — those it holds as custodian for others, or both.
    @Test func orgRequirementsCountOwnedHeldOrBothAsTheySay() throws {
        let inventory = Inventory(
            orgs: [Organisation(id: OrgID("corp"), name: "Corp", kind: .department), Organisation(id: OrgID("soc-vendor"), name: "SOC vendor", kind: .vendor)],
            systems: [ProtectedSystem(id: SystemID("erp"), name: "ERP", ownerOrgID: OrgID("corp"), criticality: .high)],
            sources: [LogSource(systemID: SystemID("erp"), name: "fw", logType: "network.firewall", custodianOrgID: OrgID("soc-vendor"),
                                retentionTiers: [RetentionTier(medium: .siem, days: 400, isSearchable: true)])])
        func statuses(_ sources: String) throws -> [String: FindingStatus] {
            let policy = try PolicyYAML.decode(Self.header + """
                  - {id: r, title: T, clause: c, applies_to: {orgs: {\(sources)}}, log_types: {any_of: [network.firewall]}, min_retention_days: 365}
                """, file: "p.yaml")
            return Dictionary(uniqueKeysWithValues: GapAnalysis.findings(for: [policy], in: inventory, now: Self.now).map { ($0.target.id, $0.status) })
        }
        #expect(try statuses("") == ["corp": .met, "soc-vendor": .missing], "by default: the systems an organisation owns")
        #expect(try statuses("sources: held") == ["corp": .missing, "soc-vendor": .met])
        #expect(try statuses("sources: owned_or_held") == ["corp": .met, "soc-vendor": .met])
    }

    // MARK: Golden findings

    static let fixture = Inventory(
        orgs: [Organisation(id: OrgID("shop"), name: "Shop", kind: .department)],
        systems: [ProtectedSystem(id: SystemID("payments"), name: "Payments", ownerOrgID: OrgID("shop"), criticality: .critical, tags: ["cde"]),
                  ProtectedSystem(id: SystemID("intranet"), name: "Intranet", ownerOrgID: OrgID("shop"), criticality: .low)],
        sources: [
            LogSource(systemID: SystemID("payments"), name: "app", logType: "app.audit", custodianOrgID: OrgID("shop"),
                      retentionTiers: [RetentionTier(medium: .siem, days: 30, isSearchable: true), RetentionTier(medium: .tape, days: 400, isSearchable: false)],
                      fields: ["user", "event_type", "time", "result", "src_ip"], clock: Clock(isNTPSynced: true)),
            LogSource(systemID: SystemID("payments"), name: "ssh", logType: "host.linux-auth", custodianOrgID: OrgID("shop"),
                      retentionTiers: [RetentionTier(medium: .logServer, days: 365, isSearchable: true)], clock: Clock(isNTPSynced: false)),
            LogSource(systemID: SystemID("intranet"), name: "syslog", logType: "host.linux-syslog", custodianOrgID: OrgID("shop"),
                      retentionTiers: [RetentionTier(medium: .deviceLocal, days: 7, isSearchable: false)], clock: Clock(isNTPSynced: true)),
        ])

    static func findings(_ policyID: String) throws -> [String: Finding] {
        let policy = try #require(try PolicyCatalogue.shipped().first { $0.id == policyID })
        let findings = GapAnalysis.findings(for: [policy], in: fixture, now: now)
        return Dictionary(uniqueKeysWithValues: findings.map { ("\($0.requirement.id)@\($0.target.id)", $0) })
    }

    @Test func pciDSS4Golden() throws {
        let findings = try Self.findings("pci-dss-4")
        #expect(findings.count == 6)  // six requirements, one cde system
        // 10.5.1: app audit holds 400 d but only 30 d searchable, and day 31–90 sit on tape (120 h > 1 h).
        #expect(findings["10.5.1-retention@payments"]?.status == .partial)
        #expect(findings["10.5.1-retention@payments"]?.shortfalls == [.searchable(have: 30, need: 90),
                                                                       .retrieval(hours: 120, limit: 1, medium: .tape, windowDays: 90)])
        // 10.2.2: one of six fields is missing.
        #expect(findings["10.2.2-event-fields@payments"]?.shortfalls == [.fieldsMissing(["object"])])
        // 10.2.1.2: ssh (365 d on the log server) meets it; the better of the candidates counts.
        #expect(findings["10.2.1.2-admin-actions@payments"]?.status == .met)
        #expect(findings["10.2.1.1-cardholder-access@payments"]?.status == .met)
        // 10.6: app.audit is synchronised, so the requirement is met by the best source.
        #expect(findings["10.6-time-sync@payments"]?.status == .met)
        let report = GapReport(findings: Array(findings.values), inventory: Self.fixture)
        #expect(report.overall.met == 4 && report.overall.partial == 2 && report.overall.missing == 0)
        // Impact = weight × how far short: tape's 120 h against 1 h (3 × 0.99) outranks 30 of 90 searchable days (3 × 0.67).
        #expect(report.remediation.map(\.action).prefix(2) == ["make the last 90 d of app.audit of payments retrievable within 1 h (now 120 h from tape)",
                                                              "keep 90 d of app.audit of payments searchable instead of 30 d"])
    }

    @Test func htmlReportIsSelfContainedAndEscaped() throws {
        var inventory = Self.fixture
        inventory.systems[0].id = SystemID("payments")
        inventory.orgs[0].name = "<Shop & Co>"
        let policies = try PolicyCatalogue.shipped()
        let report = GapReport(findings: GapAnalysis.findings(for: policies, in: inventory, now: Self.now), inventory: inventory)
        let html = GapReportHTML.render(report)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("<script"))
        #expect(html.contains("<td class=\"notready\"") && html.contains("What to fix first"))
        #expect(html.contains("retrieval from tape 120 h &gt; 1 h for the last 90 d"))
    }

    @Test func cisControl8Golden() throws {
        let findings = try Self.findings("cis-v8-control-8")
        #expect(findings["8.10-retention@intranet"]?.shortfalls == [.retention(have: 7, need: 90, attested: false)])
        #expect(findings["8.10-retention@payments"]?.status == .met)
        #expect(findings["8.2-collect@intranet"]?.status == .met)
        #expect(findings["8.6-dns@shop"]?.status == .missing)
        #expect(findings["8.6-dns@shop"]?.shortfalls == [.logTypesMissing(["network.dns"])])
        #expect(findings["8.8-command-line@payments"]?.status == .missing)
        #expect(findings["8.8-command-line@intranet"] == nil)  // only high and critical systems
    }

    /// A second fixture for the org-wide catalogues: one department with a public web system.
    static let webFixture = Inventory(
        orgs: [Organisation(id: OrgID("dept"), name: "Dept", kind: .department), Organisation(id: OrgID("vend"), name: "Vendor", kind: .vendor)],
        systems: [ProtectedSystem(id: SystemID("web"), name: "Web", ownerOrgID: OrgID("dept"), criticality: .critical, isInternetFacing: true, tags: ["mail", "cloud"])],
        sources: [
            LogSource(systemID: SystemID("web"), name: "access", logType: "web.access", custodianOrgID: OrgID("dept"),
                      retentionTiers: [RetentionTier(medium: .siem, days: 90, isSearchable: true), RetentionTier(medium: .objectArchive, days: 600, isSearchable: false)],
                      fields: ["time", "client_ip", "method", "url", "status"], clock: Clock(isNTPSynced: true)),
            LogSource(systemID: SystemID("web"), name: "proxy", logType: "network.proxy", custodianOrgID: OrgID("dept"),
                      retentionTiers: [RetentionTier(medium: .siem, days: 400, isSearchable: true)],
                      fields: ["time", "client_ip", "user", "url", "method", "status", "bytes"], clock: Clock(isNTPSynced: true)),
            LogSource(systemID: SystemID("web"), name: "fw", logType: "network.firewall", custodianOrgID: OrgID("vend"),
                      retentionTiers: [RetentionTier(medium: .vendorPortal, days: 1000, isSearchable: true, retrievalHours: 48)],
                      fields: ["time", "src_ip", "dst_ip", "dst_port", "action"], clock: Clock(isNTPSynced: false)),
            LogSource(systemID: SystemID("web"), name: "ids", logType: "network.ids", custodianOrgID: OrgID("vend"),
                      retentionTiers: [RetentionTier(medium: .vendorPortal, days: 1000, isSearchable: true)], clock: Clock(isNTPSynced: true)),
        ])

    static func webFindings(_ policyID: String) throws -> [String: Finding] {
        let policy = try #require(try PolicyCatalogue.shipped().first { $0.id == policyID })
        return Dictionary(uniqueKeysWithValues: GapAnalysis.findings(for: [policy], in: webFixture, now: now)
            .map { ("\($0.requirement.id)@\($0.target.id)", $0) })
    }

    @Test func irBaselineGolden() throws {
        let findings = try Self.webFindings("ir-baseline")
        // Web access: 600 d held, 90 searchable, fields complete, clock synchronised.
        #expect(findings["ir-100-exposed-service@web"]?.status == .met)
        // Proxy: user_agent missing.
        #expect(findings["ir-300-proxy@dept"]?.shortfalls == [.fieldsMissing(["user_agent"])])
        // Firewall (held by the vendor, on the department's system): clock not synchronised.
        #expect(findings["ir-200-edge@dept"]?.shortfalls == [.clockNotSynchronised])
        #expect(findings["ir-300-dns@dept"]?.status == .missing)
        #expect(findings["ir-100-credentials@dept"]?.shortfalls == [.logTypesMissing(["identity.directory", "identity.idp"])])
        // Vendors are not asked for department-level logs.
        #expect(findings.keys.filter { $0.hasSuffix("@vend") }.isEmpty)
        let report = GapReport(findings: Array(findings.values), inventory: Self.webFixture)
        #expect(report.readiness.first { $0.system == SystemID("web") && $0.incidentType == .denialOfService }?.readiness == .notReady)  // no flow records
    }

    @Test func acsc2024Golden() throws {
        let findings = try Self.webFindings("acsc-2024")
        // 548 d: web access has 600 (met); proxy 400 falls short by 148 d.
        #expect(findings["priority-2-internet-facing@web"]?.status == .met)
        #expect(findings["priority-12-proxy@dept"]?.shortfalls == [.retention(have: 400, need: 548, attested: false)])
        #expect(findings["priority-5-edge@dept"]?.shortfalls == [.clockNotSynchronised])
        #expect(findings["priority-14-email@web"]?.status == .missing)
    }

    @Test func m2131LegacyGolden() throws {
        let findings = try Self.webFindings("m-21-31")
        #expect(try PolicyCatalogue.shipped().first { $0.id == "m-21-31" }?.status == .legacy)
        // Level 1 needs firewall, IDS and VPN together: two of three, each 1000 d searchable.
        #expect(findings["level-1-network-security@dept"]?.status == .partial)
        #expect(findings["level-1-network-security@dept"]?.shortfalls == [.logTypesMissing(["network.vpn"])])
        // 12 months hot + 18 cold = 913 d; the proxy keeps 400.
        #expect(findings["level-0-proxy@dept"]?.shortfalls == [.retention(have: 400, need: 913, attested: false)])
    }

    @Test func driftIsEvaluatedOnTheAttestedValue() {
        var source = Self.fixture.sources[1]
        source.latestAttestation = Attestation(oldestRecordAt: Self.now.addingTimeInterval(-40 * 86_400), checkedAt: Self.now, checkedBy: "x", method: "query")
        let requirement = Requirement(id: "r", title: "t", clause: "c", appliesTo: TargetSelector(), logTypes: .anyOf(["host.linux-auth"]), minRetentionDays: 180)
        #expect(GapAnalysis.shortfalls(of: source, for: requirement, now: Self.now) == [
            .retention(have: 40, need: 180, attested: true), .attestationDrift(declared: 365, attested: 40)])
    }

    // MARK: Properties (seeded generator)

    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state
        }
    }

    static func randomInventory(seed: UInt64) -> Inventory {
        var random = Generator(state: seed)
        let orgs = (0..<3).map { Organisation(id: OrgID("o\($0)"), name: "O\($0)", kind: [.department, .subsidiary, .vendor][$0]) }
        let systems = (0..<5).map { index in
            ProtectedSystem(id: SystemID("s\(index)"), name: "S", ownerOrgID: orgs[index % 3].id, criticality: Criticality.allCases.randomElement(using: &random)!,
                            isInternetFacing: Bool.random(using: &random), tags: [["cde"], ["cloud"], ["mail"], []].randomElement(using: &random)!)
        }
        let types = Taxonomy.logTypeCodes
        let sources = (0..<25).map { index in
            LogSource(systemID: systems.randomElement(using: &random)!.id, name: "src\(index)", logType: types.randomElement(using: &random)!,
                      custodianOrgID: orgs.randomElement(using: &random)!.id,
                      retentionTiers: (0..<Int.random(in: 1...3, using: &random)).map { _ in
                          RetentionTier(medium: StorageMedium.allCases.randomElement(using: &random)!, days: Int.random(in: 1...800, using: &random),
                                        isSearchable: Bool.random(using: &random), retrievalHours: Bool.random(using: &random) ? Double(Int.random(in: 0...200, using: &random)) : nil)
                      },
                      fields: ["time", "user", "src_ip", "url", "client_ip"].filter { _ in Bool.random(using: &random) },
                      clock: Clock(isNTPSynced: Bool.random(using: &random)))
        }
        return Inventory(orgs: orgs, systems: systems, sources: sources)
    }

    static func statuses(_ inventory: Inventory, _ policies: [Policy]) -> [String: FindingStatus] {
        Dictionary(uniqueKeysWithValues: GapAnalysis.findings(for: policies, in: inventory, now: now)
            .map { ("\($0.policyID)/\($0.requirement.id)@\($0.target.id)", $0.status) })
    }

    @Test("more or longer-kept logs never make a finding worse; fewer never better", arguments: 0..<40)
    func monotonicity(seed: Int) throws {
        let policies = try PolicyCatalogue.shipped()
        let base = Self.randomInventory(seed: UInt64(seed) + 1)
        let before = Self.statuses(base, policies)
        var random = Generator(state: UInt64(seed) * 31 + 7)

        var added = base
        added.sources.append(Self.randomInventory(seed: UInt64(seed) + 1000).sources[0])
        added.sources[added.sources.count - 1].systemID = base.systems.randomElement(using: &random)!.id
        for (key, status) in Self.statuses(added, policies) { #expect(status >= before[key]!, "adding a source worsened \(key)") }

        var lengthened = base
        let index = Int.random(in: 0..<base.sources.count, using: &random)
        lengthened.sources[index].retentionTiers[0].days += Int.random(in: 1...400, using: &random)
        for (key, status) in Self.statuses(lengthened, policies) { #expect(status >= before[key]!, "lengthening a tier worsened \(key)") }

        var removed = base
        removed.sources.remove(at: index)
        for (key, status) in Self.statuses(removed, policies) { #expect(status <= before[key]!, "removing a source improved \(key)") }

        var shuffled = base
        shuffled.sources.shuffle(using: &random)
        shuffled.systems.shuffle(using: &random)
        shuffled.orgs.shuffle(using: &random)
        #expect(GapAnalysis.findings(for: policies.shuffled(using: &random), in: shuffled, now: Self.now)
                == GapAnalysis.findings(for: policies, in: base, now: Self.now))
    }
}

/// Coverage and the table are worked out with plain loops for speed; they must give what the plain definitions give.
@Suite("Coverage and report rendering, against their definitions")
struct CoverageDefinitionTests {
    /// The definition, day by day: data `day` days old is reached through the fastest tier that holds it (the first
    /// of equals); consecutive days reached the same way (same speed and medium) form one window.
    static func definedWindows(_ tiers: [RetentionTier]) -> [RetrievalWindow] {
        var windows: [RetrievalWindow] = []
        for day in stride(from: 1, through: tiers.map(\.days).max() ?? 0, by: 1) {
            let holding = tiers.filter { $0.days >= day }
            let best = holding.first { tier in
                holding.allSatisfy { ($0.effectiveRetrievalHours, $0.medium.rawValue) >= (tier.effectiveRetrievalHours, tier.medium.rawValue) }
            }!
            let reach = (best.effectiveRetrievalHours, best.medium)
            if let previous = windows.popLast() {
                guard (previous.hours, previous.medium) != reach else {
                    windows.append(RetrievalWindow(fromDays: previous.fromDays, toDays: day, hours: previous.hours, medium: previous.medium))
                    continue
                }
                windows.append(previous)
            }
            windows.append(RetrievalWindow(fromDays: day - 1, toDays: day, hours: reach.0, medium: reach.1))
        }
        return windows
    }

    @Test func windowsAndDaysMatchTheirDefinitions() {
        var random = GapAnalysisTests.Generator(state: 42)
        for _ in 0..<1_000 {
            let tiers = (0..<Int.random(in: 0...5, using: &random)).map { _ in
                RetentionTier(medium: StorageMedium.allCases.randomElement(using: &random)!,
                              days: [-3, 0, 1, 30, 30, 90, 365, Int.random(in: -10...400, using: &random)].randomElement(using: &random)!,
                              isSearchable: Bool.random(using: &random),
                              retrievalHours: [nil, 0, 1, 1, 24, 72].randomElement(using: &random)!)
            }
            let source = LogSource(systemID: SystemID("s"), name: "n", logType: "network.dns", custodianOrgID: OrgID("o"), retentionTiers: tiers)
            let coverage = Coverage(of: source, now: Date(timeIntervalSince1970: 0))
            #expect(coverage.retrievalWindows == Self.definedWindows(tiers), "\(tiers)")
            #expect(coverage.coveredDays == (tiers.map(\.days).max() ?? 0), "\(tiers)")
            #expect(coverage.searchableDays == (tiers.filter(\.isSearchable).map(\.days).max() ?? 0), "\(tiers)")
        }
    }

    @Test func tableRowsAreTheMatrixCells() throws {
        var random = GapAnalysisTests.Generator(state: 7)
        for seed in 0..<20 {
            let inventory = GapAnalysisTests.randomInventory(seed: UInt64(seed) &* 7919 &+ random.next() % 1000)
            let report = GapReport(findings: GapAnalysis.findings(for: try PolicyCatalogue.shipped(), in: inventory, now: GapAnalysisTests.now),
                                   inventory: inventory)
            let table = GapReportRenderer.table(report).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let header = try #require(table.firstIndex { $0.hasPrefix("Readiness (") })
            // Row by row through `cell`, padded by Foundation: what the table printed before it walked the cells.
            let expected = report.matrixSystems.map { system in
                "  " + system.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0) + IncidentType.allCases.map { type in
                    switch report.cell(system, type)?.readiness {
                    case .ready: "   R"
                    case .partly: "   p"
                    case .notReady: "   -"
                    case nil: "   ."
                    }
                }.joined()
            }
            #expect(Array(table[(header + 2)..<(header + 2 + expected.count)]) == expected)
            #expect(table[header + 2 + expected.count] == "")
        }
    }

    @Test("padding as Foundation pads", arguments: ["", "web", "exactly-twenty-chars", "a-system-id-longer-than-twenty", "café", "日本語のシステム名前です長い名前"])
    func padding(_ text: String) {
        #expect(GapReportRenderer.pad(text, 20) == text.padding(toLength: 20, withPad: " ", startingAt: 0))
    }
}

@Suite("Remediation wording")
struct RemediationWordingTests {
    @Test("alternatives of log types read as split and joined", arguments: ["network.dns", "a|b", "network.dns|network.proxy|host.edr", "|a", "a|", "a||b", "|", "||", "", "é|ü"])
    func alternatives(_ logType: String) {
        #expect(GapReport.alternatives(logType) == logType.split(separator: "|").joined(separator: " or "))
    }
}
