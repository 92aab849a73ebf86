import ArgumentParser
import Foundation
import LogAtlasCore
import LogAtlasFormats

/// `logatlas bench …`: helpers for `Benchmarks/run.sh` (the timing itself is done there, on a release build).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark helpers.", subcommands: [Generate.self, Parse.self])

    /// `logatlas bench generate --sources N --out FILE`
    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a synthetic inventory (1 org per 100 sources, 1 system per 10).")
        @Option(help: "Number of sources.") var sources: Int = 100_000
        @Option(help: "Output file (.yaml or .csv).") var out: String

        func run() async throws {
            let inventory = SyntheticInventory.make(sources: sources)
            let text = out.hasSuffix(".csv") ? SourcesCSV.encode(inventory.sources) : InventoryYAML.encode(inventory)
            try text.write(toFile: out, atomically: true, encoding: .utf8)
            print("wrote \(inventory.orgs.count) orgs, \(inventory.systems.count) systems, \(inventory.sources.count) sources to \(out)")
        }
    }

    /// `logatlas bench parse -f FILE`: decode and validate only, to separate parsing from the database work.
    struct Parse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Time decoding and validating an inventory file.")
        @Option(name: .shortAndLong, help: "The inventory file.") var file: String

        func run() async throws {
            let start = ContinuousClock.now
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let inventory = try InventoryYAML.decode(text, file: file)
            let elapsed = ContinuousClock.now - start
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            print("parsed \(inventory.sources.count) sources in \(elapsed), peak RSS \(usage.ru_maxrss / 1024) MB")
        }
    }
}
