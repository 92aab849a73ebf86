import Foundation

/// Persistence of retrieval requests, scoped to the caller: a custodian sees only its organisations' items, a CSIRT
/// member its team's requests. What the caller may not see is reported as not found.
public protocol RequestRepository: Sendable {
    /// Plans `draft` against the sources the caller sees, without storing anything (the preview).
    func preview(_ draft: RequestDraft, sla: SLAPolicy, now: Date, as caller: Principal) async throws -> RequestPlanner.Plan
    /// Plans `draft` and stores the request with its items in one transaction.
    func file(_ draft: RequestDraft, sla: SLAPolicy, now: Date, as caller: Principal) async throws -> RequestPlanner.Plan
    func requests(matching filter: RequestFilter, now: Date, as caller: Principal, page: PageRequest) async throws -> Page<RetrievalRequest>
    func request(_ id: RequestID, as caller: Principal) async throws -> RetrievalRequest
    /// Applies `action` if the state machine allows it and nobody changed the item meanwhile (else `RequestError.conflict`);
    /// `deliverDue` is the date a `propose_due_date` asks for.
    func transition(_ action: ItemAction, item: RequestItemID, of request: RequestID, note: String?, deliverDue: Date?,
                    as caller: Principal, now: Date) async throws -> RequestItem
    func history(of request: RequestID, as caller: Principal) async throws -> [ItemEvent]

    func comments(on request: RequestID, as caller: Principal) async throws -> [RequestComment]
    func addComment(_ body: String, addressedTo org: OrgID?, on request: RequestID, as caller: Principal, now: Date) async throws -> RequestComment

    /// Checks that the caller may deliver evidence for the item now (before any byte is stored).
    func authorizeEvidence(item: RequestItemID, of request: RequestID, as caller: Principal) async throws
    func record(_ artifact: Artifact, as caller: Principal) async throws -> Artifact
    func artifacts(of request: RequestID, as caller: Principal) async throws -> [Artifact]
    /// The artifact for download by the requester's team, recording the download in the audit trail.
    func artifactForDownload(_ id: ArtifactID, of request: RequestID, as caller: Principal) async throws -> Artifact
    func custody(of request: RequestID, as caller: Principal, now: Date) async throws -> CustodyManifest
    /// Sets the days its evidence is kept after it closes (nil: the default) and places (a reason) or lifts (nil) a legal hold.
    func setRetention(of request: RequestID, days: Int?, legalHold reason: String?, now: Date, as caller: Principal) async throws -> RetrievalRequest
    /// The requesting team's own period for its evidence (nil: the service's default).
    func teamRetention(of team: OrgID, as caller: Principal) async throws -> Int?
    /// Sets the team's own period (nil: back to the service's default); the team's CSIRT members and admins.
    func setTeamRetention(of team: OrgID, days: Int?, as caller: Principal) async throws -> Int?
    /// Everything a request's page shows, read together: the request, its history, comments, artifacts and custody.
    func page(of request: RequestID, as caller: Principal, now: Date) async throws -> RequestRecord
    /// Friction per custodian organisation and source, over the items the caller may see.
    func friction(org: OrgID?, now: Date, as caller: Principal) async throws -> FrictionReport
}

extension RequestRepository {
    /// Applies an action that names no date.
    public func transition(_ action: ItemAction, item: RequestItemID, of request: RequestID, note: String?,
                           as caller: Principal, now: Date) async throws -> RequestItem {
        try await transition(action, item: item, of: request, note: note, deliverDue: nil, as: caller, now: now)
    }
}

/// A request with everything recorded about it that the caller may see (what its page shows).
public struct RequestRecord: Sendable {
    public var request: RetrievalRequest
    public var history: [ItemEvent]
    public var comments: [RequestComment]
    public var artifacts: [Artifact]
    public var custody: CustodyManifest

    public init(request: RetrievalRequest, history: [ItemEvent], comments: [RequestComment], artifacts: [Artifact], custody: CustodyManifest) {
        self.request = request
        self.history = history
        self.comments = comments
        self.artifacts = artifacts
        self.custody = custody
    }
}
