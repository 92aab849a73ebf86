import Foundation
import LogAtlasCore

// The readiness trend: one small line chart per policy, from the stored gap-analysis runs.

struct TrendDot: Hashable {
    let x: Int
    let y: Int
    let title: String
}

struct TrendChart: Hashable {
    let policy: String
    /// The line's points as SVG `points`.
    let line: String
    let dots: [TrendDot]
    /// What the chart shows, in words (the chart's accessible name and the text beside it).
    let summary: String
    let first: TimeView
    let last: TimeView
}

extension ConsoleViews {
    static let trendWidth = 360, trendHeight = 120, trendLeft = 44, trendTop = 10, trendPlotHeight = 90

    /// A chart per policy, its points placed by time between the first and the last run and by the policy's weighted
    /// score (0–100 %), each point titled with its date, score and counts; the summary says the same in words.
    static func trend(_ points: [TrendPoint], t: [String: String]) -> [TrendChart] {
        let plotWidth = Double(trendWidth - trendLeft - 12)
        return Dictionary(grouping: points, by: \.policyID).sorted { $0.key < $1.key }.map { policy, runs in
            let runs = runs.sorted { $0.createdAt < $1.createdAt }
            let (start, end) = (runs.first!.createdAt, runs.last!.createdAt)
            let span = end.timeIntervalSince(start)
            let dots = runs.map { run in
                let x = span > 0 ? Double(trendLeft) + run.createdAt.timeIntervalSince(start) / span * plotWidth : Double(trendLeft) + plotWidth / 2
                let y = Double(trendTop) + (1 - run.score.percent / 100) * Double(trendPlotHeight)
                return TrendDot(x: Int(x.rounded()), y: Int(y.rounded()),
                                title: "\(TimeView(run.createdAt).text): \(percent(run.score.percent)) — \(t["counts_legend"]!) \(run.score.met)/\(run.score.partial)/\(run.score.missing)")
            }
            let latest = runs.last!.score
            let change = runs.count > 1 ? latest.percent - runs.first!.score.percent : nil
            let changeText = change.map { " · " + t["trend_change"]! + " " + (String(format: "%+.1f", $0)) + " " + t["points"]! } ?? ""
            let summary = "\(policy): \(t["trend_latest"]!) \(percent(latest.percent)) (\(t["counts_legend"]!) \(latest.met)/\(latest.partial)/\(latest.missing)), "
                + "\(t["trend_runs"]!) \(runs.count)\(changeText)"
            return TrendChart(policy: policy, line: dots.map { "\($0.x),\($0.y)" }.joined(separator: " "), dots: dots, summary: summary,
                              first: TimeView(start), last: TimeView(end))
        }
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f %%", value) }
}
