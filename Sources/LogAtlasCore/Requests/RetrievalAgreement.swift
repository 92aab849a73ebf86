import Foundation

/// Identifier of a standing retrieval agreement (stable across its versions).
public struct AgreementID: UUIDIdentifier {
    public let rawValue: UUID
    public init(rawValue: UUID) { self.rawValue = rawValue }
}

/// The sources an agreement pre-authorises, among those its custodian organisation holds. Every dimension named
/// must match; none named means every source the organisation holds.
public struct AgreementScope: Hashable, Sendable {
    public var systemIDs: [SystemID]
    public var logTypes: [String]
    /// Tags of the source's system, e.g. `internet-facing`.
    public var tags: [String]

    public init(systemIDs: [SystemID] = [], logTypes: [String] = [], tags: [String] = []) {
        self.systemIDs = systemIDs
        self.logTypes = logTypes
        self.tags = tags
    }

    public func contains(_ source: LogSource, systemTags: [String]) -> Bool {
        (systemIDs.isEmpty || systemIDs.contains(source.systemID)) && (logTypes.isEmpty || logTypes.contains(source.logType))
            && (tags.isEmpty || !Set(tags).isDisjoint(with: systemTags))
    }
}

/// What both sides agree to: the part of an agreement a new version may change.
public struct AgreementTerms: Hashable, Sendable {
    public var scope: AgreementScope
    /// Incident types it covers (empty: any, including requests that name none).
    public var incidentTypes: [IncidentType]
    /// The least severe request it covers.
    public var minimumSeverity: Priority
    /// The longest window a covered request may ask for.
    public var maxWindowDays: Int
    public var deliveryMethod: DeliveryMethod
    /// The custodian's promise: hours from filing to delivery. A covered item is due then.
    public var promisedLeadHours: Double
    public var validFrom: Date
    public var validUntil: Date
    /// Who approved it on the custodian's side, e.g. the privacy officer.
    public var approverName: String
    public var approverRole: String
    /// Why the custodian may hand the logs over without asking each time (contract clause, regulation, consent).
    public var legalBasis: String

    public init(scope: AgreementScope, incidentTypes: [IncidentType] = [], minimumSeverity: Priority, maxWindowDays: Int,
                deliveryMethod: DeliveryMethod, promisedLeadHours: Double, validFrom: Date, validUntil: Date,
                approverName: String, approverRole: String, legalBasis: String) {
        self.scope = scope
        self.incidentTypes = incidentTypes
        self.minimumSeverity = minimumSeverity
        self.maxWindowDays = maxWindowDays
        self.deliveryMethod = deliveryMethod
        self.promisedLeadHours = promisedLeadHours
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.approverName = approverName
        self.approverRole = approverRole
        self.legalBasis = legalBasis
    }

    /// Every problem with the terms, by field path.
    public func issues() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if !(1...3_650).contains(maxWindowDays) { issues.append(.init(path: "max_window_days", message: "between 1 and 3650")) }
        if !(promisedLeadHours > 0 && promisedLeadHours <= 8_760) { issues.append(.init(path: "promised_lead_hours", message: "more than 0 and at most 8760")) }
        if validUntil <= validFrom { issues.append(.init(path: "valid_until", message: "must be after valid_from")) }
        else if validUntil.timeIntervalSince(validFrom) > 5 * 366 * 86_400 { issues.append(.init(path: "valid_until", message: "at most five years after valid_from")) }
        for (path, value, max) in [("approver.name", approverName, 200), ("approver.role", approverRole, 200), ("legal_basis", legalBasis, 4_000)] {
            if value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { issues.append(.init(path: path, message: "required")) }
            if value.count > max { issues.append(.init(path: path, message: "at most \(max) characters")) }
            issues += Validation.controlIssues(value, path: path)
        }
        for (index, type) in scope.logTypes.enumerated() { issues += Validation.logTypeIssues(type, path: "scope.log_types[\(index)]") }
        for (index, tag) in scope.tags.enumerated() {
            if tag.isEmpty || tag.count > 100 { issues.append(.init(path: "scope.tags[\(index)]", message: "1 to 100 characters")) }
            issues += Validation.controlIssues(tag, path: "scope.tags[\(index)]")
        }
        for (index, system) in scope.systemIDs.enumerated() where !Slug.isValid(system.rawValue) {
            issues.append(.init(path: "scope.systems[\(index)]", message: "not a system id (a lower-case slug)"))
        }
        return issues
    }
}

/// Who accepted a version, or withdrew the agreement.
public struct AgreementSignature: Hashable, Sendable {
    public var by: String
    public var at: Date

    public init(by: String, at: Date) {
        self.by = by
        self.at = at
    }
}

