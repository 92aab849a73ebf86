import ArgumentParser
import Foundation
import LogAtlasCore
import LogAtlasFormats

extension Bench {
    /// `logatlas-bench sigma-pack --rules N --out DIR`: a rule pack laid out like SigmaHQ's — every logsource the
    /// taxonomy maps, plus unknown ones, levels from informational to critical, 5% in a `deprecated/` folder.
    struct SigmaPack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sigma-pack", abstract: "Write a synthetic Sigma rule pack.")
        @Option(help: "Number of rules.") var rules: Int = 3_000
        @Option(help: "Output folder.") var out: String

        func run() async throws {
            var logsources = Taxonomy.logTypes.flatMap(\.sigma)
            logsources += ["quantum_event", "plc_write", "badge_reader"].map { SigmaLogsource(product: "windows", category: $0) }
            let levels = SigmaRule.Level.allCases
            let root = URL(fileURLWithPath: out)
            for index in 0..<rules {
                let source = logsources[index % logsources.count]
                let folder = index % 20 == 19 ? "deprecated" : "rules/\(source.product ?? "generic")/\(source.category ?? source.service ?? "any")"
                let fields = [source.product.map { "    product: \($0)" }, source.category.map { "    category: \($0)" },
                              source.service.map { "    service: \($0)" }].compactMap { $0 }.joined(separator: "\n")
                let text = """
                    title: Synthetic rule \(index)
                    id: \(UUID().uuidString.lowercased())
                    status: test
                    description: Generated for the readiness benchmark.
                    logsource:
                    \(fields)
                    detection:
                        selection:
                            CommandLine|contains:
                                - 'synthetic-\(index)'
                                - 'marker'
                        condition: selection
                    tags:
                        - attack.execution
                        - attack.t\(1000 + index % 600)
                    falsepositives:
                        - Unknown
                    level: \(levels[index % levels.count].rawValue)

                    """
                let url = root.appendingPathComponent("\(folder)/rule_\(index).yml")
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try text.write(to: url, atomically: false, encoding: .utf8)
            }
            print("wrote \(rules) rules over \(logsources.count) logsources to \(out)")
        }
    }

    /// `logatlas-bench detections --sigma DIR -f FILE`: reading the pack, parsing the inventory and judging, timed apart.
    struct Detections: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Time Sigma rule readiness, phase by phase.")
        @Option(help: "The rule folder.") var sigma: String
        @Option(name: .shortAndLong, help: "The inventory file.") var file: String

        func run() async throws {
            let clock = ContinuousClock()
            var start = clock.now
            let pack = try SigmaRules.read(folder: URL(fileURLWithPath: sigma))
            let read = clock.now - start
            start = clock.now
            let inventory = try InventoryYAML.decode(try Data(contentsOf: URL(fileURLWithPath: file)), file: file)
            let parse = clock.now - start
            start = clock.now
            let report = DetectionReadiness.evaluate(pack, in: inventory, now: Date())
            let evaluation = clock.now - start
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            print("\(pack.rules.count) rules (\(pack.skipped.values.reduce(0, +)) set aside) against \(inventory.sources.count) sources: "
                  + "reading the pack \(read), parsing the inventory \(parse), judging \(evaluation) "
                  + "(\(report.totals["runnable"] ?? 0) runnable), peak RSS \(usage.ru_maxrss / 1024) MB")
        }
    }
}
