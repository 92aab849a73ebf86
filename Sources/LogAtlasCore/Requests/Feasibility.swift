import Foundation

/// How a stretch of the requested window can be obtained.
public enum Availability: String, Sendable, Codable, CaseIterable {
    /// In a searchable tier: a query away.
    case searchable
    /// Held only on slower media (archive, tape, vendor): needs a restore or a ticket.
    case slow
    /// No tier holds it any more.
    case expired
}

/// One contiguous stretch of the window with the same availability.
public struct FeasibilitySegment: Hashable, Sendable, Codable {
    public var from: Date
    public var to: Date
    public var availability: Availability
    /// The fastest medium holding it (nil when expired).
    public var medium: StorageMedium?
    /// Expected hours to obtain it: the tier's retrieval time or the access procedure's lead time, whichever is longer.
    public var leadHours: Double?

    public init(from: Date, to: Date, availability: Availability, medium: StorageMedium?, leadHours: Double?) {
        self.from = from
        self.to = to
        self.availability = availability
        self.medium = medium
        self.leadHours = leadHours
    }
}

/// "Preserve before <date>": part of the window leaves a tier before the delivery is due.
public struct PreservationHold: Hashable, Sendable, Codable {
    /// Act before this moment (it may already have come: then preserve at once).
    public var before: Date
    /// The tier the data leaves.
    public var medium: StorageMedium
    /// Whether no longer tier holds the data afterwards (it is lost, not only slower).
    public var isLoss: Bool

    public init(before: Date, medium: StorageMedium, isLoss: Bool) {
        self.before = before
        self.medium = medium
        self.isLoss = isLoss
    }
}

/// The prediction for one source over the requested window.
public struct SourceFeasibility: Hashable, Sendable, Codable {
    public var sourceID: LogSourceID
    public var sourceName: String
    public var custodianOrgID: OrgID
    public var segments: [FeasibilitySegment]
    public var hold: PreservationHold?
    public var warnings: [String]

    public init(sourceID: LogSourceID, sourceName: String, custodianOrgID: OrgID, segments: [FeasibilitySegment], hold: PreservationHold?,
                warnings: [String]) {
        self.sourceID = sourceID
        self.sourceName = sourceName
        self.custodianOrgID = custodianOrgID
        self.segments = segments
        self.hold = hold
        self.warnings = warnings
    }

    /// Seconds of the window in each availability.
    public func seconds(_ availability: Availability) -> TimeInterval {
        segments.filter { $0.availability == availability }.reduce(0) { $0 + $1.to.timeIntervalSince($1.from) }
    }

    /// Whether nothing of the window can be obtained any more.
    public var isEntirelyExpired: Bool { segments.allSatisfy { $0.availability == .expired } }
    /// The longest lead time of any obtainable stretch.
    public var slowestLeadHours: Double? { segments.compactMap(\.leadHours).max() }
}

/// Predicts, from retention tiers and attestations, which part of a window is searchable, slow or gone.
public enum Feasibility {
    /// The prediction for `source` over `window` as of `now`; `deliverDue` decides whether a preservation hold is needed.
    public static func of(_ source: LogSource, window: TimeWindow, now: Date, deliverDue: Date) -> SourceFeasibility {
        let end = min(window.to, now)
        let tiers = effectiveTiers(of: source, now: now)
        let procedureLead = source.accessProcedure?.leadTimeHours ?? 0
        var cuts = Set([window.from, end])
        for tier in tiers {
            let cutoff = now.addingTimeInterval(-Double(tier.days) * 86_400)
            if cutoff > window.from, cutoff < end { cuts.insert(cutoff) }
        }
        let points = cuts.sorted()
        var segments: [FeasibilitySegment] = []
        for (start, stop) in zip(points, points.dropFirst()) {
            let holding = tiers.filter { now.addingTimeInterval(-Double($0.days) * 86_400) <= start }
            let segment: FeasibilitySegment
            if let best = holding.min(by: { rank($0) < rank($1) }) {
                segment = FeasibilitySegment(from: start, to: stop, availability: best.isSearchable ? .searchable : .slow,
                                             medium: best.medium, leadHours: max(best.effectiveRetrievalHours, procedureLead))
            } else {
                segment = FeasibilitySegment(from: start, to: stop, availability: .expired, medium: nil, leadHours: nil)
            }
            if let last = segments.last, last.availability == segment.availability, last.medium == segment.medium, last.leadHours == segment.leadHours {
                segments[segments.count - 1].to = stop
            } else {
                segments.append(segment)
            }
        }
        return SourceFeasibility(sourceID: source.id, sourceName: source.name, custodianOrgID: source.custodianOrgID, segments: segments,
                                 hold: hold(tiers: tiers, window: TimeWindow(from: window.from, to: end), now: now, deliverDue: deliverDue),
                                 warnings: warnings(for: source, segments: segments, now: now))
    }

    /// Tiers with their days capped at what the latest attestation showed, when it contradicts the declaration.
    static func effectiveTiers(of source: LogSource, now: Date) -> [RetentionTier] {
        let coverage = Coverage(of: source, now: now)
        guard coverage.attestationStatus == .drift, let attested = coverage.attestedDays else { return source.retentionTiers }
        return source.retentionTiers.map { tier in
            var capped = tier
            capped.days = min(tier.days, attested)
            return capped
        }.filter { $0.days > 0 }
    }

    /// Searchable tiers first, then the fastest.
    static func rank(_ tier: RetentionTier) -> (Int, Double, String) {
        (tier.isSearchable ? 0 : 1, tier.effectiveRetrievalHours, tier.medium.rawValue)
    }

    /// The earliest moment any record of the window leaves a tier holding it, if that comes before `deliverDue`.
    static func hold(tiers: [RetentionTier], window: TimeWindow, now: Date, deliverDue: Date) -> PreservationHold? {
        guard window.from < window.to else { return nil }
        let longest = tiers.map(\.days).max() ?? 0
        var earliest: PreservationHold?
        for tier in tiers {
            let cutoff = now.addingTimeInterval(-Double(tier.days) * 86_400)
            guard cutoff < window.to else { continue }
            // The oldest record of the window still in this tier leaves it `days` after it was written.
            let leaves = max(window.from, cutoff).addingTimeInterval(Double(tier.days) * 86_400)
            guard leaves < deliverDue else { continue }
            let candidate = PreservationHold(before: leaves, medium: tier.medium, isLoss: tier.days == longest)
            if earliest == nil || (candidate.before, candidate.isLoss ? 0 : 1) < (earliest!.before, earliest!.isLoss ? 0 : 1) {
                earliest = candidate
            }
        }
        return earliest
    }

    static func warnings(for source: LogSource, segments: [FeasibilitySegment], now: Date) -> [String] {
        var warnings: [String] = []
        let expired = segments.filter { $0.availability == .expired }
        if let first = expired.first, expired.count < segments.count {
            warnings.append("\(source.name): records before \(Self.format(expired.map(\.to).max() ?? first.to)) have expired and cannot be delivered")
        }
        switch Coverage(of: source, now: now).attestationStatus {
        case .unverified: warnings.append("\(source.name): retention has never been attested; the prediction rests on the declaration")
        case .stale: warnings.append("\(source.name): the latest retention attestation is stale")
        case .drift: warnings.append("\(source.name): the latest attestation shows less history than declared; the prediction uses the attested history")
        case .verified: break
        }
        return warnings
    }

    /// ISO 8601 in UTC, to the second.
    public static func format(_ date: Date) -> String { Timestamp.format(date) }
}
