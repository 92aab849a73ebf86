import Foundation
import LogAtlasCore

/// A self-contained HTML page (no external assets): readiness heat map, scores per organisation and
/// policy, remediation list and every finding.
public enum GapReportHTML {
    public static func render(_ report: GapReport, title: String = "Logging gap report") -> String {
        var html = """
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24}h1{margin-bottom:.2rem}
            table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #d0d7de;padding:.35rem .6rem;text-align:left;font-size:.9rem}
            th{background:#f6f8fa}.ready{background:#2da44e;color:#fff}.partly{background:#d4a72c}.notready{background:#cf222e;color:#fff}
            .na{background:#eaeef2;color:#57606a}.bar{display:inline-block;height:.7rem;background:#2da44e;vertical-align:middle}
            .muted{color:#57606a}ol li{margin:.25rem 0}
            </style></head><body>
            <h1>\(escape(title))</h1><p class="muted">Overall \(percent(report.overall)) — \(report.overall.met) met, \(report.overall.partial) partial, \(report.overall.missing) missing</p>
            <h2>Readiness by system and incident type</h2><table><tr><th>system</th>
            """
        for type in IncidentType.allCases { html += "<th>\(type.rawValue) \(escape(type.title))</th>" }
        html += "</tr>"
        for system in report.matrixSystems {
            html += "<tr><th>\(escape(system.rawValue))</th>"
            for type in IncidentType.allCases {
                let cell = report.cell(system, type)
                let (css, label) = switch cell?.readiness {
                case .ready: ("ready", "ready")
                case .partly: ("partly", "partly")
                case .notReady: ("notready", "not ready")
                case nil: ("na", "–")
                }
                let why = cell?.limiting.map { "\($0.policyID)/\($0.requirement.id): \($0.shortfalls.map(\.description).joined(separator: "; "))" } ?? ""
                html += "<td class=\"\(css)\" title=\"\(escape(why))\">\(label)</td>"
            }
            html += "</tr>"
        }
        html += "</table><h2>Scores</h2><table><tr><th>organisation</th><th>score</th><th>met</th><th>partial</th><th>missing</th></tr>"
        for org in report.byOrg.keys.sorted() { html += row(org.rawValue, report.byOrg[org]!) }
        html += "</table><table><tr><th>policy</th><th>score</th><th>met</th><th>partial</th><th>missing</th></tr>"
        for policy in report.byPolicy.keys.sorted() { html += row(policy, report.byPolicy[policy]!) }
        html += "</table><h2>What to fix first</h2><ol>"
        for item in report.remediation.prefix(50) {
            let evidence = item.observedIn.isEmpty ? "" : " <strong class=\"observed\">\(escape(item.evidence))</strong>"
            html += "<li>\(escape(item.action))\(evidence) <span class=\"muted\">impact \(item.impact) · \(escape(item.serves.joined(separator: ", ")))</span></li>"
        }
        html += "</ol><h2>Findings</h2><table><tr><th>policy</th><th>requirement</th><th>clause</th><th>target</th><th>status</th><th>shortfalls</th></tr>"
        for finding in report.findings {
            let css = finding.status == .met ? "ready" : finding.status == .partial ? "partly" : "notready"
            html += "<tr><td>\(escape(finding.policyID))</td><td>\(escape(finding.requirement.title))</td><td>\(escape(finding.requirement.clause))</td>"
                + "<td>\(escape(finding.target.id))</td><td class=\"\(css)\">\(finding.status.rawValue)</td>"
                + "<td>\(escape((finding.shortfalls.map(\.description) + (finding.observedIn.isEmpty ? [] : ["observed in " + finding.observedIn.joined(separator: ", ")])).joined(separator: "; ")))</td></tr>"
        }
        return html + "</table></body></html>\n"
    }

    static func row(_ name: String, _ score: GapReport.Score) -> String {
        "<tr><td>\(escape(name))</td><td><span class=\"bar\" style=\"width:\(Int(score.percent))px\"></span> \(percent(score))</td>"
            + "<td>\(score.met)</td><td>\(score.partial)</td><td>\(score.missing)</td></tr>"
    }

    static func percent(_ score: GapReport.Score) -> String { "\(score.percent)%" }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
