import ArgumentParser
import Foundation
import LogAtlasCore
import LogAtlasFormats
import LogAtlasServer
import LogAtlasStore

/// `logatlas detections`: which Sigma rules the inventory can run, how far back, and what would unlock the rest.
struct Detections: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sigma rule readiness: which rules the inventory can run now, how far back, and which log types would unlock the rest.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Folder of Sigma rules (a SigmaHQ checkout or your own pack), or one .tar.gz of them; deprecated/ and unsupported/ folders are set aside.")
    var sigma: String
    @Option(help: "Inventory YAML file to judge instead of the database (no database is started).")
    var inventory: String?
    @Option(help: "json, csv, md or html.")
    var format: String = "md"

    func validate() throws {
        guard DetectionReportFormat(rawValue: format) != nil else { throw ValidationError("--format is json, csv, md or html") }
    }

    func run() async throws {
        do {
            // The pack and the inventory are read at the same time (two cores; each is a YAML parse).
            async let pack = Self.readPack(sigma)
            let judged: Inventory
            if let inventory {
                judged = try InventoryYAML.decode(try Gaps.contents(of: inventory), file: inventory)
            } else {
                judged = try await DatabaseSession.with(database.location, connections: database.dbConnections, logger: makeLogger("logatlas")) { database in
                    try await PostgresInventoryRepository(database: database).export(as: Principal.system(named: "cli:detections"))
                }
            }
            let report = DetectionReadiness.evaluate(try await pack, in: judged, now: Date())
            print(try DetectionReportFormat(rawValue: format)!.render(report), terminator: "")
        } catch let error as FormatError {
            throw CommandFailure(description: error.description)
        }
    }

    /// The rules below `folder` or in the `.tar.gz`/`.tgz` it names; none at all is an error (most likely the wrong
    /// folder).
    static func readPack(_ folder: String) async throws -> SigmaPack {
        let url = URL(fileURLWithPath: folder)
        let pack: SigmaPack
        if folder.hasSuffix(".tar.gz") || folder.hasSuffix(".tgz") {
            do {
                pack = try SigmaRules.read(archive: try Data(contentsOf: url), file: folder)
            } catch let error as ArchiveTooLarge {
                throw CommandFailure(description: "\(folder): \(error)")
            }
        } else {
            pack = try SigmaRules.read(folder: url)
        }
        guard !pack.rules.isEmpty || !pack.unreadable.isEmpty else {
            throw CommandFailure(description: "\(folder): no Sigma rule files (.yml, .yaml) outside deprecated/ and unsupported/ folders")
        }
        return pack
    }
}
