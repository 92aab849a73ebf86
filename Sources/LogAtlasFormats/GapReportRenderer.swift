import Foundation
import LogAtlasCore

/// A gap report as a terminal table, CSV (one row per finding) or Markdown; HTML is `GapReportHTML`, and JSON is
/// the API's `GapReport` document, written by the server's generated types.
public enum GapReportRenderer {
    static func score(_ score: GapReport.Score) -> String {
        "\(score.percent)% (\(score.met) met, \(score.partial) partial, \(score.missing) missing)"
    }

    public static func table(_ report: GapReport) -> String {
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
        lines += report.remediation.prefix(20).enumerated().map {
            "  \($0 + 1). \($1.action)  [impact \($1.impact); \($1.serves.joined(separator: ", "))\($1.observedIn.isEmpty ? "" : "; " + $1.evidence)]"
        }
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

    public static func csv(_ report: GapReport) -> String {
        var text = "policy,requirement,clause,target_kind,target,org,status,shortfalls,incident_types,weight,observed_in\n"
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
            text += ","
            if !finding.observedIn.isEmpty { text += CSVParser.quote(finding.observedIn.joined(separator: " ")) }
            text += "\n"
        }
        return text
    }

    public static func markdown(_ report: GapReport) -> String {
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
        lines += report.remediation.enumerated().map {
            "\($0 + 1). \($1.action) — impact \($1.impact) (\($1.serves.joined(separator: ", ")))\($1.observedIn.isEmpty ? "" : " — **\($1.evidence)**")"
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