/// Where an agreement stands.
public enum AgreementStatus: String, Sendable, CaseIterable {
    /// Not yet accepted by both sides (this version).
    case proposed
    /// Accepted by both, before `valid_from`.
    case scheduled
    case active
    /// Past `valid_until`.
    case lapsed
    case withdrawn
}

/// A custodian organisation's standing pre-authorisation of a CSIRT team for a scope of its sources: a covered
/// request's item starts approved, due after the promised lead time.
public struct RetrievalAgreement: Hashable, Sendable {
    public var id: AgreementID
    /// Raised by every change of terms; each version needs both acceptances again.
    public var version: Int
    public var custodianOrgID: OrgID
    /// The CSIRT team it authorises.
    public var csirtOrgID: OrgID
    public var terms: AgreementTerms
    public var custodianAcceptance: AgreementSignature?
    public var csirtAcceptance: AgreementSignature?
    public var withdrawal: AgreementSignature?
    public var createdBy: String
    public var createdAt: Date

    public init(id: AgreementID = AgreementID(), version: Int = 1, custodianOrgID: OrgID, csirtOrgID: OrgID, terms: AgreementTerms,
                custodianAcceptance: AgreementSignature? = nil, csirtAcceptance: AgreementSignature? = nil,
                withdrawal: AgreementSignature? = nil, createdBy: String, createdAt: Date) {
        self.id = id
        self.version = version
        self.custodianOrgID = custodianOrgID
        self.csirtOrgID = csirtOrgID
        self.terms = terms
        self.custodianAcceptance = custodianAcceptance
        self.csirtAcceptance = csirtAcceptance
        self.withdrawal = withdrawal
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    /// Both sides are reminded this long before an active agreement lapses.
    public static let reminderLead: TimeInterval = 30 * 86_400

    public func status(now: Date) -> AgreementStatus {
        if withdrawal != nil { return .withdrawn }
        if now >= terms.validUntil { return .lapsed }
        guard custodianAcceptance != nil, csirtAcceptance != nil else { return .proposed }
        return now < terms.validFrom ? .scheduled : .active
    }

    /// Whether the agreement is active and lapses within the reminder lead.
    public func isLapsingSoon(now: Date) -> Bool {
        status(now: now) == .active && terms.validUntil.timeIntervalSince(now) <= Self.reminderLead
    }

    /// The name the item history and the audit trail record for approvals it gives.
    public var actorName: String { "agreement:\(id.description.prefix(8)) v\(version)" }

    /// Whether the agreement, as of `now`, pre-authorises `team`'s request of `priority` and `incidentType` over
    /// `window` for `source` (on a system tagged `systemTags`).
    public func covers(_ source: LogSource, systemTags: [String], team: OrgID?, priority: Priority, incidentType: IncidentType?,
                       window: TimeWindow, now: Date) -> Bool {
        status(now: now) == .active && team == csirtOrgID && source.custodianOrgID == custodianOrgID
            && priority >= terms.minimumSeverity && window.duration <= Double(terms.maxWindowDays) * 86_400
            && (terms.incidentTypes.isEmpty || incidentType.map(terms.incidentTypes.contains) == true)
            && terms.scope.contains(source, systemTags: systemTags)
    }
}

extension RetrievalAgreement {
    /// Whether, as of `now`, the agreement speeds up access to `source` in incidents of `severity` for all of
    /// `incidentTypes` (a requirement's; none named: only an agreement limited to no type counts).
    public func promises(_ source: LogSource, systemTags: [String], severity: Priority, incidentTypes: [IncidentType], now: Date) -> Bool {
        status(now: now) == .active && source.custodianOrgID == custodianOrgID && severity >= terms.minimumSeverity
            && terms.scope.contains(source, systemTags: systemTags)
            && (terms.incidentTypes.isEmpty || (!incidentTypes.isEmpty && Set(incidentTypes).isSubset(of: terms.incidentTypes)))
    }
}

/// Which agreement, if any, covers an item: one that covers every source of it, the fastest promise first.
public enum AgreementCoverage {
    public static func covering(_ sources: [LogSource], systemTags: [SystemID: [String]], agreements: [RetrievalAgreement], team: OrgID?,
                                draft: RequestDraft, now: Date) -> RetrievalAgreement? {
        guard !sources.isEmpty else { return nil }
        return agreements.filter { agreement in
            sources.allSatisfy {
                agreement.covers($0, systemTags: systemTags[$0.systemID] ?? [], team: team, priority: draft.priority,
                                 incidentType: draft.incidentType, window: draft.window, now: now)
            }
        }.min { ($0.terms.promisedLeadHours, $0.id.description) < ($1.terms.promisedLeadHours, $1.id.description) }
    }
}

/// The side a caller acts for on an agreement.
public enum AgreementSide: String, Sendable, CaseIterable {
    case custodian, csirt
}

extension Principal {
    /// The sides the caller may accept or withdraw for: a custodian of the custodian organisation, a CSIRT member of
    /// the team; an admin either (but one acceptance per side, recorded by name).
    public func agreementSides(custodian: OrgID, csirt: OrgID) -> Set<AgreementSide> {
        switch role {
        case .admin: [.custodian, .csirt]
        case .auditor: []
        case .custodian: orgIDs.contains(custodian) ? [.custodian] : []
        case .csirt: orgIDs.contains(csirt) ? [.csirt] : []
        }
    }

