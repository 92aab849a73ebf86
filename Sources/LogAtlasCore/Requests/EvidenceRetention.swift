import Foundation

/// How long delivered evidence is kept. Evidence may hold personal data, so it is purged a period after its request
/// closes — the request's own period when the requesting team set one, else the team's own period, else the
/// service's default — unless a legal hold suspends that. The hand-over records and every artifact's digest, size and
/// history stay.
public struct EvidenceRetentionPolicy: Hashable, Sendable {
    public static let standardDays = 180
    /// The periods a request or the service may set, in days (ten years at most).
    public static let allowedDays = 1...3650

    public var defaultDays: Int

    public init(defaultDays: Int = Self.standardDays) { self.defaultDays = defaultDays }

    /// Where a request's period comes from.
    public enum Source: String, Sendable {
        case request, team, service
    }

    /// The days a request's evidence is kept after it closes, and which setting decided.
    public func period(of retention: RequestRetention) -> (days: Int, source: Source) {
        if let days = retention.days { return (days, .request) }
        if let days = retention.teamDays { return (days, .team) }
        return (defaultDays, .service)
    }

    /// When the evidence of a request is purged: its period after it closed; nil while it is open or on hold.
    public func purgeAfter(_ retention: RequestRetention) -> Date? {
        guard retention.legalHold == nil, let closed = retention.closedAt else { return nil }
        return closed.addingTimeInterval(Double(period(of: retention).days) * 86_400)
    }
}

/// A legal hold on a request's evidence: nothing of it is purged while it stands.
public struct LegalHold: Hashable, Sendable {
    public var reason: String
    public var placedBy: String
    public var placedAt: Date

    public init(reason: String, placedBy: String, placedAt: Date) {
        self.reason = reason
        self.placedBy = placedBy
        self.placedAt = placedAt
    }
}

/// What decides when a request's evidence goes: its own period (nil: the team's or the service's), the requesting
/// team's period (nil: the service's), a legal hold, and when it closed (the last of its items to reach a final
/// state; nil while any is open).
public struct RequestRetention: Hashable, Sendable {
    public var days: Int?
    public var teamDays: Int?
    public var legalHold: LegalHold?
    public var closedAt: Date?

    public init(days: Int? = nil, teamDays: Int? = nil, legalHold: LegalHold? = nil, closedAt: Date? = nil) {
        self.days = days
        self.teamDays = teamDays
        self.legalHold = legalHold
        self.closedAt = closedAt
    }

    /// The problems of a change: a period outside `EvidenceRetentionPolicy.allowedDays`, a blank or overlong hold reason.
    public static func validate(days: Int?, legalHoldReason reason: String?) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if let days, !EvidenceRetentionPolicy.allowedDays.contains(days) {
            issues.append(ValidationIssue(path: "days", message: "must be between 1 and 3650 days (or null for the service's default)"))
        }
        if let reason, !(1...1_000).contains(reason.trimmingCharacters(in: .whitespacesAndNewlines).count) {
            issues.append(ValidationIssue(path: "legal_hold", message: "a legal hold needs a reason of 1 to 1,000 characters (or null to lift it)"))
        }
        return issues
    }
}

extension Principal {
    /// Whether the caller sets how long a request's evidence is kept and places or lifts legal holds: the requesting
    /// team (whose evidence it is) and admins. The same rule decides who sets a team's own period (`requesterOrg`:
    /// the team).
    public func mayGovernEvidence(requesterOrg: OrgID?) -> Bool {
        mayDownloadEvidence(requesterOrg: requesterOrg)
    }

    /// Whether the caller reads a team's own evidence period: those who set it, and auditors.
    public func mayReadTeamRetention(of team: OrgID) -> Bool {
        mayGovernEvidence(requesterOrg: team) || role == .auditor
    }
}
