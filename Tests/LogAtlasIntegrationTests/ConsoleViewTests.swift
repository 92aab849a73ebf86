import Foundation
@testable import LogAtlasServer
import LogAtlasCore
import Testing

/// The console's view models: pure functions, no database.
@Suite("Console views")
struct ConsoleViewTests {
    let en = ConsoleStrings.strings(.en), ja = ConsoleStrings.strings(.ja)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func countdownsSayHowLongIsLeftOrHowLateToTheMinute() {
        #expect(ConsoleViews.countdown(due: now.addingTimeInterval(3 * 3_600 + 20 * 60 + 59), now: now, t: en) == "Due in 3 h 20 min")
        #expect(ConsoleViews.countdown(due: now.addingTimeInterval(-(2 * 3_600 + 5 * 60)), now: now, t: en) == "Overdue by 2 h 5 min")
        #expect(ConsoleViews.countdown(due: now.addingTimeInterval(26 * 3_600 + 59 * 60), now: now, t: en) == "Due in 1 d 2 h")
        #expect(ConsoleViews.countdown(due: now.addingTimeInterval(45 * 60), now: now, t: ja) == "残り 45 分")
        #expect(ConsoleViews.countdown(due: now.addingTimeInterval(-3 * 86_400), now: now, t: ja) == "期限超過 3 日 0 時間")
    }

    func request(_ incident: String, items: [RequestItem], requester: OrgID = OrgID("csirt")) -> RetrievalRequest {
        RetrievalRequest(draft: RequestDraft(incidentReference: incident, purpose: "p", priority: .serious,
                                             window: TimeWindow(from: now.addingTimeInterval(-86_400), to: now), sourceIDs: []),
                         requesterOrgID: requester, requestedBy: "cyd", filedAt: now, items: items)
    }

    func item(_ org: String, _ state: ItemState, acknowledgeIn: TimeInterval, deliverIn: TimeInterval) -> RequestItem {
        RequestItem(custodianOrgID: OrgID(org), sourceIDs: [], state: state, acknowledgeDue: now.addingTimeInterval(acknowledgeIn),
                    deliverDue: now.addingTimeInterval(deliverIn))
    }

    @Test func theInboxListsWhatWaitsForTheCustodianOverdueFirst() {
        let custodian = Principal(userID: UserID(), name: "it-ops", role: .custodian, orgIDs: [OrgID("corp-it")])
        let requests = [
            request("LATER", items: [item("corp-it", .acknowledged, acknowledgeIn: -10, deliverIn: 50 * 3_600)]),
            request("SOON", items: [item("corp-it", .requested, acknowledgeIn: 3_600, deliverIn: 70 * 3_600)]),
            request("LATE", items: [item("corp-it", .approved, acknowledgeIn: -90_000, deliverIn: -60)]),
            // Waits for the CSIRT, not the custodian: not in the inbox.
            request("ASKED", items: [item("corp-it", .needsInfo, acknowledgeIn: 60, deliverIn: 60)]),
            request("DONE", items: [item("corp-it", .delivered, acknowledgeIn: 60, deliverIn: 60)]),
            // Another organisation's item (as an admin would see the request): never in this custodian's inbox.
            request("OTHER", items: [item("netcare", .requested, acknowledgeIn: 60, deliverIn: 60)]),
        ]
        let inbox = ConsoleViews.inbox(requests, for: custodian, now: now, t: en)
        #expect(inbox.map(\.incident) == ["LATE", "SOON", "LATER"])
        #expect(inbox[0].overdue && inbox[0].countdown == "Overdue by 1 min" && inbox[0].dueWhat == "deliver")
        #expect(inbox[1].dueWhat == "acknowledge" && inbox[1].countdown == "Due in 1 h 0 min" && !inbox[1].overdue)
        #expect(inbox[2].state == "acknowledged")
    }

