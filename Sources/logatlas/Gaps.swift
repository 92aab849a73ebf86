import ArgumentParser
import Foundation
import LogAtlasCore
import LogAtlasFormats
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
    @Option(help: "table, json, csv or md.")
    var format: String = "table"
    @Option(help: "Exit with status 1 when any finding is missing, or missing or partial.")
    var failOn: String?

    func validate() throws {
        guard GapReportFormat(rawValue: format) != nil else { throw ValidationError("--format is table, json, csv or md") }
        if let failOn, !["missing", "partial"].contains(failOn) { throw ValidationError("--fail-on is missing or partial") }
    }

    func run() async throws {
        let selected: [Policy]
        do {
            let extra = policyDir.map { URL(fileURLWithPath: $0) }
            selected = policies.isEmpty ? try PolicyCatalogue.shipped().filter { $0.status == .current }
                : try PolicyCatalogue.resolve(policies, extraFolder: extra)
        } catch let error as FormatError {
            throw CommandFailure(description: error.description)
        }
        let inventory = try await loadInventory()
        var findings = GapAnalysis.findings(for: selected, in: inventory, now: Date())
        if let org { findings.removeAll { $0.target.orgID != OrgID(org) } }
        let report = GapReport(findings: findings, inventory: inventory)
        print(try GapReportFormat(rawValue: format)!.render(report), terminator: "")
        let threshold: FindingStatus? = failOn.map { $0 == "missing" ? .missing : .partial }
        if let threshold, findings.contains(where: { $0.status <= threshold }) { throw ExitCode(1) }
    }

    func loadInventory() async throws -> Inventory {
        if let inventory {
            do {
                return try InventoryYAML.decode(try String(contentsOfFile: inventory, encoding: .utf8), file: inventory)
            } catch let error as FormatError {
                throw CommandFailure(description: error.description)
            }
        }
        return try await DatabaseSession.with(database.location, logger: makeLogger("logatlas")) { database in
            try await PostgresInventoryRepository(database: database).export(as: .system(named: "cli:gaps"))
        }
    }
}
