import Foundation

/// Findings rolled up into scores, a readiness matrix and a remediation list ordered by impact.
public struct GapReport: Sendable {
    /// Weighted share of requirements met (partial counts half), 0–100.
    public struct Score: Sendable, Hashable {
        public var met = 0, partial = 0, missing = 0
        /// The weights of the requirements judged, and of what they earned (met counts whole, partial half).
        public internal(set) var weighted = 0.0, total = 0.0
        public var percent: Double { total > 0 ? (weighted / total * 1000).rounded() / 10 : 100 }

        public init() {}

        /// A score read back from its parts (a stored run's sums).
        public init(met: Int, partial: Int, missing: Int, weighted: Double, total: Double) {
            (self.met, self.partial, self.missing, self.weighted, self.total) = (met, partial, missing, weighted, total)
        }

        /// The scores of `findings` per organisation and policy: what a stored run keeps for the readiness trend.
        public static func byOrgAndPolicy(_ findings: [Finding]) -> [OrgPolicy: Score] {
            var scores: [OrgPolicy: Score] = [:]
            for finding in findings { scores[OrgPolicy(orgID: finding.target.orgID, policyID: finding.policyID), default: Score()].add(finding) }
            return scores
        }

        mutating func add(_ finding: Finding) {
            switch finding.status {
            case .met: met += 1
            case .partial: partial += 1
            case .missing: missing += 1
            }
            weighted += finding.requirement.weight * finding.value
            total += finding.requirement.weight
        }
    }

    /// Whether a system is ready to investigate one incident type.
    public enum Readiness: String, Sendable, Hashable { case ready, partly, notReady = "not ready" }

    /// One cell of the readiness matrix, with the finding that limits it.
    public struct ReadinessCell: Sendable, Hashable {
        public var system: SystemID
        public var incidentType: IncidentType
        public var readiness: Readiness
        public var limiting: Finding?
        /// The requirements serving this cell: how many are met, partly met and missing.
        public var met = 0, partial = 0, missing = 0
    }

    /// One concrete change, with the requirements it serves and its impact.
    public struct Remediation: Sendable, Hashable {
        public var action: String
        public var impact: Double
        /// "policy/requirement" references the change serves.
        public var serves: [String]
        /// The incidents that showed the shortfall in practice; such changes come first.
        public var observedIn: [String] = []

        /// "observed in INC-2026-0142, INC-2026-0150", or nothing.
        public var evidence: String { observedIn.isEmpty ? "" : "observed in \(observedIn.joined(separator: ", "))" }
    }

    public var findings: [Finding]

    /// The readiness of one cell, if any requirement serves that incident type there.
    public func cell(_ system: SystemID, _ type: IncidentType) -> ReadinessCell? { cellIndex[CellKey(system: system, type: type)] }

    /// The systems of the matrix, in order.
    public var matrixSystems: [SystemID] { Set(readiness.map(\.system)).sorted() }

    private struct CellKey: Hashable, Sendable {
        let system: SystemID
        let type: IncidentType
    }
    private var cellIndex: [CellKey: ReadinessCell] = [:]
    public var byOrg: [OrgID: Score] = [:]
    public var bySystem: [SystemID: Score] = [:]
    public var byPolicy: [String: Score] = [:]
    public var byIncidentType: [IncidentType: Score] = [:]
    public var overall = Score()
    public var readiness: [ReadinessCell] = []
    public var remediation: [Remediation] = []

    /// Rolls `findings` up; `inventory` supplies the systems of the readiness matrix.
    public init(findings: [Finding], inventory: Inventory) {
        self.findings = findings
        (overall, byOrg, bySystem, byPolicy, byIncidentType) = Self.scores(findings)
        readiness = Self.matrix(findings, systems: inventory.systems)
        cellIndex = Dictionary(readiness.map { (CellKey(system: $0.system, type: $0.incidentType), $0) }, uniquingKeysWith: { first, _ in first })
        remediation = Self.remediation(findings)
    }

    private typealias Scores = (overall: Score, byOrg: [OrgID: Score], bySystem: [SystemID: Score], byPolicy: [String: Score],
                                byIncidentType: [IncidentType: Score])

