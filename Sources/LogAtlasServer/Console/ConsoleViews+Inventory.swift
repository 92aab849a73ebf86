import Foundation
import LogAtlasCore

// The inventory pages: sources with filters, and one source's tiers against the requirement lines.

struct SourceRowView: Hashable {
    let id: String
    let name: String
    let system: String
    let logType: String
    let custodian: String
    let covered: Int
    let searchable: Int
}

struct InventoryView {
    let layout: LayoutView
    let orgs: [OrgRow]
    let filterSystem: String
    let filterLogType: String
    let filterOrg: String
    let filterText: String
    let media: [Choice]
    let sources: [SourceRowView]
    let hasSources: Bool
    let total: Int
}

struct TierBar: Hashable {
    let medium: String
    let y: Int
    let textY: Int
    let width: Int
    let searchable: Bool
    let label: String
}

struct RequirementLine: Hashable {
    let x: Int
    let label: String
    let kind: String
}

struct SourceEditForm: Hashable {
    let version: Int
    let product: String
    let format: String
    let notes: String
    let leadTimeHours: String
    /// The fields, comma-separated.
    var fields = ""
    var timezone = ""
    var ntp = false
    /// One row per tier and an empty one to add a tier.
    var tiers: [TierRow] = []
    /// The tiers in words, to tell whether they changed.
    var tiersText = ""
}

struct TierRow: Hashable {
    /// The row's key in the form (`tiers[t0][days]`, …).
    let key: String
    let media: [Choice]
    let days: String
    let searchable: Bool
    let hours: String
}

struct SourcePageView {
    let layout: LayoutView
    let id: String
    let name: String
    let system: String
    let logType: String
    let custodian: String
    let chartWidth: Int
    let chartHeight: Int
    let tiers: [TierBar]
    let lines: [RequirementLine]
    let lineLabels: [String]
    let hasLines: Bool
    let attestation: String
    let declaredLead: String
    let measuredLead: String
    /// The latest probe heartbeat in a line ("—" when the source is not probed), and how long it has been silent.
    let probe: String
    let silent: String?
    let canEdit: Bool
    let form: SourceEditForm
    /// After a stale edit: the fields someone else changed meanwhile (their value now), and the note to read them.
    let changed: [String]
    let hasChanged: Bool
    let error: String?
}

extension ConsoleViews {
    static func inventory(layout: LayoutView, orgs: [Organisation], filter: SourceFilter, sources: Page<LogSource>, now: Date) -> InventoryView {
        let t = layout.t
        let rows = sources.items.map { source in
            let coverage = Coverage(of: source, now: now)
            return SourceRowView(id: source.id.description, name: source.name, system: source.systemID.rawValue, logType: source.logType,
                                 custodian: source.custodianOrgID.rawValue, covered: coverage.coveredDays, searchable: coverage.searchableDays)
        }
        return InventoryView(layout: layout, orgs: orgs.map { OrgRow(id: $0.id.rawValue, name: $0.name) },
                             filterSystem: filter.system?.rawValue ?? "", filterLogType: filter.logType ?? "", filterOrg: filter.org?.rawValue ?? "",
                             filterText: filter.text ?? "",
                             media: [Choice(value: "", label: t["any"]!, selected: filter.medium == nil)]
                                 + StorageMedium.allCases.map { Choice(value: $0.rawValue, label: $0.rawValue, selected: filter.medium == $0) },
                             sources: rows, hasSources: !rows.isEmpty, total: sources.total)
    }

    static let tierLeft = 160, tierScale = 560, tierHeight = 28

