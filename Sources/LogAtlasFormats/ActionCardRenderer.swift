import Foundation
import LogAtlasCore

/// A system's action card as a printable page — Markdown or self-contained HTML, in English or Japanese: one table
/// per incident type, a row per severity with who acts, how to reach them, what to do first and which logs to ask for.
public enum ActionCardRenderer {
    public enum Language: String, Sendable, CaseIterable { case en, ja }

    static let words: [String: (en: String, ja: String)] = [
        "title": ("Action card", "アクションカード"),
        "owner": ("Owner", "所有組織"),
        "criticality": ("criticality", "重要度"),
        "internet": ("internet-facing", "インターネット公開"),
        "severity": ("Severity", "深刻度"),
        "responsible": ("Responsible", "担当者"),
        "contact": ("Contact", "連絡先"),
        "first_actions": ("First actions", "初動"),
        "logs": ("Logs needed", "必要なログ"),
        "nobody": ("nobody named", "未設定"),
        "default": ("organisation default", "組織の既定"),
        "generated": ("Printed", "出力日時"),
    ]

    static let incidentTitles: [IncidentType: String] = [
        .unauthorisedAccess: "不正アクセス", .denialOfService: "DoS/DDoS 攻撃", .malware: "マルウェア",
        .policyViolatingCommunication: "ポリシー違反の通信", .reconnaissance: "偵察・スキャン", .other: "その他",
    ]
    static let severityTitles: [Priority: String] = [.informational: "情報", .medium: "中", .serious: "重大", .critical: "緊急"]

    static func word(_ key: String, _ language: Language) -> String { language == .en ? words[key]!.en : words[key]!.ja }
    static func title(_ type: IncidentType, _ language: Language) -> String { language == .en ? type.title : incidentTitles[type]! }
    static func title(_ severity: Priority, _ language: Language) -> String { language == .en ? severity.rawValue : severityTitles[severity]! }

    /// One row per severity of `type`: severity, responsible (marked when it is the organisation's default), contact,
    /// first actions, logs.
    static func rows(_ card: ResolvedActionCard, _ type: IncidentType, _ language: Language) -> [[String]] {
        Priority.allCases.reversed().map { severity in
            guard let cell = card.cell(type, severity) else { return [title(severity, language), "— \(word("nobody", language)) —", "", "", ""] }
            return [title(severity, language), cell.entry.responsible + (cell.fromDefaults ? " (\(word("default", language)))" : ""),
                    cell.entry.contact, cell.entry.firstActions.joined(separator: "; "), cell.entry.logTypes.joined(separator: ", ")]
        }
    }

    static func header(_ card: ResolvedActionCard, _ language: Language) -> String {
        let system = card.system
        return "\(word("owner", language)): \(system.ownerOrgID) · \(word("criticality", language)): \(system.criticality.rawValue)"
            + (system.isInternetFacing ? " · \(word("internet", language))" : "")
    }

    public static func markdown(_ card: ResolvedActionCard, language: Language = .en, now: Date) -> String {
        var lines = ["# \(word("title", language)): \(card.system.name) (\(card.system.id))", "", header(card, language),
                     "\(word("generated", language)): \(Timestamp.format(now))"]
        let columns = ["severity", "responsible", "contact", "first_actions", "logs"].map { word($0, language) }
        for type in IncidentType.allCases {
            lines += ["", "## \(type.rawValue) \(title(type, language))", "", "| " + columns.joined(separator: " | ") + " |",
                      "|" + String(repeating: "---|", count: columns.count)]
            lines += rows(card, type, language).map { "| " + $0.map(cell).joined(separator: " | ") + " |" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Markdown table cell: pipes escaped, lines joined.
    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    public static func html(_ card: ResolvedActionCard, language: Language = .en, now: Date) -> String {
        let escape = GapReportHTML.escape
        var html = """
            <!doctype html><html lang="\(language.rawValue)"><head><meta charset="utf-8">
            <title>\(escape("\(word("title", language)): \(card.system.name)"))</title>
            <style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#111}table{border-collapse:collapse;width:100%;margin-bottom:1rem;page-break-inside:avoid}
            th,td{border:1px solid #888;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#eee}.none{color:#a00}
            h2{font-size:1.1rem;margin:1rem 0 .3rem}@media print{body{margin:0}}</style></head><body>
            <h1>\(escape("\(word("title", language)): \(card.system.name) (\(card.system.id))"))</h1>
            <p>\(escape(header(card, language))) · \(word("generated", language)): \(Timestamp.format(now))</p>
            """
        let columns = ["severity", "responsible", "contact", "first_actions", "logs"].map { word($0, language) }
        for type in IncidentType.allCases {
            html += "<h2>\(type.rawValue) \(escape(title(type, language)))</h2><table><tr>" + columns.map { "<th scope=\"col\">\(escape($0))</th>" }.joined() + "</tr>"
            for row in rows(card, type, language) {
                let none = row[2].isEmpty && row[1].hasPrefix("—")
                html += "<tr><th scope=\"row\">\(escape(row[0]))</th>" + row.dropFirst().map { "<td\(none ? " class=\"none\"" : "")>\(escape($0))</td>" }.joined()
                    + "</tr>"
            }
            html += "</table>"
        }
        return html + "</body></html>\n"
    }
}