    @Test func openRequestsSayWhomEachItemWaitsFor() {
        let rows = ConsoleViews.openRequests([
            request("A", items: [item("corp-it", .needsInfo, acknowledgeIn: 60, deliverIn: 60), item("netcare", .approved, acknowledgeIn: 60, deliverIn: -1),
                                 item("digital", .received, acknowledgeIn: 60, deliverIn: 60)]),
            request("CLOSED", items: [item("corp-it", .received, acknowledgeIn: 60, deliverIn: 60)]),
        ], now: now, t: en)
        #expect(rows.map(\.incident) == ["A"])
        #expect(rows[0].items.map(\.waitsFor) == ["requesting team", "custodian", "nobody (closed)"])
        #expect(rows[0].items.map(\.overdue) == [false, true, false])
    }

    @Test func timelinesPlaceEachStretchAsAShareOfTheWindow() {
        let window = TimeWindow(from: now, to: now.addingTimeInterval(10 * 86_400))
        let feasibility = SourceFeasibility(sourceID: LogSourceID(), sourceName: "fw", custodianOrgID: OrgID("corp-it"), segments: [
            FeasibilitySegment(from: now, to: now.addingTimeInterval(2 * 86_400), availability: .expired, medium: nil, leadHours: nil),
            FeasibilitySegment(from: now.addingTimeInterval(2 * 86_400), to: now.addingTimeInterval(7 * 86_400), availability: .slow, medium: .tape, leadHours: 72),
            FeasibilitySegment(from: now.addingTimeInterval(7 * 86_400), to: now.addingTimeInterval(10 * 86_400), availability: .searchable, medium: .siem, leadHours: 1),
        ], hold: nil, warnings: [])
        let timeline = ConsoleViews.timeline(feasibility, window: window, t: en)
        #expect(timeline.segments.map(\.startPercent) == [0, 20, 70])
        #expect(timeline.segments.map(\.widthPercent) == [20, 50, 30])
        #expect(timeline.segments.map(\.availability) == ["expired", "slow", "searchable"])
        // Every bar is also written out, so colour is never the only signal.
        #expect(timeline.segments[1].label.contains("only on slower media") && timeline.segments[1].label.contains("72 h"))
        #expect(ConsoleViews.timeline(feasibility, window: window, t: ja).segments[0].label.contains("保存期間切れ"))
    }

    @Test func theDesksFormBecomesADraftOrNamesTheFieldsThatAreWrong() throws {
        let source = LogSourceID()
        var form = DeskForm(sources: [source.description], incident: " INC-1 ", purpose: "why\n", priority: "critical", from: "2026-12-01T10:00",
                            to: "2026-12-02T10:30:15", hosts: "a, b\nc  d", users: "", ips: "203.0.113.7", text: "  ")
        let draft = try ConsoleViews.draft(form).get()
        #expect(draft.incidentReference == "INC-1" && draft.purpose == "why" && draft.priority == .critical && draft.sourceIDs == [source])
        #expect(draft.window.from == Timestamp.parse("2026-12-01T10:00:00Z") && draft.window.to == Timestamp.parse("2026-12-02T10:30:15Z"))
        #expect(draft.hints.hosts == ["a", "b", "c", "d"] && draft.hints.users.isEmpty && draft.hints.ips == ["203.0.113.7"] && draft.hints.text == nil)
        form.from = "yesterday"
        form.priority = "urgent"
        form.sources.append("not-a-source")
        guard case .failure(.invalid(let issues)) = ConsoleViews.draft(form) else { Issue.record("accepted"); return }
        #expect(issues.map(\.path) == ["window.from", "priority", "sources"])
        #expect(ConsoleViews.localField(Date(timeIntervalSince1970: 1_800_000_000)) == "2027-01-15T08:00")
    }

