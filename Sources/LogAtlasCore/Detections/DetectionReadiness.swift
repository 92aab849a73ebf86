import Foundation

/// Which Sigma rules the inventory can run, how far back they can hunt, which only on slower media, which not at
/// all, and which log types would unlock the most rules — for the whole inventory, per system and per organisation.
public struct DetectionReadiness: Sendable, Codable {
    public enum Verdict: String, Sendable, Codable, CaseIterable {
        /// A source that feeds the rule keeps searchable history: the rule runs now, over `lookBackDays`.
        case runnable
        /// Sources that feed it exist, but their history is only on slower media (`retrievalHours` away).
        case slowerMedia = "slower-media"
        /// No source in the inventory feeds it (or none keeps any history).
        case cannotRun = "cannot-run"
        /// Its `logsource` maps to no log type of the taxonomy.
        case unknownLogsource = "unknown-logsource"
    }

    public struct RuleResult: Sendable, Codable, Hashable {
        public var id: String
        public var title: String
        public var level: SigmaRule.Level?
        public var status: String?
        public var file: String
        public var line: Int
        public var logsource: SigmaLogsource?
        public var techniques: [String]
        /// The taxonomy's log types that would feed the rule.
        public var logTypes: [String]
        public var verdict: Verdict
        /// Runnable: the longest searchable history among the sources that feed it.
        public var lookBackDays: Int?
        /// Slower media only: the fastest way to its newest data (the tier's retrieval time or the access
        /// procedure's lead time, whichever is longer), in hours.
        public var retrievalHours: Double?
        /// How many sources of the inventory feed it.
        public var sources: Int
        /// Cannot run: the log types it needs that the inventory has no source of.
        public var missingLogTypes: [String]
    }

    /// Rules by verdict within one system or organisation (rules with an unknown logsource are left out).
    public struct Tally: Sendable, Codable, Hashable {
        public var id: String
        public var runnable = 0, slowerMedia = 0, cannotRun = 0
    }

    /// A log type the inventory lacks and the rules that cannot run for want of it, by level.
    public struct Unlock: Sendable, Codable, Hashable {
        public var logType: String
        public var title: String
        public var rules: Int
        public var byLevel: [String: Int]
    }

    public var rules: [RuleResult]
    /// Correlation and filter rules: they read other rules' matches, not a log source, so they are listed apart.
    public var otherRules: [SigmaRule]
    public var unreadable: [UnreadableRule]
    public var skipped: [String: Int]
    public var totals: [String: Int]
    public var systems: [Tally]
    public var orgs: [Tally]
    /// Most valuable first: by the number of critical rules unlocked, then high, medium, low, informational.
    public var unlocks: [Unlock]
}

extension DetectionReadiness {
    /// What the sources of one log type (or one rule's log types) offer together.
    struct Reach: Sendable {
        var sources = 0, searchableDays = 0, coveredDays = 0
        var fastestHours: Double?

        mutating func add(_ other: Reach) {
            sources += other.sources
            searchableDays = max(searchableDays, other.searchableDays)
            coveredDays = max(coveredDays, other.coveredDays)
            if let hours = other.fastestHours { fastestHours = min(fastestHours ?? hours, hours) }
        }

        init() {}

        init(_ source: LogSource, now: Date) {
            let coverage = Coverage(of: source, now: now)
            sources = 1
            searchableDays = coverage.searchableDays
            coveredDays = coverage.coveredDays
            if let hours = coverage.retrievalHours(forDataDaysOld: 1) {
                fastestHours = max(hours, source.accessProcedure?.leadTimeHours ?? 0)
            }
        }

        var verdict: Verdict { searchableDays > 0 ? .runnable : coveredDays > 0 ? .slowerMedia : .cannotRun }
    }

