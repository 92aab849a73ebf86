import Foundation
import LogAtlasCore

// The readiness heat map and the friction chart, drawn as SVG by the templates from these positions.

struct HeatCell: Hashable {
    let x: Int
    let y: Int
    let textX: Int
    let textY: Int
    let readiness: String
    let label: String
    let counts: String
    let href: String
    let title: String
}

struct HeatRow: Hashable {
    let y: Int
    let system: String
}

struct HeatColumn: Hashable {
    let x: Int
    let code: Int
    let title: String
    /// The title in lines that fit the column.
    let lines: [HeatLine]
}

struct HeatLine: Hashable {
    let y: Int
    let text: String
}

struct FindingRow: Hashable {
    let requirement: String
    let target: String
    let status: String
    let shortfalls: [String]
}

struct RemediationRow: Hashable {
    let action: String
    let impact: String
    /// The incidents that showed it, comma-separated; empty when none did.
    let observedIn: String
    let hasObserved: Bool
}

struct ReadinessView {
    let layout: LayoutView
    let policies: [Choice]
    /// The incident severity the matrix is judged at (the action card's third axis), "" for every one.
    let severities: [Choice]
    let filterOrg: String
    let width: Int
    let height: Int
    let columns: [HeatColumn]
    let rows: [HeatRow]
    let cells: [HeatCell]
    let hasCells: Bool
    /// The cell clicked, with its findings.
    let cellTitle: String?
    let findings: [FindingRow]
    let remediation: [RemediationRow]
    let hasRemediation: Bool
    /// The chosen policy ("" for all), for the form that records a run.
    let policy: String
    let trend: [TrendChart]
    let hasTrend: Bool
}

extension ConsoleViews {
    static let cellWidth = 120, cellHeight = 36, labelWidth = 220, headerHeight = 56

    /// `?name=value&…` of the pairs with a value, each percent-encoded ("" when none has one).
    static func query(_ pairs: [(String, String?)]) -> String {
        let allowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+#?"))
        let items = pairs.compactMap { name, value in value.map { "\(name)=\($0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" } }
        return items.isEmpty ? "" : "?" + items.joined(separator: "&")
    }

    /// Words in lines of at most `width` characters (a longer word is a line of its own).
    static func wrap(_ text: String, width: Int) -> [String] {
        text.split(separator: " ").reduce(into: [String]()) { lines, word in
            if let last = lines.last, last.count + 1 + word.count <= width { lines[lines.count - 1] = last + " " + word } else { lines.append(String(word)) }
        }
    }

    /// The readiness heat map: systems × incident types, each cell coloured by readiness and labelled with it and its
    /// counts (colour is never the only signal), linking to its findings.
    static func readiness(_ report: GapReport, layout: LayoutView, policies: [String], selected: String?, org: String?,
                          severity: Priority? = nil, cell: (system: SystemID, type: IncidentType)?, detail: GapReport?,
                          trend: [TrendPoint] = []) -> ReadinessView {
        let t = layout.t, systems = report.matrixSystems
        let query = { (system: SystemID, type: IncidentType) -> String in
            // Relative to the page (`?…`): one of a thousand rows' links, kept short.
            Self.query([("system", system.rawValue), ("incident", String(type.rawValue)), ("policy", selected), ("org", org),
                        ("severity", severity?.rawValue)])
        }
        let columns = IncidentType.allCases.enumerated().map { index, type in
            HeatColumn(x: labelWidth + index * cellWidth, code: type.rawValue, title: t["incident_\(type.rawValue)"]!,
                       lines: wrap(t["incident_\(type.rawValue)"]!, width: 19).prefix(2).enumerated().map { HeatLine(y: 36 + $0.offset * 13, text: $0.element) })
        }
        let rows = systems.enumerated().map { HeatRow(y: headerHeight + $0.offset * cellHeight, system: $0.element.rawValue) }
        var cells: [HeatCell] = []
        for (row, system) in systems.enumerated() {
            for (column, type) in IncidentType.allCases.enumerated() {
                guard let found = report.cell(system, type) else { continue }
                let key = found.readiness == .notReady ? "not_ready" : found.readiness.rawValue
                let (x, y) = (labelWidth + column * cellWidth, headerHeight + row * cellHeight)
                let counts = "\(found.met)/\(found.partial)/\(found.missing)"
                cells.append(HeatCell(x: x, y: y, textX: x + cellWidth / 2, textY: y + cellHeight / 2 + 5, readiness: key, label: t["readiness_\(key)"]!,
                                      counts: counts, href: query(system, type),
                                      title: "\(system.rawValue) × \(type.rawValue): \(t["readiness_\(key)"]!), \(t["counts_legend"]!) \(counts)"))
            }
        }
        var findings: [FindingRow] = []
        if let cell, let detail {
            findings = detail.findings.filter { $0.requirement.incidentTypes.contains(cell.type) && $0.status != .met }
                .sorted { ($0.status, -$0.requirement.weight) < ($1.status, -$1.requirement.weight) }
                .map { FindingRow(requirement: "\($0.policyID)/\($0.requirement.id) — \($0.requirement.title)", target: $0.target.id,
                                  status: t["finding_\($0.status.rawValue)"] ?? $0.status.rawValue, shortfalls: $0.shortfalls.map(\.description)) }
        }
        let remediation = (detail ?? report).remediation.prefix(10).map { RemediationRow(action: $0.action, impact: String(format: "%.1f", $0.impact), observedIn: $0.observedIn.joined(separator: ", "),
                                                                                             hasObserved: !$0.observedIn.isEmpty) }
        return ReadinessView(
            layout: layout,
            policies: [Choice(value: "", label: t["all_policies"]!, selected: selected == nil)]
                + policies.map { Choice(value: $0, label: $0, selected: $0 == selected) },
            severities: [Choice(value: "", label: t["every_severity"]!, selected: severity == nil)]
                + Priority.allCases.reversed().map { Choice(value: $0.rawValue, label: t["priority_" + $0.rawValue]!, selected: $0 == severity) },
            filterOrg: org ?? "", width: labelWidth + IncidentType.allCases.count * cellWidth, height: headerHeight + max(systems.count, 1) * cellHeight,
            columns: columns, rows: rows, cells: cells, hasCells: !cells.isEmpty,
            cellTitle: cell.map { "\($0.system.rawValue) × \($0.type.rawValue) \(t["incident_\($0.type.rawValue)"]!)" },
            findings: findings, remediation: Array(remediation), hasRemediation: !remediation.isEmpty,
            policy: selected ?? "", trend: Self.trend(trend, t: t), hasTrend: !trend.isEmpty)
    }
}

