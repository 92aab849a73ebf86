import ArgumentParser
import Foundation
import LogAtlasCore
import LogAtlasFormats
import LogAtlasServer
import LogAtlasStore

/// `logatlas gaps`: evaluate policies against the inventory — a YAML file (no database needed) or the database.
struct Gaps: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Gap analysis: which requirements the inventory meets, per org, system and incident type, and what to fix first.")

    @OptionGroup var database: DatabaseOptions
    @Option(name: .customLong("policy"), help: "Policy ID (shipped or in --policy-dir) or policy file; repeatable. Default: every current shipped policy.")
    var policies: [String] = []
    @Option(help: "Folder with more policy files (env: LOGATLAS_POLICY_DIR).")
    var policyDir: String? = Environment.value("LOGATLAS_POLICY_DIR")
    @Option(help: "Inventory YAML file to evaluate instead of the database (no database is started).")
    var inventory: String?
    @Option(help: "Only findings of this organisation.")
    var org: String?
    @Option(help: "table, json, csv, md or html.")
    var format: String = "table"
    @Option(help: "Exit with status 1 when a finding is missing (missing), missing or partial (partial), or worse than in the previous stored run (regression).")
    var failOn: String?
    @Option(help: "With --inventory: a JSON report from an earlier run (logatlas gaps --format json) to compare with.")
    var baseline: String?
    @Flag(help: "After the report, print what improved and what regressed since the previous stored run with the same policies and filter.")
    var diff = false

    func validate() throws {
        guard GapReportFormat(rawValue: format) != nil else { throw ValidationError("--format is table, json, csv, md or html") }
        if let failOn, !["missing", "partial", "regression"].contains(failOn) { throw ValidationError("--fail-on is missing, partial or regression") }
        if inventory != nil, baseline == nil, diff || failOn == "regression" {
            throw ValidationError("with --inventory, --diff and --fail-on regression need --baseline REPORT.json (without --inventory they compare stored runs)")
        }
    }

    /// The chosen policies; `uploaded` are those admins stored in the database (database mode only).
    func selectedPolicies(uploaded: [Policy] = []) throws -> [Policy] {
        do {
            let extra = policyDir.map { URL(fileURLWithPath: $0) }
            return policies.isEmpty ? try PolicyCatalogue.shipped().filter { $0.status == .current }
                : try PolicyCatalogue.resolve(policies, extraFolder: extra, also: uploaded)
        } catch let error as FormatError {
            throw CommandFailure(description: error.description)
        }
    }

    func run() async throws {
        let report: GapReport, changes: GapDiff?
        if let inventory {
            (report, changes) = try offlineReport(inventory)
            print(try GapReportFormat(rawValue: format)!.render(report), terminator: "")
            if let changes, diff { FileHandle.standardError.write(Data((Self.describe(changes) + "\n").utf8)) }
        } else {
            let id: UUID
            (report, id, changes) = try await storedReport()
            print(try GapReportFormat(rawValue: format)!.render(report, id: id.uuidString.lowercased()), terminator: "")
            // The comparison goes to standard error so that json, csv and html output stays parseable.
            if diff {
                let text = changes.map { "\nstored as \(id.uuidString.lowercased()); " + Self.describe($0) }
                    ?? "\nstored as \(id.uuidString.lowercased()); no earlier run with these policies to compare with"
                FileHandle.standardError.write(Data((text + "\n").utf8))
            }
        }
        switch failOn {
        case "missing" where report.findings.contains { $0.status == .missing }: throw ExitCode(1)
        case "partial" where report.findings.contains { $0.status != .met }: throw ExitCode(1)
        case "regression" where !(changes?.regressed.isEmpty ?? true): throw ExitCode(1)
        default: break
        }
    }

    /// The report of an inventory file (no database), compared with `--baseline` when given.
    func offlineReport(_ path: String) throws -> (GapReport, GapDiff?) {
        do {
            let selected = try selectedPolicies()
            let parsed = try InventoryYAML.decode(try Self.contents(of: path), file: path)
            let report = GapAnalysis.report(for: selected, in: parsed, org: org.map { OrgID($0) }, now: Date())
            let changes = try baseline.map { baseline in
                GapDiff(from: try GapReportFormat.statuses(fromJSON: try Self.contents(of: baseline), file: baseline),
                        to: GapDiff.statuses(report.findings))
            }
            return (report, changes)
        } catch let error as FormatError {
            throw CommandFailure(description: error.description)
        }
    }

    /// A report of the database's inventory, stored so that the next run can say what changed.
    func storedReport() async throws -> (GapReport, UUID, GapDiff?) {
        try await DatabaseSession.with(database.location, connections: database.dbConnections, logger: makeLogger("logatlas")) { database in
            let caller = Principal.system(named: "cli:gaps")
            let uploaded = try await PostgresPolicyRepository(database: database).uploaded(as: caller)
                .compactMap { try? PolicyYAML.decode($0.yaml, file: "\($0.id).yaml") }
            let selected = try selectedPolicies(uploaded: uploaded)
            let inventory = try await PostgresInventoryRepository(database: database).export(as: caller)
            let agreements = try await PostgresAgreementRepository(database: database).agreements(custodian: nil, csirt: nil, as: caller)
            let observedGaps = PostgresObservedGapRepository(database: database)
            let observed = try await observedGaps.gaps(matching: ObservedGapFilter(open: true), as: caller)
            let heartbeats = try await PostgresHeartbeatRepository(database: database).latest(as: caller)
            let cards = try await PostgresActionCardRepository(database: database).cards(as: caller)
            let report = GapAnalysis.report(for: selected, in: inventory, org: org.map { OrgID($0) }, now: Date(), agreements: agreements,
                                            observed: observed, heartbeats: heartbeats, actionCards: cards,
                                            lastDrilled: try await PostgresDrillRepository(database: database).lastPassed(as: caller))
            let reports = PostgresGapReportRepository(database: database)
            let stored = try await reports.save(report.findings, policies: selected.map(\.id).sorted(), orgFilter: org, systemFilter: nil, as: caller)
            _ = try await observedGaps.closeMet(report.findings.filter { $0.status == .met }.compactMap(\.observedGapID), by: stored.id,
                                                as: caller, now: Date())
            let previous = try await reports.previous(to: stored, as: caller)
            return (report, stored.id, previous.map { GapDiff(from: $0.findings, to: stored.findings) })
        }
    }

    /// A file's bytes, or a one-line failure.
    static func contents(of path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CommandFailure(description: "cannot read \(path): \(error.localizedDescription)")
        }
    }

    static func describe(_ diff: GapDiff) -> String {
        var lines = ["since the previous run: \(diff.improved.count) improved, \(diff.regressed.count) regressed, \(diff.added.count) new, \(diff.removed.count) gone"]
        lines += diff.regressed.map { "  worse  \($0.key): \($0.before!.rawValue) → \($0.after!.rawValue)" }
        lines += diff.improved.map { "  better \($0.key): \($0.before!.rawValue) → \($0.after!.rawValue)" }
        return lines.joined(separator: "\n")
    }

}
