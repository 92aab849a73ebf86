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
        case .json: GapReportRenderer.json(report, id: id)
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
        // The cells come system by system in the matrix's order, each system's in the order of the types: one
        // row per run of cells (10,000 dictionary lookups and Foundation paddings took 0.05 s).
        var cells = report.readiness[...]
        while let system = cells.first?.system {
            let run = cells.prefix { $0.system == system }
            cells = cells.dropFirst(run.count)
            var row = "  " + pad(system.rawValue, 20)
            for type in types {
                switch run.first(where: { $0.incidentType == type })?.readiness {
                case .ready: row += "   R"
                case .partly: row += "   p"
                case .notReady: row += "   -"
                case nil: row += "   ."
                }
            }
            lines.append(row)
        }
        lines += ["", "What to fix first:"]
        lines += report.remediation.prefix(20).enumerated().map { "  \($0 + 1). \($1.action)  [impact \($1.impact); \($1.serves.joined(separator: ", "))]" }
        if report.remediation.count > 20 { lines.append("  … \(report.remediation.count - 20) more") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` cut or padded with spaces to `width`, as Foundation's `padding(toLength:withPad:startingAt:)` does.
    static func pad(_ text: String, _ width: Int) -> String {
        let count = text.utf8.count
        guard count == text.utf16.count else { return text.padding(toLength: width, withPad: " ", startingAt: 0) }   // not ASCII
        if count >= width { return String(text.utf8.prefix(width))! }
        return text + String(repeating: " ", count: width - count)
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

    static func json(_ report: GapReport, id: String?) -> String {
        String(decoding: GapReportJSON.render(report, id: id, pretty: true), as: UTF8.self) + "\n"
    }
}
