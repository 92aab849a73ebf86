import Foundation
import LogAtlasCore
import LogAtlasFormats

/// The formats a gap report is written in, for the CLI (`logatlas gaps --format`). JSON is the API's `GapReport`
/// document, encoded through the generated types as the server encodes it, so both say the same.
public enum GapReportFormat: String, CaseIterable, Sendable {
    case table, json, csv, md, html

    /// Renders `report`; `id` (a stored run's) is included in JSON.
    public func render(_ report: GapReport, id: String? = nil) throws -> String {
        switch self {
        case .table: GapReportRenderer.table(report)
        case .json: String(decoding: try Self.encoder.encode(APIMapping.gapReport(report, id: id)), as: UTF8.self) + "\n"
        case .csv: GapReportRenderer.csv(report)
        case .md: GapReportRenderer.markdown(report)
        case .html: GapReportHTML.render(report)
        }
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }

    /// Finding statuses by key from a JSON report written earlier (a baseline for `--fail-on regression`).
    public static func statuses(fromJSON data: Data, file: String) throws -> [String: FindingStatus] {
        guard let baseline = try? JSONDecoder().decode(Components.Schemas.GapReport.self, from: data) else {
            throw FormatError(file: file, problems: [FormatProblem(line: 1, column: 1, path: "",
                                                                   message: "not a JSON gap report written by logatlas gaps --format json")])
        }
        return Dictionary(baseline.findings.compactMap { row in
            FindingStatus(rawValue: row.status.rawValue).map { ("\(row.policy)/\(row.requirement)@\(row.targetKind.rawValue):\(row.target)", $0) }
        }, uniquingKeysWith: { first, _ in first })
    }
}
