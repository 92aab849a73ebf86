import Foundation
import LogAtlasCore
import Testing

@Suite("Derived retention values")
struct CoverageTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func source(_ tiers: [RetentionTier], attestation: Attestation? = nil) -> LogSource {
        LogSource(systemID: SystemID("s"), name: "n", logType: "network.firewall", custodianOrgID: OrgID("o"),
                  retentionTiers: tiers, latestAttestation: attestation)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let tiers: [RetentionTier]
        let covered: Int
        let searchable: Int
        /// (from, to, hours) per window.
        let windows: [[Double]]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "no tiers", tiers: [], covered: 0, searchable: 0, windows: []),
        Case(name: "SIEM + NAS + tape", tiers: [.init(medium: .siem, days: 90, isSearchable: true, retrievalHours: 1),
                                               .init(medium: .nas, days: 365, isSearchable: false),
                                               .init(medium: .tape, days: 2555, isSearchable: false, retrievalHours: 120)],
             covered: 2555, searchable: 90, windows: [[0, 90, 1], [90, 365, 8], [365, 2555, 120]]),
        Case(name: "defaults per medium", tiers: [.init(medium: .deviceLocal, days: 7, isSearchable: false),
                                                  .init(medium: .objectArchive, days: 400, isSearchable: false)],
             covered: 400, searchable: 0, windows: [[0, 400, 12]]),  // the archive (12 h) also holds the young data
        Case(name: "a slow short tier never beats a fast long one", tiers: [.init(medium: .tape, days: 30, isSearchable: false),
                                                                            .init(medium: .siem, days: 180, isSearchable: true)],
             covered: 180, searchable: 180, windows: [[0, 180, 1]]),
        Case(name: "two searchable tiers", tiers: [.init(medium: .siem, days: 30, isSearchable: true),
                                                   .init(medium: .logServer, days: 120, isSearchable: true)],
             covered: 120, searchable: 120, windows: [[0, 30, 1], [30, 120, 4]]),
    ]

    @Test(arguments: cases)
    func derivedValues(_ example: Case) {
        let coverage = Coverage(of: Self.source(example.tiers), now: Self.now)
        #expect(coverage.coveredDays == example.covered)
        #expect(coverage.searchableDays == example.searchable)
        #expect(coverage.retrievalWindows.map { [Double($0.fromDays), Double($0.toDays), $0.hours] } == example.windows)
    }

    @Test func retrievalHoursForAnAge() {
        let coverage = Coverage(of: Self.source(Self.cases[1].tiers), now: Self.now)
        #expect(coverage.retrievalHours(forDataDaysOld: 10) == 1)
        #expect(coverage.retrievalHours(forDataDaysOld: 200) == 8)
        #expect(coverage.retrievalHours(forDataDaysOld: 2000) == 120)
        #expect(coverage.retrievalHours(forDataDaysOld: 3000) == nil)
    }

    static func attestation(daysShown: Int, checkedDaysAgo: Int) -> Attestation {
        let checked = now.addingTimeInterval(-Double(checkedDaysAgo) * 86_400)
        return Attestation(oldestRecordAt: checked.addingTimeInterval(-Double(daysShown) * 86_400), checkedAt: checked, checkedBy: "x", method: "query")
    }

    @Test("attestation status", arguments: [
        (nil, AttestationStatus.unverified),
        (attestation(daysShown: 365, checkedDaysAgo: 10), .verified),
        (attestation(daysShown: 350, checkedDaysAgo: 10), .verified),  // within the 5% tolerance
        (attestation(daysShown: 40, checkedDaysAgo: 10), .drift),      // declared 365 d, only 40 d there
        (attestation(daysShown: 365, checkedDaysAgo: 200), .stale),
        (attestation(daysShown: 40, checkedDaysAgo: 200), .drift),     // contradiction outranks age
    ])
    func attestationStatus(_ attestation: Attestation?, _ expected: AttestationStatus) {
        let source = Self.source([.init(medium: .siem, days: 365, isSearchable: true)], attestation: attestation)
        let coverage = Coverage(of: source, now: Self.now)
        #expect(coverage.attestationStatus == expected)
        #expect(coverage.attestedDays == attestation?.attestedDays)
    }
}
