import Foundation
import LogAtlasCore
import LogAtlasFormats
import Testing

/// #17: Sigma rules read from a folder laid out like SigmaHQ's, judged against an inventory.
@Suite("Sigma rule readiness")
struct SigmaReadinessTests {
    static let inventory = """
        orgs:
          - {id: it, name: IT, kind: department}
          - {id: shop, name: Shop, kind: subsidiary, parent: it}
        systems:
          - {id: corp-net, name: Corporate network, owner_org: it, criticality: high}
          - {id: web, name: Public web, owner_org: shop, criticality: high, internet_facing: true}
        sources:
          - {system: corp-net, name: sysmon, log_type: host.windows-sysmon, custodian_org: it, retention_tiers: [{medium: siem, days: 90}, {medium: tape, days: 400}]}
          - {system: corp-net, name: proxy, log_type: network.proxy, custodian_org: it, retention_tiers: [{medium: siem, days: 30}]}
          - {system: web, name: cloudtrail, log_type: cloud.control-plane, custodian_org: shop,
             retention_tiers: [{medium: object-archive, days: 365, retrieval_hours: 12}], access_procedure: {lead_time_hours: 48}}
        """

    /// A rule file in Sigma's format.
    static func rule(_ id: String, _ title: String, level: String, logsource: String, status: String = "test", tags: [String] = []) -> String {
        """
        title: \(title)
        id: \(id)
        status: \(status)
        logsource:
        \(logsource.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        tags:
        \(tags.map { "    - \($0)" }.joined(separator: "\n"))
        detection:
            selection:
                Image|endswith: '\\\\evil.exe'
            condition: selection
        level: \(level)

        """
    }

    static let files: [String: String] = [
        "rules/windows/process_creation/proc_creation_win_evil.yml": rule("11111111-0000-0000-0000-000000000001", "Evil process", level: "critical",
                                                                          logsource: "product: windows\ncategory: process_creation", tags: ["attack.execution", "attack.t1059.001"]),
        "rules/windows/builtin/security/win_security_logon.yml": rule("11111111-0000-0000-0000-000000000002", "Odd logon", level: "high",
                                                                      logsource: "product: windows\nservice: security"),
        "rules/proxy/proxy_ua.yml": rule("11111111-0000-0000-0000-000000000003", "Odd user agent", level: "medium", logsource: "category: proxy"),
        "rules/cloud/aws/aws_trail_stop.yml": rule("11111111-0000-0000-0000-000000000004", "CloudTrail stopped", level: "high",
                                                   logsource: "product: aws\nservice: cloudtrail", tags: ["attack.t1562.008"]),
        "rules/network/zeek/zeek_dns.yml": rule("11111111-0000-0000-0000-000000000005", "DNS tunnel", level: "critical", logsource: "product: zeek\nservice: dns"),
        "rules/linux/auditd/lnx_auditd.yml": rule("11111111-0000-0000-0000-000000000006", "Auditd oddity", level: "low", logsource: "product: linux\nservice: auditd"),
        "rules/windows/odd/unknown.yml": rule("11111111-0000-0000-0000-000000000007", "Unknown category", level: "high",
                                              logsource: "product: windows\ncategory: quantum_event"),
        "rules/windows/process_creation/proc_creation_old.yml": rule("11111111-0000-0000-0000-000000000008", "Old", level: "low",
                                                                     logsource: "product: windows\ncategory: process_creation", status: "deprecated"),
        "deprecated/windows/old_rule.yml": rule("11111111-0000-0000-0000-000000000009", "Very old", level: "low", logsource: "product: windows\nservice: system"),
        "rules-threat-hunting/correlation.yml": """
            title: Many failed logons
            id: 22222222-0000-0000-0000-000000000001
            correlation:
                type: event_count
                rules: [11111111-0000-0000-0000-000000000002]
                group-by: [TargetUserName]
                timespan: 5m
                condition: {gte: 10}
            level: high

            """,
        "filters/filter_admin.yml": """
            title: Our admin host
            id: 33333333-0000-0000-0000-000000000001
            logsource: {product: windows, category: process_creation}
            filter:
                rules: [11111111-0000-0000-0000-000000000001]
                selection: {ComputerName: admin01}
                condition: not selection

            """,
        "rules/broken/syntax.yml": "title: Broken\nlogsource: {product: windows\ndetection: x\n",
        "rules/broken/no_logsource.yml": "title: No logsource\nid: 44444444-0000-0000-0000-000000000001\ndetection: {condition: x}\n",
        "rules/broken/bad_level.yml": "title: Bad level\nlogsource: {category: proxy}\ndetection: {condition: x}\nlevel: severe\n",
        "rules/readme.txt": "not a rule",
    ]

    static func pack() throws -> SigmaPack {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        return try SigmaRules.read(folder: folder)
    }