    private static func scores(_ findings: [Finding]) -> Scores {
        var scores: Scores = (Score(), [:], [:], [:], [:])
        for finding in findings {
            scores.overall.add(finding)
            scores.byOrg[finding.target.orgID, default: Score()].add(finding)
            if finding.target.kind == .system { scores.bySystem[SystemID(finding.target.id), default: Score()].add(finding) }
            scores.byPolicy[finding.policyID, default: Score()].add(finding)
            for type in finding.requirement.incidentTypes { scores.byIncidentType[type, default: Score()].add(finding) }
        }
        return scores
    }

    /// Systems × incident types: the system's own findings plus its owner organisation's org-wide ones.
    static func matrix(_ findings: [Finding], systems: [ProtectedSystem]) -> [ReadinessCell] {
        // Findings are referred to by index: copying them is what rolling up used to spend its time on.
        var bySystem: [String: [Int]] = [:], byOrg: [String: [Int]] = [:]
        for (index, finding) in findings.enumerated() {
            switch finding.target.kind {
            case .system: bySystem[finding.target.id, default: []].append(index)
            case .org: byOrg[finding.target.id, default: []].append(index)
            }
        }
        var cells: [ReadinessCell] = []
        for system in systems.sorted(by: { $0.id < $1.id }) {
            let relevant = (bySystem[system.id.rawValue] ?? []) + (byOrg[system.ownerOrgID.rawValue] ?? [])
            for type in IncidentType.allCases {
                var limiting: Int?
                var counts = (met: 0, partial: 0, missing: 0)
                for index in relevant where findings[index].requirement.incidentTypes.contains(type) {
                    switch findings[index].status {
                    case .met: counts.met += 1
                    case .partial: counts.partial += 1
                    case .missing: counts.missing += 1
                    }
                    guard let current = limiting else { limiting = index; continue }
                    if (findings[index].status, -findings[index].requirement.weight) < (findings[current].status, -findings[current].requirement.weight) {
                        limiting = index
                    }
                }
                guard let limiting else { continue }
                let finding = findings[limiting]
                let readiness: Readiness = switch finding.status {
                case .met: .ready
                case .partial: .partly
                case .missing: .notReady
                }
                cells.append(ReadinessCell(system: system.id, incidentType: type, readiness: readiness, limiting: finding.status == .met ? nil : finding,
                                           met: counts.met, partial: counts.partial, missing: counts.missing))
            }
        }
        return cells
    }

    /// One item per concrete change; the same change serving several requirements adds up their impact.
    static func remediation(_ findings: [Finding]) -> [Remediation] {
        // Gathered by what the wording depends on, then worded once per change (wording every shortfall was slow).
        struct Change: Hashable {
            var shortfall: Shortfall
            var logType: String
            var target: String
        }
        // One lookup per shortfall: the gathered changes live in an array, the dictionary only finds them.
        var index: [Change: Int] = [:]
        var changes: [(change: Change, impact: Double, serves: [String], observedIn: [String])] = []
        index.reserveCapacity(findings.count)
        changes.reserveCapacity(findings.count)
        // "policy/requirement", spelled once per requirement rather than once per finding.
        var references: [ObjectIdentifier: (policyID: String, reference: String)] = [:]
        for finding in findings where finding.status != .met {
            let box = ObjectIdentifier(finding.requirementBox)
            let reference: String
            if let known = references[box], known.policyID == finding.policyID {
                reference = known.reference
            } else {
                reference = "\(finding.policyID)/\(finding.requirement.id)"
                references[box] = (finding.policyID, reference)
            }
            let weight = finding.requirement.weight
            for (shortfall, logType) in zip(finding.shortfalls, finding.shortfallLogTypes) {
                let change = Change(shortfall: shortfall.wordingKey, logType: logType, target: finding.target.id)
                let impact = weight * max(shortfall.severity, 0.05)
                if let position = index[change] {
                    changes[position].impact += impact
                    if changes[position].serves.last != reference, !changes[position].serves.contains(reference) {
                        changes[position].serves.append(reference)
                    }
                    for incident in finding.observedIn where !changes[position].observedIn.contains(incident) {
                        changes[position].observedIn.append(incident)
                    }
                } else {
                    index[change] = changes.count
                    changes.append((change, impact, [reference], finding.observedIn))
                }
            }
        }
        var items: [String: Remediation] = [:]
        items.reserveCapacity(changes.count)
        for gathered in changes {
            let action = Self.action(for: gathered.change.shortfall, logType: gathered.change.logType, target: gathered.change.target)
            if var item = items[action] {   // two changes worded alike (e.g. hours that round the same)
                item.impact += gathered.impact
                item.serves += gathered.serves.filter { !item.serves.contains($0) }
                item.observedIn += gathered.observedIn.filter { !item.observedIn.contains($0) }
                items[action] = item
            } else {
                items[action] = Remediation(action: action, impact: gathered.impact, serves: gathered.serves, observedIn: gathered.observedIn)
            }
        }
        // What an incident showed missing first (an incident proved it matters), then by impact.
        return items.values.map { item in
            var item = item
            item.impact = (item.impact * 100).rounded() / 100
            item.serves.sort()
            item.observedIn.sort()
            return item
        }.sorted { (!$0.observedIn.isEmpty ? 1 : 0, $0.impact, $1.action) > (!$1.observedIn.isEmpty ? 1 : 0, $1.impact, $0.action) }
    }