    /// Whether the caller may propose an agreement or a new version of its terms (either side).
    public func mayDraftAgreement(custodian: OrgID, csirt: OrgID) -> Bool { !agreementSides(custodian: custodian, csirt: csirt).isEmpty }

    /// Whether the caller may read an agreement: its two sides, auditors and admins.
    public func mayReadAgreement(custodian: OrgID, csirt: OrgID) -> Bool {
        role == .auditor || mayDraftAgreement(custodian: custodian, csirt: csirt)
    }
}

/// Why an agreement operation was not done; nothing was changed.
public enum AgreementError: Error, Hashable, Sendable {
    /// No such agreement, or the caller may not see it (never told apart).
    case notFound(String)
    case invalid([ValidationIssue])
    case forbidden(String)
    /// The caller acted on a version that is no longer the current one.
    case staleVersion(current: Int)
    /// The agreement's status does not allow it (withdrawn, lapsed, already accepted by that side).
    case refused(String)
}

/// Persistence of standing agreements, scoped to the caller: its two sides, auditors and admins see one.
public protocol AgreementRepository: Sendable {
    func agreements(custodian: OrgID?, csirt: OrgID?, as caller: Principal) async throws -> [RetrievalAgreement]
    /// One agreement and its superseded versions, oldest first.
    func agreement(_ id: AgreementID, as caller: Principal) async throws -> (current: RetrievalAgreement, previous: [RetrievalAgreement])
    /// Proposes an agreement; the proposing side's acceptance is not implied.
    func propose(custodian: OrgID, csirt: OrgID, terms: AgreementTerms, as caller: Principal, now: Date) async throws -> RetrievalAgreement
    /// New terms as the next version of `version`; both acceptances are cleared.
    func revise(_ id: AgreementID, version: Int, terms: AgreementTerms, as caller: Principal, now: Date) async throws -> RetrievalAgreement
    /// Accepts `version` for the caller's side (`side` chooses one for an admin, who may act for either).
    func accept(_ id: AgreementID, version: Int, side: AgreementSide?, as caller: Principal, now: Date) async throws -> RetrievalAgreement
    /// Ends the agreement for good; either side may.
    func withdraw(_ id: AgreementID, as caller: Principal, now: Date) async throws -> RetrievalAgreement
}

extension RetrievalAgreement {
    /// The side `caller` accepts for, or why not: it must act for exactly one side not yet accepted.
    public func acceptanceSide(for caller: Principal, version: Int, asked: AgreementSide?, now: Date) -> Result<AgreementSide, AgreementError> {
        let sides = caller.agreementSides(custodian: custodianOrgID, csirt: csirtOrgID)
        guard !sides.isEmpty else { return .failure(.forbidden("only the custodian organisation and the CSIRT team accept an agreement")) }
        guard version == self.version else { return .failure(.staleVersion(current: self.version)) }
        switch status(now: now) {
        case .withdrawn: return .failure(.refused("the agreement was withdrawn"))
        case .lapsed: return .failure(.refused("the agreement has lapsed"))
        default: break
        }
        let open = sides.filter { $0 == .custodian ? custodianAcceptance == nil : csirtAcceptance == nil }
        let side: AgreementSide
        if let asked {
            guard sides.contains(asked) else { return .failure(.forbidden("you do not act for the \(asked.rawValue) side")) }
            guard open.contains(asked) else { return .failure(.refused("the \(asked.rawValue) side has accepted this version already")) }
            side = asked
        } else {
            guard sides.count == 1, let only = open.first else {
                return .failure(sides.count > 1 ? .invalid([ValidationIssue(path: "side", message: "name the side you accept for: custodian or csirt")])
                                                : .refused("your side has accepted this version already"))
            }
            side = only
        }
        // Two sides means two people: an admin who accepted one side does not accept the other.
        if (side == .custodian ? csirtAcceptance : custodianAcceptance)?.by == caller.name {
            return .failure(.refused("you accepted the other side; each side accepts for itself"))
        }
        return .success(side)
    }
}
