import LogAtlasCore
import LogAtlasFormats

/// The Sigma rule readiness page: the upload form, then what the uploaded rules can do on the reader's inventory.
struct SigmaView {
    struct Count { let verdict: String, label: String, count: Int }
    struct Unlock { let logType: String, title: String, rules: Int, critical: Int, high: Int }
    struct Tally { let id: String, runnable: Int, slowerMedia: Int, cannotRun: Int }
    struct Rule {
        let title: String, id: String, level: String, logsource: String, verdict: String
        let lookBack: Int?, hours: String?, missing: String?, noHistory: Bool, unknown: Bool
    }
    struct Unreadable { let place: String, reason: String }

    let layout: LayoutView
    let problem: String?
    let hasReport: Bool
    let counts: [Count]
    let unlocks: [Unlock]
    let orgs: [Tally]
    let rules: [Rule]
    let unreadable: [Unreadable]
    /// Files set aside (deprecated or unsupported); nil when none.
    let setAside: Int?
    let hasUnlocks: Bool
    let hasUnreadable: Bool
}

extension ConsoleViews {
    static func sigma(_ report: DetectionReadiness?, layout: LayoutView, problem: String?) -> SigmaView {
        let t = layout.t
        let labels: [DetectionReadiness.Verdict: String] = [.runnable: t["sigma_runnable"]!, .slowerMedia: t["sigma_slower"]!,
                                                            .cannotRun: t["sigma_cannot"]!, .unknownLogsource: t["sigma_unknown"]!]
        let verdicts = DetectionReadiness.Verdict.allCases
        let unreadable = (report?.unreadable ?? []).map { SigmaView.Unreadable(place: "\($0.file):\($0.line):\($0.column)", reason: $0.reason) }
        return SigmaView(
            layout: layout, problem: problem, hasReport: report != nil,
            counts: report.map { report in verdicts.map { .init(verdict: $0.rawValue, label: labels[$0]!, count: report.totals[$0.rawValue] ?? 0) } } ?? [],
            unlocks: (report?.unlocks ?? []).prefix(10).map {
                .init(logType: $0.logType, title: $0.title, rules: $0.rules, critical: $0.byLevel["critical"] ?? 0, high: $0.byLevel["high"] ?? 0)
            },
            orgs: (report?.orgs ?? []).map { .init(id: $0.id, runnable: $0.runnable, slowerMedia: $0.slowerMedia, cannotRun: $0.cannotRun) },
            rules: (report?.rules ?? []).map { rule in
                .init(title: rule.title, id: rule.id, level: rule.level?.rawValue ?? "–", logsource: DetectionReport.logsourceText(rule.logsource),
                      verdict: rule.verdict.rawValue, lookBack: rule.lookBackDays,
                      hours: rule.retrievalHours.map { $0 == $0.rounded() ? String(Int($0)) : String($0) },
                      missing: rule.missingLogTypes.isEmpty ? nil : rule.missingLogTypes.joined(separator: ", "),
                      noHistory: rule.verdict == .cannotRun && rule.missingLogTypes.isEmpty, unknown: rule.verdict == .unknownLogsource)
            },
            unreadable: unreadable, setAside: report.map { $0.skipped.values.reduce(0, +) }.flatMap { $0 > 0 ? $0 : nil },
            hasUnlocks: !(report?.unlocks.isEmpty ?? true), hasUnreadable: !unreadable.isEmpty)
    }
}
