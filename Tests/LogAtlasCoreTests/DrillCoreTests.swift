import Foundation
import LogAtlasCore
import Testing

/// Retrieval drills: the windows at each tier's far edge, the periods, the verdict, and `drilled_within_days`.
@Suite("Retrieval drills")
struct DrillCoreTests {
    static let now = Timestamp.parse("2026-12-08T03:00:00Z")!
    static let vendor = OrgID("vendor"), other = OrgID("other")

    static let ssh = LogSource(systemID: SystemID("web"), name: "ssh", logType: "host.linux-auth", custodianOrgID: vendor,
                               retentionTiers: [RetentionTier(medium: .deviceLocal, days: 28, isSearchable: false, retrievalHours: 4),
                                                RetentionTier(medium: .tape, days: 1825, isSearchable: false, retrievalHours: 120),
                                                RetentionTier(medium: .nas, days: 1, isSearchable: false)],
                               accessProcedure: AccessProcedure(approvals: ["contract-manager"], leadTimeHours: 24, delivery: .vendorTicket))
    static let elsewhere = LogSource(systemID: SystemID("web"), name: "waf", logType: "network.waf", custodianOrgID: other,
                                     retentionTiers: [RetentionTier(medium: .siem, days: 30, isSearchable: true)])

    static func schedule(sources: [LogSourceID] = [], every: Int = 90) -> DrillSchedule {
        DrillSchedule(custodianOrgID: vendor, csirtOrgID: OrgID("csirt"), sourceIDs: sources, everyDays: every, windowHours: 2, createdBy: "cyd",
                      createdAt: now.addingTimeInterval(-100 * 86_400))
    }

    @Test("one window per tier of the custodian's sources, at the oldest full day it claims, with the time its declaration promises")
    func targets() {
        let targets = Self.schedule().targets(in: [Self.ssh, Self.elsewhere], now: Self.now)
        #expect(targets.map(\.tierIndex) == [0, 1])   // the one-day tier has no far edge to ask for; the other custodian's source is not drilled
        #expect(targets[0].window.from == Self.now.addingTimeInterval(-27 * 86_400) && targets[0].window.to == targets[0].window.from.addingTimeInterval(7_200))
        #expect(targets[1].window.from == Self.now.addingTimeInterval(-1_824 * 86_400) && targets[1].medium == .tape)
        #expect(targets.map(\.expectedHours) == [24, 120])   // the ticket's 24 h outweighs the device's 4 h
        #expect(targets.map(\.isLongest) == [false, true])   // only the tape's edge is the oldest record the source claims
        #expect(Self.schedule(sources: [Self.elsewhere.id]).targets(in: [Self.ssh, Self.elsewhere], now: Self.now).isEmpty)
    }

    @Test("periods: one drill per period, the calendar's next date")
    func periods() {
        let schedule = Self.schedule()
        #expect(schedule.period(at: Self.now) == 1)
        #expect(schedule.nextDue(after: Self.now) == schedule.createdAt.addingTimeInterval(180 * 86_400))
        #expect(schedule.period(at: schedule.createdAt) == 0 && schedule.period(at: schedule.createdAt.addingTimeInterval(-86_400)) == 0)
    }

    @Test("the verdict: (state, hours to deliver, declared) → outcome and reason")
    func verdicts() {
        let filed = Self.now
        let rows: [(ItemState, Double?, String?, DrillOutcome?, String?)] = [
            (.delivered, 20, nil, .passed, "delivered in 20 h (declared 24 h)"),
            (.received, 30.25, nil, .failed, "delivered in 30.3 h > declared 24 h"),
            (.rejected, nil, "rotated away after 14 days", .failed, "no data: rotated away after 14 days"),
            (.expired, nil, nil, .failed, "not answered before the item expired"),
            (.cancelled, nil, nil, .failed, "cancelled"),
            (.approved, nil, nil, nil, nil),
            (.needsInfo, nil, nil, nil, nil),
        ]
        for (state, hours, reason, outcome, text) in rows {
            let verdict = Drill.judge(state: state, filedAt: filed, deliveredAt: hours.map { filed.addingTimeInterval($0 * 3_600) }, rejectReason: reason,
                                      expectedHours: 24)
            #expect(verdict?.outcome == outcome && verdict?.reason == text, "\(state)")
        }
    }

    @Test("drilled_within_days: never, too long ago, recently")
    func requirement() {
        let requirement = Requirement(id: "drilled", title: "t", clause: "c", appliesTo: TargetSelector(), logTypes: .anyOf(["host.linux-auth"]),
                                      drilledWithinDays: 90)
        func shortfalls(_ daysAgo: Double?) -> [String] {
            var context = GapAnalysis.AccessContext()
            if let daysAgo { context.lastDrilled = [Self.ssh.id: Self.now.addingTimeInterval(-daysAgo * 86_400)] }
            return GapAnalysis.shortfalls(of: Self.ssh, for: requirement, now: Self.now, access: context).map(\.description)
        }
        #expect(shortfalls(nil) == ["never passed a retrieval drill (limit 90 d)"])
        #expect(shortfalls(100) == ["last passed drill 100 d ago (limit 90 d)"])
        #expect(shortfalls(10).isEmpty)
    }

    @Test("schedule rules and who schedules")
    func rules() {
        #expect(Self.schedule().issues().isEmpty)
        #expect(Self.schedule(every: 3).issues().map(\.path) == ["every_days"])
        var wide = Self.schedule()
        wide.windowHours = 48
        #expect(wide.issues().map(\.path) == ["window_hours"])
        let team = OrgID("csirt")
        #expect(Principal(userID: UserID(), name: "cyd", role: .csirt, orgIDs: [team]).mayScheduleDrills(for: team))
        #expect(!Principal(userID: UserID(), name: "eve", role: .csirt, orgIDs: [OrgID("red")]).mayScheduleDrills(for: team))
        #expect(!Principal(userID: UserID(), name: "cus", role: .custodian, orgIDs: [Self.vendor]).mayScheduleDrills(for: team))
        #expect(Principal.system().mayScheduleDrills(for: team))
    }
}
