import Foundation

/// Whether a source's declared retention is backed by a recent attestation.
public enum AttestationStatus: String, Sendable, Codable, CaseIterable {
    /// A recent attestation shows at least the declared history.
    case verified
    /// No attestation at all.
    case unverified
    /// The latest attestation shows less history than declared.
    case drift
    /// The latest attestation is older than the allowed age.
    case stale
}

/// The fastest way to reach data of a given age: `fromDays` (exclusive) to `toDays` (inclusive) back from now.
public struct RetrievalWindow: Hashable, Sendable {
    public var fromDays: Int
    public var toDays: Int
    public var hours: Double
    public var medium: StorageMedium

    public init(fromDays: Int, toDays: Int, hours: Double, medium: StorageMedium) {
        self.fromDays = fromDays
        self.toDays = toDays
        self.hours = hours
        self.medium = medium
    }
}

/// Values derived from a source's retention tiers and latest attestation.
public struct Coverage: Hashable, Sendable {
    /// Days of history the source covers: the longest tier.
    public var coveredDays: Int
    /// Days of history that are searchable in place: the longest searchable tier.
    public var searchableDays: Int
    /// For each age band, the fastest tier holding it.
    public var retrievalWindows: [RetrievalWindow]
    public var attestationStatus: AttestationStatus
    /// Days of history the latest attestation showed, if any.
    public var attestedDays: Int?

    /// An attestation older than this is stale.
    public static let defaultMaxAttestationAgeDays = 180
    /// An attestation may fall short of the declared retention by this fraction before it counts as drift.
    public static let driftTolerance = 0.05

    /// Derives coverage for `source` as of `now`.
    public init(of source: LogSource, now: Date, maxAttestationAgeDays: Int = Coverage.defaultMaxAttestationAgeDays) {
        let tiers = source.retentionTiers
        var covered: Int?, searchable: Int?
        for tier in tiers {
            covered = max(covered ?? tier.days, tier.days)
            if tier.isSearchable { searchable = max(searchable ?? tier.days, tier.days) }
        }
        coveredDays = covered ?? 0
        searchableDays = searchable ?? 0
        retrievalWindows = Coverage.windows(for: tiers)
        attestedDays = source.latestAttestation?.attestedDays
        attestationStatus = Coverage.status(of: source.latestAttestation, declaredDays: coveredDays,
                                            now: now, maxAgeDays: maxAttestationAgeDays)
    }

    /// Hours needed to reach data `daysBack` old, or `nil` when no tier holds it.
    public func retrievalHours(forDataDaysOld daysBack: Int) -> Double? {
        retrievalWindows.first { daysBack <= $0.toDays }?.hours
    }

    /// Splits the covered history into bands, each served by the fastest tier that reaches it.
    static func windows(for tiers: [RetentionTier]) -> [RetrievalWindow] {
        // Sources have a few tiers and this runs for every source and requirement: plain loops, no sets or filters.
        var boundaries: [Int] = []
        boundaries.reserveCapacity(tiers.count)
        for tier in tiers where tier.days > 0 && !boundaries.contains(tier.days) { boundaries.append(tier.days) }
        boundaries.sort()
        var windows: [RetrievalWindow] = []
        var start = 0
        for end in boundaries {
            // Any tier that holds data `end` days old also holds everything younger: the fastest of those (the
            // first of equals) serves this band.
            var fastest = tiers[0]
            var found = false
            for tier in tiers where tier.days >= end {
                if found, !((tier.effectiveRetrievalHours, tier.medium.rawValue) < (fastest.effectiveRetrievalHours, fastest.medium.rawValue)) {
                    continue
                }
                fastest = tier
                found = true
            }
            if let last = windows.last, last.hours == fastest.effectiveRetrievalHours, last.medium == fastest.medium {
                windows[windows.count - 1].toDays = end
            } else {
                windows.append(RetrievalWindow(fromDays: start, toDays: end, hours: fastest.effectiveRetrievalHours, medium: fastest.medium))
            }
            start = end
        }
        return windows
    }

    static func status(of attestation: Attestation?, declaredDays: Int, now: Date, maxAgeDays: Int) -> AttestationStatus {
        guard let attestation else { return .unverified }
        let shortfallAllowed = Int((Double(declaredDays) * driftTolerance).rounded(.up))
        if attestation.attestedDays + max(1, shortfallAllowed) < declaredDays { return .drift }
        if now.timeIntervalSince(attestation.checkedAt) > Double(maxAgeDays) * 86_400 { return .stale }
        return .verified
    }
}