    /// Judges every rule of `pack` against `inventory` as of `now`.
    public static func evaluate(_ pack: SigmaPack, in inventory: Inventory, now: Date) -> DetectionReadiness {
        let owners = Dictionary(inventory.systems.map { ($0.id, $0.ownerOrgID) }, uniquingKeysWith: { first, _ in first })
        var whole: [String: Reach] = [:], bySystem: [SystemID: [String: Reach]] = [:], byOrg: [OrgID: [String: Reach]] = [:]
        for source in inventory.sources {
            let reach = Reach(source, now: now)
            whole[source.logType, default: Reach()].add(reach)
            bySystem[source.systemID, default: [:]][source.logType, default: Reach()].add(reach)
            if let owner = owners[source.systemID] { byOrg[owner, default: [:]][source.logType, default: Reach()].add(reach) }
        }
        var feeders: [SigmaLogsource: [String]] = [:]
        func logTypes(for logsource: SigmaLogsource) -> [String] {
            if let known = feeders[logsource] { return known }
            let codes = Taxonomy.logTypes.filter { $0.sigma.contains { $0.feeds(logsource) } }.map(\.code)
            feeders[logsource] = codes
            return codes
        }
        func reach(of types: [String], in reaches: [String: Reach]) -> Reach {
            types.reduce(into: Reach()) { total, type in reaches[type].map { total.add($0) } }
        }

        var results: [RuleResult] = [], others: [SigmaRule] = []
        var demand: [SigmaLogsource: Int] = [:]
        for rule in pack.rules {
            guard rule.kind == .detection, let logsource = rule.logsource else { others.append(rule); continue }
            let types = logTypes(for: logsource)
            let total = reach(of: types, in: whole)
            let verdict = types.isEmpty ? .unknownLogsource : total.verdict
            results.append(RuleResult(
                id: rule.id, title: rule.title, level: rule.level, status: rule.status, file: rule.file, line: rule.line,
                logsource: logsource, techniques: rule.techniques, logTypes: types, verdict: verdict,
                lookBackDays: verdict == .runnable ? total.searchableDays : nil,
                retrievalHours: verdict == .slowerMedia ? total.fastestHours : nil, sources: total.sources,
                missingLogTypes: verdict == .cannotRun ? types.filter { whole[$0] == nil } : []))
            if !types.isEmpty { demand[logsource, default: 0] += 1 }
        }
        // Per system and organisation, each distinct logsource is judged once and counted for its rules.
        func tally(_ id: String, _ reaches: [String: Reach]) -> Tally {
            var tally = Tally(id: id)
            for (logsource, count) in demand {
                switch reach(of: logTypes(for: logsource), in: reaches).verdict {
                case .runnable: tally.runnable += count
                case .slowerMedia: tally.slowerMedia += count
                default: tally.cannotRun += count
                }
            }
            return tally
        }
        let systems = inventory.systems.map { tally($0.id.rawValue, bySystem[$0.id] ?? [:]) }
        let orgs = inventory.orgs.map { tally($0.id.rawValue, byOrg[$0.id] ?? [:]) }

        var totals = Dictionary(uniqueKeysWithValues: Verdict.allCases.map { ($0.rawValue, 0) })
        for result in results { totals[result.verdict.rawValue, default: 0] += 1 }
        return DetectionReadiness(
            rules: results.sorted { ($0.file, $0.line, $0.id) < ($1.file, $1.line, $1.id) },
            otherRules: others.sorted { ($0.file, $0.line, $0.id) < ($1.file, $1.line, $1.id) },
            unreadable: pack.unreadable.sorted { ($0.file, $0.line) < ($1.file, $1.line) }, skipped: pack.skipped, totals: totals,
            systems: systems.sorted { $0.id < $1.id }, orgs: orgs.sorted { $0.id < $1.id }, unlocks: unlocks(results))
    }

    /// The log types whose absence keeps rules from running, most valuable first.
    static func unlocks(_ results: [RuleResult]) -> [Unlock] {
        var byType: [String: [SigmaRule.Level?]] = [:]
        for result in results where result.verdict == .cannotRun {
            for type in result.missingLogTypes { byType[type, default: []].append(result.level) }
        }
        let unlocks = byType.map { type, levels in
            Unlock(logType: type, title: Taxonomy.logType(type)?.title ?? type, rules: levels.count,
                   byLevel: Dictionary(grouping: levels) { $0?.rawValue ?? "none" }.mapValues(\.count))
        }
        let order = SigmaRule.Level.allCases.reversed().map(\.rawValue) + ["none"]
        return unlocks.sorted { a, b in
            let weights = order.map { (a.byLevel[$0] ?? 0, b.byLevel[$0] ?? 0) }
            if let differing = weights.first(where: { $0.0 != $0.1 }) { return differing.0 > differing.1 }
            return a.logType < b.logType
        }
    }
}
