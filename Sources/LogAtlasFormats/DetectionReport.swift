import Foundation
import LogAtlasCore

/// Sigma rule readiness written as CSV (one row per rule), Markdown or a self-contained HTML page. (JSON is the
/// API's `DetectionReadiness` document, written by LogAtlasServer.)
public enum DetectionReport {
    static let columns = ["id", "title", "level", "status", "verdict", "look_back_days", "retrieval_hours", "sources", "log_types",
                          "missing_log_types", "product", "category", "service", "techniques", "file", "line"]

    public static func csv(_ report: DetectionReadiness) -> String {
        var text = columns.joined(separator: ",") + "\n"
        for rule in report.rules {
            let cells = [rule.id, rule.title, rule.level?.rawValue ?? "", rule.status ?? "", rule.verdict.rawValue,
                         rule.lookBackDays.map(String.init) ?? "", rule.retrievalHours.map(InventoryYAML.number) ?? "", String(rule.sources),
                         rule.logTypes.joined(separator: " "), rule.missingLogTypes.joined(separator: " "), rule.logsource?.product ?? "",
                         rule.logsource?.category ?? "", rule.logsource?.service ?? "", rule.techniques.joined(separator: " "),
                         rule.file, String(rule.line)]
            text += cells.map(CSVParser.quote).joined(separator: ",") + "\n"
        }
        return text
    }

    /// One line of what a rule can do: "runs now over 90 days", "only on slower media, 48 h away", ….
    static func verdict(_ rule: DetectionReadiness.RuleResult) -> String {
        switch rule.verdict {
        case .runnable: "runs now, \(rule.lookBackDays ?? 0) days back"
        case .slowerMedia: "only on slower media, \(rule.retrievalHours.map(InventoryYAML.number) ?? "?") h away"
        case .cannotRun: rule.missingLogTypes.isEmpty ? "cannot run: its sources keep no history"
            : "cannot run: no source of \(rule.missingLogTypes.joined(separator: " or "))"
        case .unknownLogsource: "unknown logsource"
        }
    }

    /// `product: windows, category: process_creation`.
    public static func logsourceText(_ source: SigmaLogsource?) -> String {
        guard let source else { return "" }
        return [source.product.map { "product: \($0)" }, source.category.map { "category: \($0)" }, source.service.map { "service: \($0)" }]
            .compactMap { $0 }.joined(separator: ", ")
    }

    public static func markdown(_ report: DetectionReadiness) -> String {
        let totals = DetectionReadiness.Verdict.allCases.map { "\($0.rawValue) \(report.totals[$0.rawValue] ?? 0)" }
        var lines = ["# Sigma rule readiness", "", "\(report.rules.count) detection rules: " + totals.joined(separator: ", ") + ".",
                     "\(report.otherRules.count) correlation or filter rules, \(report.unreadable.count) unreadable, "
                        + "\(report.skipped.values.reduce(0, +)) set aside"
                        + (report.skipped.isEmpty ? "." : " (" + report.skipped.keys.sorted().map { "\($0) \(report.skipped[$0]!)" }.joined(separator: ", ") + ")."),
                     "", "## Log types that would unlock the most rules", "", "| log type | rules | critical | high | medium | low | informational |",
                     "|---|---|---|---|---|---|---|"]
        lines += report.unlocks.map { unlock in
            "| \(unlock.logType) (\(unlock.title)) | \(unlock.rules) | "
                + SigmaRule.Level.allCases.reversed().map { String(unlock.byLevel[$0.rawValue] ?? 0) }.joined(separator: " | ") + " |"
        }
        lines += ["", "## Per organisation", "", "| organisation | runnable | slower media | cannot run |", "|---|---|---|---|"]
        lines += report.orgs.map { "| \($0.id) | \($0.runnable) | \($0.slowerMedia) | \($0.cannotRun) |" }
        lines += ["", "## Rules", "", "| rule | level | logsource | verdict |", "|---|---|---|---|"]
        lines += report.rules.map { "| \(cell($0.title)) (`\($0.id)`) | \($0.level?.rawValue ?? "–") | \(logsourceText($0.logsource)) | \(verdict($0)) |" }
        if !report.unreadable.isEmpty {
            lines += ["", "## Unreadable", ""] + report.unreadable.map { "- \($0.file):\($0.line):\($0.column): \(cell($0.reason))" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }

    public static func html(_ report: DetectionReadiness) -> String {
        let escape = GapReportHTML.escape
        var html = """
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sigma rule readiness</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24}table{border-collapse:collapse;margin:1rem 0}
            th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;font-size:.9rem}th{background:#f6f8fa}
            .runnable{background:#dafbe1}.slower-media{background:#fff8c5}.cannot-run{background:#ffebe9}.unknown-logsource{background:#eaeef2}
            </style></head><body><h1>Sigma rule readiness</h1><p>
            """
        html += DetectionReadiness.Verdict.allCases.map { "\(escape($0.rawValue)): \(report.totals[$0.rawValue] ?? 0)" }.joined(separator: " · ")
        html += "</p><h2>Log types that would unlock the most rules</h2><table><tr><th>log type</th><th>rules</th>"
        html += SigmaRule.Level.allCases.reversed().map { "<th>\($0.rawValue)</th>" }.joined() + "</tr>"
        for unlock in report.unlocks {
            html += "<tr><td>\(escape(unlock.logType)) — \(escape(unlock.title))</td><td>\(unlock.rules)</td>"
            html += SigmaRule.Level.allCases.reversed().map { "<td>\(unlock.byLevel[$0.rawValue] ?? 0)</td>" }.joined() + "</tr>"
        }
        html += "</table><h2>Per organisation</h2><table><tr><th>organisation</th><th>runnable</th><th>slower media</th><th>cannot run</th></tr>"
        for org in report.orgs { html += "<tr><td>\(escape(org.id))</td><td>\(org.runnable)</td><td>\(org.slowerMedia)</td><td>\(org.cannotRun)</td></tr>" }
        html += "</table><h2>Rules</h2><table><tr><th>rule</th><th>level</th><th>logsource</th><th>verdict</th></tr>"
        for rule in report.rules {
            html += "<tr class=\"\(rule.verdict.rawValue)\"><td>\(escape(rule.title))<br><small>\(escape(rule.id))</small></td>"
            html += "<td>\(rule.level?.rawValue ?? "–")</td><td>\(escape(logsourceText(rule.logsource)))</td><td>\(escape(verdict(rule)))</td></tr>"
        }
        html += "</table>"
        if !report.unreadable.isEmpty {
            html += "<h2>Unreadable</h2><ul>" + report.unreadable.map { "<li>\(escape("\($0.file):\($0.line):\($0.column): \($0.reason)"))</li>" }.joined() + "</ul>"
        }
        return html + "</body></html>\n"
    }
}