    /// `files` (and a Latin-1 one) in a new temporary folder.
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("la-sigma-\(UUID().uuidString)")
        for (path, text) in files {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let latin1 = folder.appendingPathComponent("rules/broken/latin1.yml")
        try Data(Array("title: caf".utf8) + [0xE9, 0x0A]).write(to: latin1)
        return folder
    }

    static func readiness() throws -> DetectionReadiness {
        DetectionReadiness.evaluate(try pack(), in: try InventoryYAML.decode(inventory), now: Date())
    }

    @Test func eachRuleIsJudgedByWhatFeedsIt() throws {
        let report = try Self.readiness()
        let byID = Dictionary(uniqueKeysWithValues: report.rules.map { ($0.id, $0) })
        let evil = try #require(byID["11111111-0000-0000-0000-000000000001"])
        #expect(evil.verdict == .runnable && evil.lookBackDays == 90, "Sysmon in the SIEM for 90 days")
        #expect(evil.logTypes.contains("host.windows-sysmon") && evil.logTypes.contains("host.edr"))
        #expect(evil.techniques == ["T1059.001"] && evil.level == .critical)
        let proxy = try #require(byID["11111111-0000-0000-0000-000000000003"])
        #expect(proxy.verdict == .runnable && proxy.lookBackDays == 30)
        let trail = try #require(byID["11111111-0000-0000-0000-000000000004"])
        #expect(trail.verdict == .slowerMedia && trail.retrievalHours == 48, "archive 12 h, but the procedure takes 48 h")
        let logon = try #require(byID["11111111-0000-0000-0000-000000000002"])
        #expect(logon.verdict == .cannotRun && logon.missingLogTypes == ["host.windows-security", "identity.directory"])
        #expect(byID["11111111-0000-0000-0000-000000000005"]?.missingLogTypes == ["network.dns"])
        #expect(byID["11111111-0000-0000-0000-000000000007"]?.verdict == .unknownLogsource)
        #expect(report.totals == ["runnable": 2, "slower-media": 1, "cannot-run": 3, "unknown-logsource": 1])
    }

    @Test func unlocksAreOrderedByTheMostSevereRulesTheyFree() throws {
        let report = try Self.readiness()
        #expect(report.unlocks.map(\.logType) == ["network.dns", "host.windows-security", "identity.directory", "host.linux-auditd"])
        #expect(report.unlocks.first?.byLevel == ["critical": 1])
    }

    @Test func systemsAndOrganisationsAreTalliedOnTheirOwnSources() throws {
        let report = try Self.readiness()
        let systems = Dictionary(uniqueKeysWithValues: report.systems.map { ($0.id, [$0.runnable, $0.slowerMedia, $0.cannotRun]) })
        #expect(systems == ["corp-net": [2, 0, 4], "web": [0, 1, 5]])
        #expect(report.orgs.map(\.id) == ["it", "shop"] && report.orgs[1].slowerMedia == 1)
    }

    @Test func whatCannotBeReadIsListedWithItsPositionAndTheRestIsRead() throws {
        let report = try Self.readiness()
        let unreadable = Dictionary(grouping: report.unreadable, by: \.file)
        #expect(unreadable.keys.sorted() == ["rules/broken/bad_level.yml", "rules/broken/latin1.yml", "rules/broken/no_logsource.yml", "rules/broken/syntax.yml"])
        let level = try #require(unreadable["rules/broken/bad_level.yml"]?.first)
        #expect(level.line == 4 && level.column == 8 && level.reason.contains("'severe'"), "\(level)")
        #expect(unreadable["rules/broken/latin1.yml"]?.first?.reason.contains("not UTF-8") == true)
        #expect(unreadable["rules/broken/syntax.yml"]?.first?.line ?? 0 >= 2)
        #expect(unreadable["rules/broken/no_logsource.yml"]?.first?.reason.contains("logsource") == true)
        #expect(report.skipped == ["deprecated": 2])
        #expect(report.otherRules.map(\.kind) == [.filter, .correlation])
    }

    @Test func everyFormatCarriesEveryRule() throws {
        let report = try Self.readiness()
        let csv = DetectionReport.csv(report).split(separator: "\n")
        #expect(csv.count == 8 && csv[0].hasPrefix("id,title,level,status,verdict"))
        #expect(csv.contains { $0.contains("slower-media,,48,1,cloud.control-plane") }, "\(csv)")
        let markdown = DetectionReport.markdown(report)
        #expect(markdown.contains("only on slower media, 48 h away") && markdown.contains("cannot run: no source of network.dns"))
        let html = DetectionReport.html(report)
        #expect(html.contains("<tr class=\"runnable\">") && html.contains("rules/broken/bad_level.yml:4:8"))
    }
}
