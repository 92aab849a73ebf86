import ArgumentParser
import Foundation
import LogAtlasCore
import LogAtlasFormats
import LogAtlasStore

/// `logatlas apply`: bring the inventory to what a YAML (or CSV of sources) file declares, in one transaction.
struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply an inventory file (YAML: orgs, systems, sources; CSV: sources only).")

    @OptionGroup var database: DatabaseOptions
    @Option(name: .shortAndLong, help: "The file to apply (.yaml/.yml or .csv).")
    var file: String
    @Flag(help: "Show what would change, change nothing.")
    var dryRun = false
    @Flag(help: "Delete what the file does not declare.")
    var prune = false
    @Option(help: "Name recorded in the audit trail (env: LOGATLAS_ACTOR).")
    var actor: String = Environment.value("LOGATLAS_ACTOR") ?? "cli:\(Environment.value("USER") ?? "operator")"

    func run() async throws {
        let data = try Gaps.contents(of: file)
        let isCSV = file.lowercased().hasSuffix(".csv")
        let desired: Inventory
        do {
            let text = try FormatError.text(of: data, file: file)
            desired = isCSV ? Inventory(sources: try SourcesCSV.decode(text, file: file)) : try InventoryYAML.decode(text, file: file)
        } catch let error as FormatError {
            throw CommandFailure(description: error.description)
        }
        let (prune, dryRun, actor) = (prune, dryRun, actor)
        let diff = try await DatabaseSession.with(database.location, connections: database.dbConnections, logger: makeLogger("logatlas")) { database in
            try await PostgresInventoryRepository(database: database)
                .apply(desired, scope: isCSV ? .sourcesOnly : .everything, prune: prune, dryRun: dryRun, as: .system(named: actor))
        }
        print(DiffReport.text(diff, dryRun: dryRun))
    }
}

/// `logatlas export`: everything in the inventory as YAML or CSV.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export the inventory as YAML (orgs, systems, sources) or CSV (sources).")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "yaml or csv.")
    var format: String = "yaml"

    func validate() throws {
        guard ["yaml", "csv"].contains(format) else { throw ValidationError("--format is yaml or csv") }
    }

    func run() async throws {
        let inventory = try await DatabaseSession.with(database.location, connections: database.dbConnections, logger: makeLogger("logatlas")) { database in
            try await PostgresInventoryRepository(database: database).export(as: .system(named: "cli:export"))
        }
        print(format == "csv" ? SourcesCSV.encode(inventory.sources) : InventoryYAML.encode(inventory), terminator: "")
    }
}

/// Human-readable rendering of an apply diff.
enum DiffReport {
    static func text(_ diff: InventoryDiff, dryRun: Bool) -> String {
        var lines = [dryRun ? "dry run: nothing was changed" : (diff.isEmpty ? "no changes" : "applied")]
        lines.append(summary("orgs", diff.orgs))
        lines.append(summary("systems", diff.systems))
        lines.append(summary("sources", diff.sources))
        if !diff.actionCards.isEmpty || !diff.actionCards.unchanged.isEmpty { lines.append(summary("cards", diff.actionCards)) }
        lines += details("org", diff.orgs) + details("system", diff.systems) + details("source", diff.sources)
            + details("action card for", diff.actionCards)
        return lines.joined(separator: "\n")
    }

    static func summary<Key>(_ name: String, _ changes: InventoryDiff.Changes<Key>) -> String {
        "\(name.padding(toLength: 8, withPad: " ", startingAt: 0)) \(changes.created.count) created, \(changes.updated.count) updated, "
            + "\(changes.unchanged.count) unchanged, \(changes.deleted.count) deleted"
    }

    static func details<Key>(_ kind: String, _ changes: InventoryDiff.Changes<Key>) -> [String] {
        let limit = 50
        let all = changes.created.map { "+ \(kind) \($0)" } + changes.updated.map { "~ \(kind) \($0)" } + changes.deleted.map { "- \(kind) \($0)" }
        return Array(all.prefix(limit)) + (all.count > limit ? ["  … and \(all.count - limit) more \(kind) changes"] : [])
    }
}