    /// `a|b|c` as "a or b or c" (empty parts left out), byte by byte: splitting and joining (and Foundation's
    /// `contains`) were a third of wording the remediation list.
    static func alternatives(_ logType: String) -> String {
        let bar = UInt8(ascii: "|")
        guard logType.utf8.contains(bar) else { return logType }
        var words: [UInt8] = []
        words.reserveCapacity(logType.utf8.count * 2)
        var partStart = true
        for byte in logType.utf8 {
            if byte == bar {
                partStart = true
                continue
            }
            if partStart, !words.isEmpty { words += [0x20, 0x6F, 0x72, 0x20] }   // " or "
            partStart = false
            words.append(byte)
        }
        return String(decoding: words, as: UTF8.self)
    }

    /// What to change, in words a system owner can act on.
    static func action(for shortfall: Shortfall, logType: String, target: String) -> String {
        let types = alternatives(logType)
        return switch shortfall {
        case .logTypesMissing: "start collecting \(types) for \(target)"
        case .retention(let have, let need, let attested):
            attested ? "make \(logType) of \(target) really keep \(need) d (attested only \(have) d)" : "keep \(logType) of \(target) \(need) d instead of \(have) d"
        case .searchable(let have, let need): "keep \(need) d of \(logType) of \(target) searchable instead of \(have) d"
        case .retrieval(let hours, let limit, let medium, let window):
            "make the last \(window) d of \(logType) of \(target) retrievable within \(Shortfall.number(limit)) h (now \(Shortfall.number(hours)) h from \(medium.rawValue))"
        case .measuredRetrieval(let hours, let limit, _):
            "make requests for \(logType) of \(target) deliver within \(Shortfall.number(limit)) h (measured \(Shortfall.number(hours)) h)"
        case .accessLeadTime(let hours, let limit, _):
            "agree access to \(logType) of \(target) within \(Shortfall.number(limit)) h with its custodian (declared lead time now \(Shortfall.number(hours)) h)"
        case .fieldsMissing(let fields): "log \(fields.joined(separator: ", ")) in \(logType) of \(target)"
        case .clockNotSynchronised: "synchronise the clock of \(logType) of \(target) (NTP)"
        case .attestationMissing, .attestationStale: "attest the retention of \(logType) of \(target)"
        case .attestationDrift: "fix or re-declare the retention of \(logType) of \(target) (attestation contradicts it)"
        case .notDrilled(_, let limit): "drill the retrieval of \(logType) of \(target) (at least every \(limit) d)"
        case .noResponsibleContact(let cells):
            "name who acts and how to reach them on the action card of \(target) for \(cells.joined(separator: ", "))"
        case .silent(_, let expected):
            "find out why \(logType) of \(target) went silent (its probe expects new records every \(Shortfall.number(expected)) h)"
        case .access(let hours, let limit, let severity, _, _):
            "agree a standing agreement for \(logType) of \(target) delivering within \(Shortfall.number(limit)) h at \(severity.rawValue) "
                + "(now \(Shortfall.number(hours)) h), or let the CSIRT search it"
        }
    }
}
