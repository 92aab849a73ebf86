import Foundation
import LogAtlasCore

/// Renders a gap report as a terminal table, JSON, CSV (one row per finding) or Markdown.
public enum GapReportFormat: String, CaseIterable, Sendable {
    case table, json, csv, md, html

    /// Renders `report`; `id` (a stored run's) is included in JSON.
    public func render(_ report: GapReport, id: String? = nil) throws -> String {
        switch self {
        case .html: GapReportHTML.render(report)
        case .table: GapReportRenderer.table(report)
        case .json: try GapReportRenderer.json(report, id: id)
        case .csv: GapReportRenderer.csv(report)
        case .md: GapReportRenderer.markdown(report)
        }
    }
}

extension GapReportFormat {
    /// Finding statuses by key from a JSON report this tool wrote earlier (a baseline for `--fail-on regression`).
    public static func statuses(fromJSON text: String, file: String) throws -> [String: FindingStatus] {
        struct Baseline: Decodable {
            struct Row: Decodable { let policy: String, requirement: String, target_kind: String, target: String, status: FindingStatus }
            let findings: [Row]
        }
        do {
            let baseline = try JSONDecoder().decode(Baseline.self, from: Data(text.utf8))
            return Dictionary(baseline.findings.map { ("\($0.policy)/\($0.requirement)@\($0.target_kind):\($0.target)", $0.status) },
                              uniquingKeysWith: { first, _ in first })
        } catch {
            throw FormatError(file: file, problems: [FormatProblem(line: 1, column: 1, path: "", message: "not a JSON gap report written by logatlas gaps --format json")])
        }
    }
}

enum GapReportRenderer {
    static func score(_ score: GapReport.Score) -> String {
        "\(score.percent)% (\(score.met) met, \(score.partial) partial, \(score.missing) missing)"
    }