    @Test func everyStringATemplateNamesExistsInBothLanguages() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/LogAtlasServer/Console/templates")
        var named = Set<String>()
        for file in try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil) where file.pathExtension == "mustache" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: /\{\{\s*(?:layout\.)?t\.([a-z_]+)\s*\}\}/) { named.insert(String(match.1)) }
        }
        #expect(named.count > 40)
        // A key written twice would crash the table at first use; read the source to say which.
        let source = try String(contentsOf: folder.deletingLastPathComponent().appendingPathComponent("ConsoleStrings.swift"), encoding: .utf8)
        let keys = source.matches(of: /\n\s+"([a-z_0-9]+)": \(/).map { String($0.1) }
        #expect(Set(keys).count == keys.count, "written twice: \(Dictionary(grouping: keys, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted())")
        #expect(named.subtracting(ConsoleStrings.table.keys).isEmpty, "missing: \(named.subtracting(ConsoleStrings.table.keys).sorted())")
        for (key, value) in ConsoleStrings.table {
            #expect(!value.en.isEmpty && !value.ja.isEmpty, "\(key)")
        }
        // Keys made in Swift: every state, action, priority and availability.
        for key in ItemState.allCases.map({ "state_" + $0.rawValue }) + ItemAction.allCases.map({ "action_" + $0.rawValue })
            + Priority.allCases.map({ "priority_" + $0.rawValue }) + Availability.allCases.map({ "availability_" + $0.rawValue })
            + Role.allCases.map({ "role_" + $0.rawValue }) {
            #expect(ConsoleStrings.table[key] != nil, "\(key)")
        }
    }

    @Test(arguments: [("ja-JP,ja;q=0.9,en;q=0.8", ConsoleLanguage.ja), ("en-GB,en;q=0.9", .en), ("fr-FR, ja;q=0.3, en;q=0.2", .ja),
                      ("fr", .en), ("", .en), ("ja;q=0, en", .en), ("*", .en), ("EN-us", .en), ("ja;q=0.5, en;q=0.9", .en)])
    func theLanguageIsTheFirstSupportedOneByQuality(_ header: String, _ expected: ConsoleLanguage) {
        #expect(ConsoleLanguage.preferred(acceptLanguage: header) == expected, "\(header)")
    }

    @Test func theTrendPlacesEachRunByTimeAndScoreAndSaysItInWords() {
        func run(_ days: Double, met: Int, missing: Int, policy: String = "ir-baseline") -> TrendPoint {
            TrendPoint(reportID: UUID(), createdAt: now.addingTimeInterval(days * 86_400), policyID: policy,
                       score: GapReport.Score(met: met, partial: 0, missing: missing, weighted: Double(met), total: Double(met + missing)))
        }
        let charts = ConsoleViews.trend([run(10, met: 3, missing: 1), run(0, met: 1, missing: 3), run(5, met: 2, missing: 2),
                                         run(3, met: 1, missing: 0, policy: "cis-v8-control-8")], t: en)
        #expect(charts.map(\.policy) == ["cis-v8-control-8", "ir-baseline"])
        let line = charts[1]
        // By time: first at the left edge of the plot (x 44), last at the right (348), the middle run halfway; by score:
        // 100 % at the top (y 10), 0 % at the bottom (y 100).
        #expect(line.dots.map(\.x) == [44, 196, 348] && line.dots.map(\.y) == [78, 55, 33])
        #expect(line.line == "44,78 196,55 348,33")
        #expect(line.summary == "ir-baseline: latest 75.0 % (met/partial/missing 3/0/1), stored reports: 3 · change since the first +50.0 points")
        #expect(line.dots[2].title.hasSuffix(": 75.0 % — met/partial/missing 3/0/1"))
        // One run: in the middle, no change to report.
        #expect(charts[0].dots.map(\.x) == [196] && charts[0].dots.map(\.y) == [10])
        #expect(charts[0].summary == "cis-v8-control-8: latest 100.0 % (met/partial/missing 1/0/0), stored reports: 1")
        #expect(ConsoleViews.trend([run(0, met: 1, missing: 1)], t: ja)[0].summary.contains("最新 50.0 %"))
    }
}
