import Foundation

/// A standing retrieval exercise: every `everyDays` the CSIRT team asks a custodian organisation for a small window at
/// the far edge of each tier its sources declare (the oldest day the tier claims to keep). The answer says whether
/// the tier really holds that day and delivers it within its declared retrieval time.
public struct DrillSchedule: Sendable, Hashable {
    public var id: UUID
    public var custodianOrgID: OrgID
    /// The team that files the drills and receives the samples.
    public var csirtOrgID: OrgID
    /// The sources drilled; empty: every source the organisation holds.
    public var sourceIDs: [LogSourceID]
    public var everyDays: Int
    /// How much of the oldest day is asked for.
    public var windowHours: Double
    public var createdBy: String
    public var createdAt: Date

    public init(id: UUID = UUID(), custodianOrgID: OrgID, csirtOrgID: OrgID, sourceIDs: [LogSourceID] = [], everyDays: Int, windowHours: Double = 1,
                createdBy: String, createdAt: Date) {
        self.id = id
        self.custodianOrgID = custodianOrgID
        self.csirtOrgID = csirtOrgID
        self.sourceIDs = sourceIDs
        self.everyDays = everyDays
        self.windowHours = windowHours
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    public func issues() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if !(7...3_650).contains(everyDays) { issues.append(.init(path: "every_days", message: "between 7 and 3650")) }
        if !(windowHours > 0 && windowHours <= 24) { issues.append(.init(path: "window_hours", message: "more than 0 and at most 24")) }
        if sourceIDs.count > 500 { issues.append(.init(path: "sources", message: "at most 500")) }
        return issues
    }

    /// The period `now` falls in: 0 from creation until `everyDays` later, and so on. One drill per period.
    public func period(at now: Date) -> Int { max(0, Int(now.timeIntervalSince(createdAt) / (Double(everyDays) * 86_400))) }

    /// When the next period starts (the drill calendar).
    public func nextDue(after now: Date) -> Date { createdAt.addingTimeInterval(Double(period(at: now) + 1) * Double(everyDays) * 86_400) }

    /// What a drill filed now asks for: per source in scope and per tier keeping at least two days, `windowHours` of
    /// the oldest full day the tier claims, and the time its declaration promises (the tier's retrieval time or the
    /// access procedure's lead time, whichever is longer).
    public func targets(in sources: [LogSource], now: Date) -> [DrillTarget] {
        sources.filter { $0.custodianOrgID == custodianOrgID && (sourceIDs.isEmpty || sourceIDs.contains($0.id)) }.flatMap { source in
            let longest = source.retentionTiers.map(\.days).max() ?? 0
            return source.retentionTiers.enumerated().compactMap { index, tier -> DrillTarget? in
                guard tier.days >= 2 else { return nil }
                let from = now.addingTimeInterval(-Double(tier.days - 1) * 86_400)
                return DrillTarget(sourceID: source.id, tierIndex: index, medium: tier.medium, tierDays: tier.days,
                                   window: TimeWindow(from: from, to: from.addingTimeInterval(windowHours * 3_600)),
                                   expectedHours: max(tier.effectiveRetrievalHours, source.accessProcedure?.leadTimeHours ?? 0),
                                   isLongest: tier.days == longest)
            }
        }
    }
}

/// One tier of one source to drill.
public struct DrillTarget: Sendable, Hashable {
    public var sourceID: LogSourceID
    public var tierIndex: Int
    public var medium: StorageMedium
    public var tierDays: Int
    public var window: TimeWindow
    /// Hours the declaration promises for delivering it.
    public var expectedHours: Double
    /// Whether the tier keeps the longest: its edge is the oldest record the source claims, so a pass attests it
    /// (an edge of a shorter tier says nothing about the source's retention).
    public var isLongest: Bool

    public init(sourceID: LogSourceID, tierIndex: Int, medium: StorageMedium, tierDays: Int, window: TimeWindow, expectedHours: Double,
                isLongest: Bool = false) {
        self.isLongest = isLongest
        self.sourceID = sourceID
        self.tierIndex = tierIndex
        self.medium = medium
        self.tierDays = tierDays
        self.window = window
        self.expectedHours = expectedHours
    }
}

public enum DrillOutcome: String, Sendable, Hashable, CaseIterable {
    case pending, passed, failed
}

/// One drill filed for one tier, and how it went.
public struct Drill: Sendable, Hashable {
    public var id: UUID
    public var scheduleID: UUID
    public var period: Int
    public var target: DrillTarget
    public var requestID: RequestID?
    public var itemID: RequestItemID?
    public var filedAt: Date?
    public var outcome: DrillOutcome
    public var reason: String?
    public var judgedAt: Date?

    public init(id: UUID = UUID(), scheduleID: UUID, period: Int, target: DrillTarget, requestID: RequestID? = nil, itemID: RequestItemID? = nil,
                filedAt: Date? = nil, outcome: DrillOutcome = .pending, reason: String? = nil, judgedAt: Date? = nil) {
        self.id = id
        self.scheduleID = scheduleID
        self.period = period
        self.target = target
        self.requestID = requestID
        self.itemID = itemID
        self.filedAt = filedAt
        self.outcome = outcome
        self.reason = reason
        self.judgedAt = judgedAt
    }

    /// The verdict once the custodian answered: delivered within the declared time (the data is there and fast
    /// enough), delivered late, rejected (the data is not there, in the custodian's words), or never answered. Nil while
    /// the item is still open.
    public static func judge(state: ItemState, filedAt: Date, deliveredAt: Date?, rejectReason: String?,
                             expectedHours: Double) -> (outcome: DrillOutcome, reason: String)? {
        switch state {
        case .delivered, .received:
            let hours = ((deliveredAt ?? filedAt).timeIntervalSince(filedAt) / 3_600 * 10).rounded() / 10
            return hours <= expectedHours
                ? (.passed, "delivered in \(Shortfall.number(hours)) h (declared \(Shortfall.number(expectedHours)) h)")
                : (.failed, "delivered in \(Shortfall.number(hours)) h > declared \(Shortfall.number(expectedHours)) h")
        case .rejected: return (.failed, "no data: \(rejectReason ?? "rejected")")
        case .expired: return (.failed, "not answered before the item expired")
        case .cancelled: return (.failed, "cancelled")
        default: return nil
        }
    }
}

extension Principal {
    /// Whether the caller may schedule drills filed by `team`: an admin, or a member of that CSIRT team.
    public func mayScheduleDrills(for team: OrgID) -> Bool {
        role == .admin || (role == .csirt && orgIDs.contains(team))
    }
}

/// Drill schedules and drills in storage. The CSIRT, auditors and admins see all; a custodian its organisations'.
public protocol DrillRepository: Sendable {
    func schedules(as caller: Principal) async throws -> [DrillSchedule]
    func drills(as caller: Principal) async throws -> [Drill]
    func schedule(_ schedule: DrillSchedule, as caller: Principal) async throws -> DrillSchedule
    /// The last time each source passed a drill (for `drilled_within_days`).
    func lastPassed(as caller: Principal) async throws -> [LogSourceID: Date]
}
