/// What changed between two gap reports, finding by finding.
public struct GapDiff: Sendable {
    /// A finding whose status changed, or that appeared or disappeared.
    public struct Change: Sendable, Hashable {
        public var key: String
        public var before: FindingStatus?
        public var after: FindingStatus?
    }

    public var improved: [Change] = []
    public var regressed: [Change] = []
    /// Findings only in the newer report (a new requirement or target).
    public var added: [Change] = []
    /// Findings only in the older report.
    public var removed: [Change] = []

    /// Compares `older` with `newer` by policy, requirement and target.
    public init(from older: [Finding], to newer: [Finding]) {
        self.init(from: Self.statuses(older), to: Self.statuses(newer))
    }

    /// Compares statuses by finding key (see `key(_:)`), e.g. read back from an earlier JSON report.
    public init(from before: [String: FindingStatus], to after: [String: FindingStatus]) {
        for key in Set(before.keys).union(after.keys).sorted() {
            let change = Change(key: key, before: before[key], after: after[key])
            switch (before[key], after[key]) {
            case (nil, _?): added.append(change)
            case (_?, nil): removed.append(change)
            case (let old?, let new?) where new > old: improved.append(change)
            case (let old?, let new?) where new < old: regressed.append(change)
            default: break
            }
        }
    }

    public static func statuses(_ findings: [Finding]) -> [String: FindingStatus] {
        Dictionary(findings.map { (key($0), $0.status) }, uniquingKeysWith: { first, _ in first })
    }

    public static func key(_ finding: Finding) -> String { "\(finding.policyID)/\(finding.requirement.id)@\(finding.target.kind.rawValue):\(finding.target.id)" }
}
