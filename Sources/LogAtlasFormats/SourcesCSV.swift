import Foundation
import LogAtlasCore

/// The spreadsheet most inventories start as: one row per source. Tiers are written `medium:days[:hours]`,
/// separated by `;` (e.g. `siem:90:1;nas:365;tape:2555:120`); a tier is searchable when its medium is
/// (siem, log-server) unless suffixed `:searchable` or `:offline`. List cells separate items with `;`.
public enum SourcesCSV {
    public static let columns = ["system", "name", "log_type", "custodian_org", "product", "format", "retention",
                                 "fields", "ntp_synced", "timezone", "volume_gb_per_day", "access_contact", "approvals",
                                 "lead_time_hours", "delivery", "notes"]

    /// Parses the rows into sources; every problem is reported with its line and column.
    public static func decode(_ text: String, file: String = "sources.csv") throws -> [LogSource] {
        let records = CSVParser.records(in: text)
        guard let header = records.first else { throw FormatError(file: file, problems: [FormatProblem(line: 1, column: 1, path: "", message: "empty file")]) }
        var problems: [FormatProblem] = []
        let names = header.cells.map { $0.value.trimmingCharacters(in: .whitespaces).lowercased() }
        for (index, name) in names.enumerated() where !columns.contains(name) {
            problems.append(FormatProblem(line: header.line, column: header.cells[index].column, path: name,
                                          message: Validation.unknownMessage("column", name, columns)))
        }
        for required in ["system", "name", "log_type", "custodian_org"] where !names.contains(required) {
            problems.append(FormatProblem(line: header.line, column: 1, path: required, message: "missing required column '\(required)'"))
        }
        guard problems.isEmpty else { throw FormatError(file: file, problems: problems) }
        var sources: [LogSource] = []
        for record in records.dropFirst() where !record.isBlank {
            var row = RowReader(names: names, record: record)
            if let source = row.source() { sources.append(source) }
            problems += row.problems
        }
        guard problems.isEmpty else { throw FormatError(file: file, problems: problems) }
        return sources
    }

    /// One row per source, in the column order of `columns`.
    public static func encode(_ sources: [LogSource]) -> String {
        var lines = [columns.joined(separator: ",")]
        for source in sources {
            let tiers = source.retentionTiers.map { tier -> String in
                var text = "\(tier.medium.rawValue):\(tier.days)"
                if let hours = tier.retrievalHours { text += ":\(InventoryYAML.number(hours))" }
                if tier.isSearchable != tier.medium.isSearchableByDefault { text += tier.isSearchable ? ":searchable" : ":offline" }
                return text
            }.joined(separator: ";")
            let access = source.accessProcedure
            let cells = [source.systemID.rawValue, source.name, source.logType, source.custodianOrgID.rawValue, source.product ?? "",
                         source.format ?? "", tiers, source.fields.joined(separator: ";"), String(source.clock.isNTPSynced),
                         source.clock.timezone ?? "", source.volumeGBPerDay.map(InventoryYAML.number) ?? "", access?.contact ?? "",
                         access?.approvals.joined(separator: ";") ?? "", access?.leadTimeHours.map(InventoryYAML.number) ?? "",
                         access?.delivery?.rawValue ?? "", source.notes ?? ""]
            lines.append(cells.map(CSVParser.quote).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Reads one CSV record as a source.
struct RowReader {
    let names: [String]
    let record: CSVRecord
    var problems: [FormatProblem] = []

    init(names: [String], record: CSVRecord) {
        self.names = names
        self.record = record
    }

    func cell(_ column: String) -> (value: String, column: Int)? {
        guard let index = names.firstIndex(of: column), index < record.cells.count else { return nil }
        let cell = record.cells[index]
        let value = cell.value.trimmingCharacters(in: .whitespaces)
        return value.isEmpty ? nil : (value, cell.column)
    }

    mutating func problem(_ column: String, _ message: String) {
        let position = names.firstIndex(of: column).flatMap { $0 < record.cells.count ? record.cells[$0].column : nil } ?? 1
        problems.append(FormatProblem(line: record.line, column: position, path: column, message: message))
    }

    mutating func source() -> LogSource? {
        guard let system = cell("system")?.value, let name = cell("name")?.value, let logType = cell("log_type")?.value,
              let custodian = cell("custodian_org")?.value else {
            for column in ["system", "name", "log_type", "custodian_org"] where cell(column) == nil { problem(column, "required") }
            return nil
        }
        var access: AccessProcedure?
        if cell("access_contact") != nil || cell("approvals") != nil || cell("lead_time_hours") != nil || cell("delivery") != nil {
            var delivery: DeliveryMethod?
            if let raw = cell("delivery")?.value {
                delivery = DeliveryMethod(rawValue: raw)
                if delivery == nil { problem("delivery", Validation.unknownMessage("delivery", raw, DeliveryMethod.allCases.map(\.rawValue))) }
            }
            access = AccessProcedure(contact: cell("access_contact")?.value, approvals: list("approvals"),
                                     leadTimeHours: number("lead_time_hours"), delivery: delivery)
        }
        var ntp = false
        if let raw = cell("ntp_synced")?.value {
            switch raw.lowercased() {
            case "true", "yes", "1": ntp = true
            case "false", "no", "0": ntp = false
            default: problem("ntp_synced", "expected true or false, got '\(raw)'")
            }
        }
        let source = LogSource(systemID: SystemID(system), name: name, logType: logType, product: cell("product")?.value,
                               format: cell("format")?.value, custodianOrgID: OrgID(custodian), retentionTiers: tiers(),
                               accessProcedure: access, fields: list("fields"),
                               clock: Clock(isNTPSynced: ntp, timezone: cell("timezone")?.value),
                               volumeGBPerDay: number("volume_gb_per_day"), notes: cell("notes")?.value)
        for issue in Validation.issues(in: source) {
            let column = issue.path.split(separator: "[").first.map(String.init) ?? issue.path
            problem(names.contains(column) ? column : "retention", issue.message)
        }
        return source
    }

    func list(_ column: String) -> [String] {
        (cell(column)?.value ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    mutating func number(_ column: String) -> Double? {
        guard let raw = cell(column)?.value else { return nil }
        guard let value = Double(raw) else { problem(column, "expected a number, got '\(raw)'"); return nil }
        return value
    }

    mutating func tiers() -> [RetentionTier] {
        list("retention").compactMap { text in
            let parts = text.split(separator: ":").map(String.init)
            guard parts.count >= 2, let days = Int(parts[1]) else {
                problem("retention", "tier '\(text)' is not medium:days[:hours]")
                return nil
            }
            guard case .success(let medium) = Validation.medium(parts[0], path: "retention") else {
                problem("retention", Validation.unknownMessage("storage medium", parts[0], StorageMedium.allCases.map(\.rawValue)))
                return nil
            }
            var hours: Double?, searchable = medium.isSearchableByDefault
            for extra in parts.dropFirst(2) {
                if extra == "searchable" { searchable = true } else if extra == "offline" { searchable = false } else if let value = Double(extra) { hours = value } else {
                    problem("retention", "tier '\(text)': '\(extra)' is neither hours nor searchable/offline")
                }
            }
            return RetentionTier(medium: medium, days: days, isSearchable: searchable, retrievalHours: hours)
        }
    }
}
