import Foundation

/// Median and 90th percentile of a set of durations in hours (linear interpolation, as PostgreSQL's percentile_cont).
public struct Distribution: Hashable, Sendable {
    public var count: Int
    public var medianHours: Double
    public var p90Hours: Double

    /// nil for an empty set.
    public static func of(_ hours: [Double]) -> Distribution? {
        guard !hours.isEmpty else { return nil }
        let sorted = hours.sorted()
        return Distribution(count: sorted.count, medianHours: percentile(0.5, of: sorted), p90Hours: percentile(0.9, of: sorted))
    }

    static func percentile(_ fraction: Double, of sorted: [Double]) -> Double {
        let position = fraction * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = Int(position.rounded(.up))
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }
}

/// What the friction report needs of one item.
public struct FrictionSample: Hashable, Sendable {
    public var custodianOrgID: OrgID
    public var sourceIDs: [LogSourceID]
    public var state: ItemState
    public var filedAt: Date
    public var acknowledgeDue: Date
    public var deliverDue: Date
    public var acknowledgedAt: Date?
    public var deliveredAt: Date?
    /// When it was rejected, cancelled, received or expired.
    public var closedAt: Date?

    public init(custodianOrgID: OrgID, sourceIDs: [LogSourceID], state: ItemState, filedAt: Date, acknowledgeDue: Date, deliverDue: Date,
                acknowledgedAt: Date?, deliveredAt: Date?, closedAt: Date?) {
        self.custodianOrgID = custodianOrgID
        self.sourceIDs = sourceIDs
        self.state = state
        self.filedAt = filedAt
        self.acknowledgeDue = acknowledgeDue
        self.deliverDue = deliverDue
        self.acknowledgedAt = acknowledgedAt
        self.deliveredAt = deliveredAt
        self.closedAt = closedAt
    }

    /// Whether a deadline has been missed as of `now` (nil: too early to say).
    public func breach(now: Date) -> Bool? {
        // A rejection answers the request: it counts as the acknowledgement, and nothing is owed afterwards.
        let answered = acknowledgedAt ?? (state == .rejected ? closedAt : nil)
        let acknowledgeLate = (answered ?? now) > acknowledgeDue
        let owesDelivery = ![.rejected, .cancelled].contains(state)
        let deliverLate = owesDelivery && (deliveredAt ?? now) > deliverDue
        if acknowledgeLate || deliverLate { return true }
        let settled = deliveredAt != nil || state.isTerminal
        return settled ? false : nil
    }
}

/// How hard it is to get logs out of each organisation and source: times to acknowledge and deliver, SLA breaches,
/// and declared versus measured lead time.
public struct FrictionReport: Hashable, Sendable {
    public struct OrgRow: Hashable, Sendable {
        public var orgID: OrgID
        public var items: Int
        /// Items not yet closed.
        public var open = 0
        public var acknowledge: Distribution?
        public var deliver: Distribution?
        /// Items whose outcome is known (settled or past a deadline) and how many of them missed one.
        public var judged: Int
        public var breached: Int
        public var breachRate: Double? { judged > 0 ? Double(breached) / Double(judged) : nil }
    }

    public struct SourceRow: Hashable, Sendable {
        public var sourceID: LogSourceID
        public var name: String
        public var custodianOrgID: OrgID
        /// The access procedure's lead time, as the inventory declares it.
        public var declaredLeadHours: Double?
        /// Filing to delivery of the delivered items that included the source.
        public var measured: Distribution?
    }

    public var orgs: [OrgRow]
    public var sources: [SourceRow]

    /// Computes the report from `samples` as of `now`; `sources` names the sources and their declared lead times.
    public static func compute(_ samples: [FrictionSample], sources: [LogSourceID: LogSource], now: Date) -> FrictionReport {
        let hours = { (from: Date, to: Date) in to.timeIntervalSince(from) / 3_600 }
        let orgs = Dictionary(grouping: samples, by: \.custodianOrgID).map { org, items in
            let verdicts = items.compactMap { $0.breach(now: now) }
            return OrgRow(orgID: org, items: items.count, open: items.filter { !$0.state.isTerminal }.count,
                          acknowledge: .of(items.compactMap { item in item.acknowledgedAt.map { hours(item.filedAt, $0) } }),
                          deliver: .of(items.compactMap { item in item.deliveredAt.map { hours(item.filedAt, $0) } }),
                          judged: verdicts.count, breached: verdicts.filter { $0 }.count)
        }.sorted { $0.orgID < $1.orgID }
        var delivered: [LogSourceID: [Double]] = [:]
        for item in samples {
            for source in item.sourceIDs { delivered[source, default: []] += item.deliveredAt.map { [hours(item.filedAt, $0)] } ?? [] }
        }
        let rows = delivered.keys.compactMap { id -> SourceRow? in
            guard let source = sources[id] else { return nil }
            return SourceRow(sourceID: id, name: source.name, custodianOrgID: source.custodianOrgID,
                             declaredLeadHours: source.accessProcedure?.leadTimeHours, measured: .of(delivered[id] ?? []))
        }.sorted { ($0.custodianOrgID, $0.name, $0.sourceID.description) < ($1.custodianOrgID, $1.name, $1.sourceID.description) }
        return FrictionReport(orgs: orgs, sources: rows)
    }
}