// MARK: Friction

struct FrictionOrgRow: Hashable {
    let org: String
    let items: Int
    let open: Int
    let acknowledge: String
    let deliver: String
    let breachRate: String
}

struct FrictionBar: Hashable {
    let y: Int
    let textY: Int
    let name: String
    let medianWidth: Int
    let p90X: Int
    let declaredX: Int?
    let label: String
}

struct FrictionView {
    let layout: LayoutView
    let orgs: [FrictionOrgRow]
    let hasOrgs: Bool
    let bars: [FrictionBar]
    let hasBars: Bool
    let chartHeight: Int
    let chartWidth: Int
}

extension ConsoleViews {
    static let barLeft = 220, barWidth = 520, barHeight = 30

    static func hours(_ value: Double, t: [String: String]) -> String { String(format: "%.1f", value) + " " + t["hours_short"]! }

    static func distribution(_ value: Distribution?, t: [String: String]) -> String {
        value.map { "\(hours($0.medianHours, t: t)) / \(hours($0.p90Hours, t: t)) (n = \($0.count))" } ?? "—"
    }

    /// Per organisation: items, open items, median/p90 to acknowledge and deliver, breach rate; per source a bar of the
    /// measured median to delivery with the p90 and the declared lead time marked, all on one scale (each also written).
    static func friction(_ report: FrictionReport, layout: LayoutView) -> FrictionView {
        let t = layout.t
        let orgs = report.orgs.map { row in
            FrictionOrgRow(org: row.orgID.rawValue, items: row.items, open: row.open, acknowledge: distribution(row.acknowledge, t: t),
                           deliver: distribution(row.deliver, t: t),
                           breachRate: row.breachRate.map { String(format: "%.0f %%", $0 * 100) + " (\(row.breached)/\(row.judged))" } ?? "—")
        }
        let measured = report.sources.filter { $0.measured != nil }
        let scale = max(measured.map { max($0.measured!.p90Hours, $0.declaredLeadHours ?? 0) }.max() ?? 1, 1)
        let x = { (hours: Double) in Int((hours / scale * Double(barWidth)).rounded()) }
        let bars = measured.enumerated().map { index, source in
            let distribution = source.measured!
            let declared = source.declaredLeadHours.map { hours($0, t: t) } ?? "—"
            return FrictionBar(y: 10 + index * barHeight, textY: 10 + index * barHeight + 18, name: source.name,
                               medianWidth: max(x(distribution.medianHours), 1), p90X: barLeft + x(distribution.p90Hours),
                               declaredX: source.declaredLeadHours.map { barLeft + x($0) },
                               label: "\(source.name) (\(source.custodianOrgID.rawValue)): \(t["measured_median_p90"]!) \(hours(distribution.medianHours, t: t)) / \(hours(distribution.p90Hours, t: t)), \(t["declared"]!) \(declared)")
        }
        return FrictionView(layout: layout, orgs: orgs, hasOrgs: !orgs.isEmpty, bars: bars, hasBars: !bars.isEmpty,
                            chartHeight: 20 + bars.count * barHeight, chartWidth: barLeft + barWidth + 20)
    }
}
