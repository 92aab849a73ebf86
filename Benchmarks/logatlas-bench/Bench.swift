import ArgumentParser
import Foundation
import LogAtlasCore
import LogAtlasFormats
import LogAtlasStore
import Logging
import PostgresNIO
import SyntheticInventory

/// `logatlas-bench …`: helpers for `Benchmarks/run.sh` (the timing itself is done there, on a release build).
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logatlas-bench", abstract: "Benchmark helpers.",
                                                    subcommands: [Generate.self, Parse.self, Gaps.self, Reads.self, Hash.self, SigmaPack.self, Detections.self])

    /// `logatlas-bench generate --sources N --out FILE`
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

    /// `logatlas-bench parse -f FILE`: decode and validate only, to separate parsing from the database work.
    struct Parse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Time decoding and validating an inventory file.")
        @Option(name: .shortAndLong, help: "The inventory file.") var file: String

        func run() async throws {
            let start = ContinuousClock.now
            let inventory = try InventoryYAML.decode(try Data(contentsOf: URL(fileURLWithPath: file)), file: file)
            let elapsed = ContinuousClock.now - start
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            print("parsed \(inventory.sources.count) sources in \(elapsed), peak RSS \(usage.ru_maxrss / 1024) MB")
        }
    }

    /// `logatlas-bench gaps -f FILE`: parse, evaluation with every current policy, and roll-up, timed separately.
    struct Gaps: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Time the gap analysis of an inventory file, phase by phase.")
        @Option(name: .shortAndLong, help: "The inventory file.") var file: String

        func run() async throws {
            let clock = ContinuousClock()
            var start = clock.now
            let data = try Data(contentsOf: URL(fileURLWithPath: file))
            let read = clock.now - start
            let inventory = try InventoryYAML.decode(data, file: file)
            let parse = clock.now - start
            let policies = try PolicyCatalogue.shipped().filter { $0.status == .current }
            start = clock.now
            let findings = GapAnalysis.findings(for: policies, in: inventory, now: Date())
            let evaluation = clock.now - start
            start = clock.now
            let report = GapReport(findings: findings, inventory: inventory)
            let rollup = clock.now - start
            // The same policies with an access limit at serious and critical on every requirement, judged against one
            // active standing agreement per custodian organisation (every other one promising 12 h, the rest 96 h).
            let bounded = policies.map { policy in
                var policy = policy
                for index in policy.requirements.indices { policy.requirements[index].maxAccessHours = [.critical: 24, .serious: 72] }
                return policy
            }
            let agreements = Self.agreements(for: inventory)
            start = clock.now
            let withAccess = GapAnalysis.findings(for: bounded, in: inventory, now: Date(), agreements: agreements)
            let accessEvaluation = clock.now - start
            // And with open observed gaps from incidents on a tenth of the sources (every kind in turn), rolled up too:
            // their own findings, the catalogue findings they mark, and the remediation ordered by them.
            let observed = Self.observedGaps(for: inventory)
            // And a probe heartbeat for every source, a tenth of them silent.
            let heartbeats = inventory.sources.enumerated().map { index, source in
                let newest = Date().addingTimeInterval(index % 10 == 0 ? -72 * 3_600 : -600)
                return Heartbeat(sourceID: source.id, receivedAt: Date(), reportedBy: "bench",
                                 report: ProbeReport(oldestRecordAt: newest.addingTimeInterval(-30 * 86_400), newestRecordAt: newest, records: 1_000,
                                                     bytes: 100_000, files: 3))
            }
            // And `drilled_within_days: 90` on every requirement, half the sources having passed a drill 30 days ago.
            let drilledPolicies = bounded.map { policy in
                var policy = policy
                for index in policy.requirements.indices { policy.requirements[index].drilledWithinDays = 90 }
                return policy
            }
            let lastDrilled = Dictionary(uniqueKeysWithValues: inventory.sources.enumerated().filter { $0.offset % 2 == 0 }
                .map { ($0.element.id, Date().addingTimeInterval(-30 * 86_400)) })
            start = clock.now
            let withObserved = GapAnalysis.findings(for: drilledPolicies, in: inventory, now: Date(), agreements: agreements, observed: observed,
                                                    heartbeats: heartbeats, lastDrilled: lastDrilled)
            let observedEvaluation = clock.now - start
            start = clock.now
            let observedReport = GapReport(findings: withObserved, inventory: inventory)
            let observedRollup = clock.now - start
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            print("\(inventory.sources.count) sources, \(policies.count) policies, \(findings.count) findings, \(report.remediation.count) remediations: "
                  + "parse \(parse) (reading the file \(read)), evaluation \(evaluation), roll-up \(rollup), peak RSS \(usage.ru_maxrss / 1024) MB")
            print("with max_access_hours on every requirement and \(agreements.count) standing agreements: evaluation \(accessEvaluation) "
                  + "(\(withAccess.filter { $0.shortfalls.contains { if case .access = $0 { true } else { false } } }.count) findings with an access shortfall)")
            print("and drilled_within_days, \(lastDrilled.count) drilled sources, \(observed.count) open observed gaps and \(heartbeats.count) heartbeats: evaluation \(observedEvaluation), roll-up \(observedRollup) "
                  + "(\(withObserved.filter { !$0.observedIn.isEmpty }.count) findings observed in an incident, "
                  + "\(observedReport.remediation.filter { !$0.observedIn.isEmpty }.count) remediations first, "
                  + "\(withObserved.filter { $0.shortfalls.contains { if case .silent = $0 { true } else { false } } }.count) with a silent source)")
        }

        /// One open gap per tenth source, on its system and log type, the kinds in turn.
        static func observedGaps(for inventory: Inventory) -> [ObservedGap] {
            let owners = Dictionary(inventory.systems.map { ($0.id, $0.ownerOrgID) }, uniquingKeysWith: { first, _ in first })
            return stride(from: 0, to: inventory.sources.count, by: 10).enumerated().compactMap { number, index in
                let source = inventory.sources[index]
                guard let owner = owners[source.systemID] else { return nil }
                let kind = ObservedGapKind.allCases[number % ObservedGapKind.allCases.count]
                return ObservedGap(incidentReference: "INC-2026-\(number % 400)", systemID: source.systemID, systemOwnerOrgID: owner,
                                   logType: source.logType, sourceID: number % 2 == 0 ? source.id : nil, kind: kind,
                                   neededDays: kind == .tooShort || kind == .tooSlow ? 400 : nil, neededHours: kind == .tooSlow ? 24 : nil,
                                   fields: kind == .fieldsMissing ? ["user"] : [], incidentType: .unauthorisedAccess, recordedBy: "bench",
                                   recordedAt: Date().addingTimeInterval(-30 * 86_400))
            }
        }

        static func agreements(for inventory: Inventory) -> [RetrievalAgreement] {
            let now = Date(), custodians = Set(inventory.sources.map(\.custodianOrgID)).sorted()
            return custodians.enumerated().map { index, org in
                let signed = AgreementSignature(by: "bench", at: now.addingTimeInterval(-86_400))
                return RetrievalAgreement(custodianOrgID: org, csirtOrgID: OrgID("csirt"),
                                          terms: AgreementTerms(scope: AgreementScope(), minimumSeverity: .serious, maxWindowDays: 30,
                                                                deliveryMethod: .fileExport, promisedLeadHours: index % 2 == 0 ? 12 : 96,
                                                                validFrom: signed.at, validUntil: now.addingTimeInterval(365 * 86_400),
                                                                approverName: "bench", approverRole: "bench", legalBasis: "bench"),
                                          custodianAcceptance: signed, csirtAcceptance: signed, createdBy: "bench", createdAt: signed.at)
            }
        }
    }

    /// `logatlas-bench reads`: source reads through the store alone (no HTTP), next to `SELECT 1` on the same pool.
    struct Reads: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Concurrent reads through the store, without HTTP, for N seconds.")
        @Option(help: "The embedded PostgreSQL folder of a running `logatlas serve`.") var dataDir: String
        @Option(help: "Concurrent readers.") var concurrency: Int = 32
        @Option(help: "Seconds per measurement.") var seconds: Int = 5

        func run() async throws {
            let (concurrency, seconds) = (concurrency, seconds)
            try await DatabaseSession.with(.resolve(databaseURL: nil, dataDirectory: dataDir), connections: nil, logger: Logger(label: "bench")) { database in
                let repository = PostgresInventoryRepository(database: database)
                let caller = Principal(userID: UserID(), name: "bench", role: .csirt, orgIDs: [])
                let ids = try await repository.sources(matching: SourceFilter(), as: caller, page: PageRequest(limit: 500)).items.map(\.id)
                let trivial = try await Self.measure(concurrency: concurrency, seconds: seconds) { _ in
                    for try await _ in try await database.client.query("SELECT 1") {}
                }
                print("SELECT 1 through the pool: \(trivial) per second")
                let reads = try await Self.measure(concurrency: concurrency, seconds: seconds) { index in
                    _ = try await repository.source(ids[index % ids.count], as: caller)
                }
                print("repository.source (one round trip, decode): \(reads) per second")
            }
        }

        static func measure(concurrency: Int, seconds: Int, _ operation: @escaping @Sendable (Int) async throws -> Void) async throws -> Int {
            let deadline = ContinuousClock.now + .seconds(seconds)
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<concurrency {
                    group.addTask {
                        var count = 0
                        while ContinuousClock.now < deadline {
                            try await operation(worker * 7919 + count)
                            count += 1
                        }
                        return count
                    }
                }
                return try await group.reduce(0, +)
            }
            return counts / seconds
        }
    }
}