    static func table(_ report: GapReport) -> String {
        var lines = ["Overall: \(score(report.overall))", "", "By policy:"]
        lines += report.byPolicy.keys.sorted().map { "  \($0.padding(toLength: 20, withPad: " ", startingAt: 0)) \(score(report.byPolicy[$0]!))" }
        lines += ["", "By organisation:"]
        lines += report.byOrg.keys.sorted().map { "  \($0.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)) \(score(report.byOrg[$0]!))" }
        lines += ["", "By incident type:"]
        lines += report.byIncidentType.keys.sorted().map { "  \(String($0.rawValue)) \($0.title.padding(toLength: 31, withPad: " ", startingAt: 0)) \(score(report.byIncidentType[$0]!))" }
        lines += ["", "Readiness (systems × incident types: R ready, p partly, - not ready, . no requirement):"]
        let types = IncidentType.allCases
        lines.append("  " + "system".padding(toLength: 20, withPad: " ", startingAt: 0) + types.map { " \($0.rawValue)" }.joined())
        for system in report.matrixSystems {
            let row = types.map { type -> String in
                switch report.cell(system, type)?.readiness {
                case .ready: "   R"
                case .partly: "   p"
                case .notReady: "   -"
                case nil: "   ."
                }
            }
            lines.append("  " + system.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0) + row.joined())
        }
        lines += ["", "What to fix first:"]
        lines += report.remediation.prefix(20).enumerated().map { "  \($0 + 1). \($1.action)  [impact \($1.impact); \($1.serves.joined(separator: ", "))]" }
        if report.remediation.count > 20 { lines.append("  … \(report.remediation.count - 20) more") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func csv(_ report: GapReport) -> String {
        var text = "policy,requirement,clause,target_kind,target,org,status,shortfalls,incident_types,weight\n"
        // A requirement's own cells are the same on each of its (often thousands of) rows: quote them once.
        struct RequirementKey: Hashable { let policy: String, requirement: String }
        var requirementCells: [RequirementKey: (leading: String, trailing: String)] = [:]
        for finding in report.findings {
            let key = RequirementKey(policy: finding.policyID, requirement: finding.requirement.id)
            let cells = requirementCells[key] ?? {
                let requirement = finding.requirement
                let cells = ([finding.policyID, requirement.id, requirement.clause].map(CSVParser.quote).joined(separator: ","),
                             [requirement.incidentTypes.map { String($0.rawValue) }.joined(separator: " "),
                              InventoryYAML.number(requirement.weight)].map(CSVParser.quote).joined(separator: ","))
                requirementCells[key] = cells
                return cells
            }()
            text += cells.leading
            for cell in [finding.target.kind.rawValue, finding.target.id, finding.target.orgID.rawValue, finding.status.rawValue,
                         finding.shortfalls.map(\.description).joined(separator: "; ")] {
                text += ","
                text += CSVParser.quote(cell)
            }
            text += ","
            text += cells.trailing
            text += "\n"
        }
        return text
    }

    static func markdown(_ report: GapReport) -> String {
        var lines = ["# Logging gap report", "", "Overall: **\(score(report.overall))**", "", "| policy | score |", "|---|---|"]
        lines += report.byPolicy.keys.sorted().map { "| \($0) | \(score(report.byPolicy[$0]!)) |" }
        lines += ["", "| organisation | score |", "|---|---|"]
        lines += report.byOrg.keys.sorted().map { "| \($0) | \(score(report.byOrg[$0]!)) |" }
        lines += ["", "## Readiness", "", "| system | " + IncidentType.allCases.map { "\($0.rawValue) \($0.title)" }.joined(separator: " | ") + " |",
                  "|---|" + String(repeating: "---|", count: IncidentType.allCases.count)]
        for system in report.matrixSystems {
            let cells = IncidentType.allCases.map { type in
                report.cell(system, type)?.readiness.rawValue ?? "–"
            }
            lines.append("| \(system) | " + cells.joined(separator: " | ") + " |")
        }
        lines += ["", "## What to fix first", ""]
        lines += report.remediation.enumerated().map { "\($0 + 1). \($1.action) — impact \($1.impact) (\($1.serves.joined(separator: ", ")))" }
        return lines.joined(separator: "\n") + "\n"
    }

    struct JSONReport: Encodable {
        let id: String?
        struct ScoreJSON: Encodable { let percent: Double, met: Int, partial: Int, missing: Int }
        struct FindingJSON: Encodable {
            let policy: String, requirement: String, clause: String, target_kind: String, target: String, org: String
            let status: String, shortfalls: [String], source_ids: [String], incident_types: [Int], weight: Double
        }
        struct CellJSON: Encodable { let system: String, incident_type: Int, readiness: String, limiting: String? }
        struct RemediationJSON: Encodable { let action: String, impact: Double, serves: [String] }
        let overall: ScoreJSON
        let by_policy: [String: ScoreJSON], by_org: [String: ScoreJSON], by_system: [String: ScoreJSON], by_incident_type: [String: ScoreJSON]
        let readiness: [CellJSON]
        let remediation: [RemediationJSON]
        let findings: [FindingJSON]
    }

    static func json(_ report: GapReport, id: String?) throws -> String {
        func s(_ score: GapReport.Score) -> JSONReport.ScoreJSON { .init(percent: score.percent, met: score.met, partial: score.partial, missing: score.missing) }
        let document = JSONReport(
            id: id, overall: s(report.overall),
            by_policy: report.byPolicy.mapValues(s), by_org: Dictionary(uniqueKeysWithValues: report.byOrg.map { ($0.rawValue, s($1)) }),
            by_system: Dictionary(uniqueKeysWithValues: report.bySystem.map { ($0.rawValue, s($1)) }),
            by_incident_type: Dictionary(uniqueKeysWithValues: report.byIncidentType.map { (String($0.rawValue), s($1)) }),
            readiness: report.readiness.map { .init(system: $0.system.rawValue, incident_type: $0.incidentType.rawValue, readiness: $0.readiness.rawValue,
                                                   limiting: $0.limiting.map { "\($0.policyID)/\($0.requirement.id): \($0.shortfalls.map(\.description).joined(separator: "; "))" }) },
            remediation: report.remediation.map { .init(action: $0.action, impact: $0.impact, serves: $0.serves) },
            findings: report.findings.map { finding in
                .init(policy: finding.policyID, requirement: finding.requirement.id, clause: finding.requirement.clause,
                      target_kind: finding.target.kind.rawValue, target: finding.target.id, org: finding.target.orgID.rawValue,
                      status: finding.status.rawValue, shortfalls: finding.shortfalls.map(\.description),
                      source_ids: finding.sourceIDs.map(\.description), incident_types: finding.requirement.incidentTypes.map(\.rawValue),
                      weight: finding.requirement.weight)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }
}
