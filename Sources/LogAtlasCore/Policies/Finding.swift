import Foundation

/// How well a requirement is met for one target.
public enum FindingStatus: String, Sendable, Codable, Comparable, CaseIterable {
    case missing, partial, met

    var rank: Int { switch self { case .missing: 0; case .partial: 1; case .met: 2 } }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// One named way in which a source falls short, with its numbers.
public enum Shortfall: Sendable, Hashable, CustomStringConvertible {
    case retention(have: Int, need: Int, attested: Bool)
    case searchable(have: Int, need: Int)
    case retrieval(hours: Double, limit: Double, medium: StorageMedium, windowDays: Int)
    /// Delivered requests took longer than the limit (judged on the measurement once there are enough samples).
    case measuredRetrieval(hours: Double, limit: Double, samples: Int)
    /// The access procedure's declared lead time (with its approvals) exceeds the limit, whatever the medium.
    case accessLeadTime(hours: Double, limit: Double, approvals: Int)
    case fieldsMissing([String])
    case clockNotSynchronised
    case attestationMissing
    case attestationStale(ageDays: Int, limit: Int)
    case attestationDrift(declared: Int, attested: Int)
    case logTypesMissing([String])
    /// Obtaining the logs in an incident of `severity` takes longer than the limit: the CSIRT cannot search them
    /// itself, and neither a standing agreement (its promise, when there is one) nor the declared lead time is fast enough.
    case access(hours: Double, limit: Double, severity: Priority, approvals: Int, agreementHours: Double?)
    /// The source's probe has not reported, or reported no new record, for longer than its expected interval.
    case silent(hours: Double, expectedHours: Double)
    /// These action-card cells ("100/serious") name nobody responsible with a contact.
    case noResponsibleContact(cells: [String])
    /// No retrieval drill passed within the limit (`daysAgo` nil: never).
    case notDrilled(daysAgo: Int?, limit: Int)

    public var description: String {
        switch self {
        case .retention(let have, let need, let attested): "retention \(have) d < \(need) d required\(attested ? " (attested)" : "")"
        case .searchable(let have, let need): "searchable \(have) d < \(need) d"
        case .retrieval(let hours, let limit, let medium, let window):
            "retrieval from \(medium.rawValue) \(Self.number(hours)) h > \(Self.number(limit)) h for the last \(window) d"
        case .measuredRetrieval(let hours, let limit, let samples):
            "measured lead time \(Self.number(hours)) h (median of \(samples) requests) > \(Self.number(limit)) h"
        case .accessLeadTime(let hours, let limit, let approvals):
            "declared lead time \(Self.number(hours)) h\(approvals > 0 ? ", \(approvals) approval\(approvals == 1 ? "" : "s")" : "") > \(Self.number(limit)) h"
        case .fieldsMissing(let fields): "fields missing: \(fields.joined(separator: ", "))"
        case .clockNotSynchronised: "clock not synchronised"
        case .attestationMissing: "retention never attested"
        case .attestationStale(let age, let limit): "unverified since \(age) d (limit \(limit) d)"
        case .attestationDrift(let declared, let attested): "attested \(attested) d contradicts declared \(declared) d"
        case .logTypesMissing(let types): "no source of \(types.joined(separator: ", "))"
        case .access(let hours, let limit, let severity, let approvals, let agreement):
            if let agreement {
                "standing agreement promises \(Self.number(agreement)) h > \(Self.number(limit)) h for \(severity.rawValue)"
            } else {
                "declared lead time \(Self.number(hours)) h\(approvals > 0 ? ", \(approvals) approval\(approvals == 1 ? "" : "s")" : ""), "
                    + "no standing agreement ≤ \(Self.number(limit)) h for \(severity.rawValue)"
            }
        case .silent(let hours, let expected): "silent for \(Self.number(hours)) h (expected every \(Self.number(expected)) h)"
        case .noResponsibleContact(let cells): "no responsible contact on the action card for \(cells.joined(separator: ", "))"
        case .notDrilled(let days, let limit): days.map { "last passed drill \($0) d ago (limit \(limit) d)" } ?? "never passed a retrieval drill (limit \(limit) d)"
        }
    }