    /// A source's retention tiers as bars from today back (days kept; searchable ones marked and labelled), against
    /// the requirement lines of the policies that judge it (days to keep, days searchable).
    static func sourcePage(_ source: LogSource, requirements: [Requirement], heartbeat: Heartbeat? = nil, policyOf: [String: String], layout: LayoutView,
                           now: Date, canEdit: Bool, form: SourceEditForm? = nil, changed: [String] = [], error: String? = nil) -> SourcePageView {
        let t = layout.t
        let keep = requirements.compactMap { requirement in requirement.minRetentionDays.map { (requirement, $0, "keep") } }
        let search = requirements.compactMap { requirement in requirement.minSearchableDays.map { (requirement, $0, "search") } }
        let longest = max(source.retentionTiers.map(\.days).max() ?? 1, (keep + search).map(\.1).max() ?? 1, 1)
        let x = { (days: Int) in tierLeft + Int((Double(days) / Double(longest) * Double(tierScale)).rounded()) }
        let tiers = source.retentionTiers.enumerated().map { index, tier in
            TierBar(medium: "\(tier.medium.rawValue) \(tier.days) \(t["days_short"]!)", y: 10 + index * tierHeight, textY: 10 + index * tierHeight + 17, width: max(x(tier.days) - tierLeft, 1), searchable: tier.isSearchable,
                    label: "\(tier.medium.rawValue): \(tier.days) \(t["days_short"]!)\(tier.isSearchable ? " · " + t["availability_searchable"]! : ""), "
                        + "\(t["lead_time"]!) \(String(format: "%.0f", tier.effectiveRetrievalHours)) \(t["hours_short"]!)")
        }
        let lines = (keep + search).map { requirement, days, kind in
            RequirementLine(x: x(days), label: "\(policyOf[requirement.id] ?? "")/\(requirement.id): \(t[kind == "keep" ? "req_keep" : "req_search"]!) \(days) \(t["days_short"]!)",
                            kind: kind)
        }
        let coverage = Coverage(of: source, now: now)
        let attestation = source.latestAttestation.map { "\($0.attestedDays) \(t["days_short"]!) · \(TimeView($0.checkedAt).text) · \($0.checkedBy)" }
            ?? t["never_attested"]!
        return SourcePageView(
            layout: layout, id: source.id.description, name: source.name, system: source.systemID.rawValue, logType: source.logType,
            custodian: source.custodianOrgID.rawValue, chartWidth: tierLeft + tierScale + 20,
            chartHeight: 20 + max(source.retentionTiers.count, 1) * tierHeight, tiers: tiers, lines: lines, lineLabels: lines.map(\.label),
            hasLines: !lines.isEmpty, attestation: "\(attestation) (\(coverage.attestationStatus.rawValue))",
            declaredLead: source.accessProcedure?.leadTimeHours.map { hours($0, t: t) } ?? "—",
            measuredLead: source.measuredLeadTime.map { "\(hours($0.medianHours, t: t)) / \(hours($0.p90Hours, t: t)) (n = \($0.samples))" } ?? "—",
            probe: heartbeat.map { beat in
                [TimeView(beat.receivedAt).text, beat.report.host, "\(beat.report.records) \(t["records"]!)",
                 beat.report.newestRecordAt.map { "\(t["newest_record"]!) \(TimeView($0).text)" }, beat.volumeGBPerDay.map { "\($0) GB/\(t["days_short"]!)" }]
                    .compactMap { $0 }.joined(separator: " · ")
            } ?? "—",
            silent: heartbeat?.silence(now: now).map { "\(t["silent_for"]!) \(hours($0, t: t)) (\(t["expected_every"]!) \(hours(heartbeat!.report.expectedIntervalHours, t: t)))" },
            canEdit: canEdit, form: form ?? editForm(source), changed: changed, hasChanged: !changed.isEmpty, error: error)
    }

    static func editForm(_ source: LogSource) -> SourceEditForm {
        let rows = (source.retentionTiers.map(Optional.some) + [nil]).enumerated().map { index, tier in
            TierRow(key: "t\(index)", media: StorageMedium.allCases.map { Choice(value: $0.rawValue, label: $0.rawValue, selected: $0 == (tier?.medium ?? .siem)) },
                    days: tier.map { String($0.days) } ?? "", searchable: tier?.isSearchable ?? false,
                    hours: tier?.retrievalHours.map { String(format: "%g", $0) } ?? "")
        }
        return SourceEditForm(version: source.version, product: source.product ?? "", format: source.format ?? "", notes: source.notes ?? "",
                              leadTimeHours: source.accessProcedure?.leadTimeHours.map { String(format: "%g", $0) } ?? "",
                              fields: source.fields.joined(separator: ", "), timezone: source.clock.timezone ?? "",
                              ntp: source.clock.isNTPSynced, tiers: rows, tiersText: tiersText(source.retentionTiers))
    }

    /// Tiers in words, one way only: what the form compares and what a stale edit shows.
    static func tiersText(_ tiers: [RetentionTier]) -> String {
        tiers.map { tier in
            "\(tier.medium.rawValue) \(tier.days) d" + (tier.isSearchable ? " searchable" : "") + (tier.retrievalHours.map { " \(String(format: "%g", $0)) h" } ?? "")
        }.joined(separator: "; ")
    }

    /// The fields of `base` (what the editor started from) that differ in `current` (what is stored now), named.
    static func changedFields(from base: SourceEditForm, to current: SourceEditForm, t: [String: String]) -> [String] {
        let yesNo = { (value: Bool) in value ? t["yes"]! : t["no"]! }
        return [(t["product_name"]!, base.product, current.product), (t["format"]!, base.format, current.format), (t["notes"]!, base.notes, current.notes),
                (t["lead_time"]!, base.leadTimeHours, current.leadTimeHours), (t["tiers_label"]!, base.tiersText, current.tiersText),
                (t["fields_label"]!, base.fields, current.fields), (t["clock_timezone"]!, base.timezone, current.timezone),
                (t["clock_ntp"]!, yesNo(base.ntp), yesNo(current.ntp))]
            .filter { $0.1 != $0.2 }.map { "\($0.0): \($0.2.isEmpty ? "—" : $0.2)" }
    }
}
