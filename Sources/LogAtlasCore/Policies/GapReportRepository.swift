import Foundation

/// A stored gap-analysis run: what was evaluated, when, by whom, and the findings the reader may see.
public struct StoredGapReport: Sendable {
    public var id: UUID
    public var createdAt: Date
    public var createdBy: String
    public var policies: [String]
    public var orgFilter: String?
    public var systemFilter: String?
    /// Digest of the inventory versions the run saw (same digest: same inventory).
    public var inventoryDigest: String
    public var findings: [Finding]

    public init(id: UUID, createdAt: Date, createdBy: String, policies: [String], orgFilter: String?, systemFilter: String?,
                inventoryDigest: String, findings: [Finding]) {
        self.id = id
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.policies = policies
        self.orgFilter = orgFilter
        self.systemFilter = systemFilter
        self.inventoryDigest = inventoryDigest
        self.findings = findings
    }

    /// The systems the findings concern, for the readiness matrix of a report read back from storage.
    public var systems: [ProtectedSystem] {
        Set(findings.filter { $0.target.kind == .system }.map { SystemIDAndOwner(id: SystemID($0.target.id), owner: $0.target.orgID) })
            .map { ProtectedSystem(id: $0.id, name: $0.id.rawValue, ownerOrgID: $0.owner) }
    }

    private struct SystemIDAndOwner: Hashable {
        let id: SystemID
        let owner: OrgID
    }
}

/// An organisation and a policy: the key of a stored run's scores.
public struct OrgPolicy: Sendable, Hashable {
    public var orgID: OrgID
    public var policyID: String

    public init(orgID: OrgID, policyID: String) {
        self.orgID = orgID
        self.policyID = policyID
    }
}

/// One point of a policy's readiness trend: a stored run's score for the policy over the organisations the reader sees.
public struct TrendPoint: Sendable, Hashable {
    public var reportID: UUID
    public var createdAt: Date
    public var policyID: String
    public var score: GapReport.Score

    public init(reportID: UUID, createdAt: Date, policyID: String, score: GapReport.Score) {
        self.reportID = reportID
        self.createdAt = createdAt
        self.policyID = policyID
        self.score = score
    }
}

/// Storage of gap-analysis runs, scoped to the caller like the inventory.
public protocol GapReportRepository: Sendable {
    /// Stores a run under `id` (chosen by the caller, so that the report can be rendered while it is stored) and
    /// returns it as the caller reads it back.
    func save(_ findings: [Finding], policies: [String], orgFilter: String?, systemFilter: String?, id: UUID,
              as caller: Principal) async throws -> StoredGapReport
    func report(_ id: UUID, as caller: Principal) async throws -> StoredGapReport
    /// The newest earlier run with the same policies and filters, if any.
    func previous(to report: StoredGapReport, as caller: Principal) async throws -> StoredGapReport?
    /// The readiness trend, oldest first, per policy (`policy` alone when given): the newest `limit` runs of every
    /// policy that were not narrowed to one system, of the whole inventory (`org` nil) or of `org`: the runs that
    /// covered every organisation, and the reader's own (so a custodian's runs do not dent an auditor's line).
    func trend(policy: String?, org: String?, limit: Int, as caller: Principal) async throws -> [TrendPoint]
}

extension GapReportRepository {
    /// Stores a run under a new id.
    public func save(_ findings: [Finding], policies: [String], orgFilter: String?, systemFilter: String?,
                     as caller: Principal) async throws -> StoredGapReport {
        try await save(findings, policies: policies, orgFilter: orgFilter, systemFilter: systemFilter, id: UUID(), as: caller)
    }
}