    /// How far short, from 0 (barely) to 1 (entirely).
    public var severity: Double {
        switch self {
        case .retention(let have, let need, _): need > 0 ? Double(need - have) / Double(need) : 0
        case .searchable(let have, let need): need > 0 ? Double(need - have) / Double(need) : 0
        case .retrieval(let hours, let limit, _, _), .measuredRetrieval(let hours, let limit, _), .accessLeadTime(let hours, let limit, _),
             .access(let hours, let limit, _, _, _):
            hours > 0 ? min(1, (hours - limit) / hours) : 0
        case .fieldsMissing: 0.4
        case .clockNotSynchronised: 0.5
        case .attestationMissing, .attestationStale: 0.3
        case .attestationDrift(let declared, let attested): declared > 0 ? min(1, Double(declared - attested) / Double(declared)) : 0
        case .logTypesMissing: 1
        case .silent: 0.6
        case .noResponsibleContact: 0.7
        case .notDrilled: 0.3
        }
    }

    /// The shortfall with only what the remediation wording uses: equal keys give the same words.
    var wordingKey: Shortfall {
        switch self {
        case .logTypesMissing: .logTypesMissing([])
        case .attestationStale: .attestationMissing
        case .measuredRetrieval(let hours, let limit, _): .measuredRetrieval(hours: hours, limit: limit, samples: 0)
        case .silent(_, let expected): .silent(hours: 0, expectedHours: expected)
        case .notDrilled(_, let limit): .notDrilled(daysAgo: nil, limit: limit)
        default: self
        }
    }

    static func number(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value) }
}

/// What a requirement is evaluated against: a system, or an organisation for org-wide requirements.
public struct Target: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable { case system, org }
    public var kind: Kind
    public var id: String
    /// The organisation the target belongs to (a system's owner, or the organisation itself).
    public var orgID: OrgID

    public init(kind: Kind, id: String, orgID: OrgID) {
        self.kind = kind
        self.id = id
        self.orgID = orgID
    }

    public var description: String { id }
    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.kind.rawValue, lhs.id) < (rhs.kind.rawValue, rhs.id) }
}

/// The result of evaluating one requirement against one target.
public struct Finding: Sendable, Hashable {
    public var policyID: String
    /// The requirement, shared by all its findings: a report holds tens of thousands of findings, and copying a
    /// requirement's dozen texts and lists with every finding dominated rolling them up.
    public var requirement: Requirement {
        get { requirementBox.value }
        set { requirementBox = RequirementBox(newValue) }
    }
    var requirementBox: RequirementBox
    public var target: Target
    public var status: FindingStatus
    /// Shortfalls of the source(s) that counted; for `missing`, the types nobody logs.
    public var shortfalls: [Shortfall]
    /// The sources that counted (the best one per required type).
    public var sourceIDs: [LogSourceID]
    /// Per shortfall, the log type it concerns (for remediation wording).
    public var shortfallLogTypes: [String]
    /// The incidents that showed this shortfall in practice (open observed gaps on the target and its log types).
    public var observedIn: [String]
    /// The observed gap this finding judges (the findings of the `observed` pseudo-policy).
    public var observedGapID: UUID?

    public init(policyID: String, requirement: Requirement, target: Target, status: FindingStatus, shortfalls: [Shortfall],
                sourceIDs: [LogSourceID], shortfallLogTypes: [String], observedIn: [String] = [], observedGapID: UUID? = nil) {
        self.init(policyID: policyID, requirement: RequirementBox(requirement), target: target, status: status, shortfalls: shortfalls,
                  sourceIDs: sourceIDs, shortfallLogTypes: shortfallLogTypes)
        self.observedIn = observedIn
        self.observedGapID = observedGapID
    }

    init(policyID: String, requirement: RequirementBox, target: Target, status: FindingStatus, shortfalls: [Shortfall],
         sourceIDs: [LogSourceID], shortfallLogTypes: [String]) {
        self.observedIn = []
        self.observedGapID = nil
        self.policyID = policyID
        self.requirementBox = requirement
        self.target = target
        self.status = status
        self.shortfalls = shortfalls
        self.sourceIDs = sourceIDs
        self.shortfallLogTypes = shortfallLogTypes
    }

    /// 1 for met, 0.5 for partial, 0 for missing.
    public var value: Double { switch status { case .met: 1; case .partial: 0.5; case .missing: 0 } }
}

/// An immutable requirement shared by reference; equal and hashed by value.
final class RequirementBox: Sendable, Hashable {
    let value: Requirement
    init(_ value: Requirement) { self.value = value }
    static func == (lhs: RequirementBox, rhs: RequirementBox) -> Bool { lhs === rhs || lhs.value == rhs.value }
    func hash(into hasher: inout Hasher) { hasher.combine(value) }
}
