import Foundation
import LogAtlasCore
import LogAtlasFormats
import Testing

/// Live source probes: reading the time of a record in each local format, scanning files chunk by chunk, and what a
/// heartbeat means for a source (silent or not, the attestation it makes, the gap-report shortfall).
@Suite("Live source probes")
struct ProbeCoreTests {
    static let now = Timestamp.parse("2026-12-08T02:00:00Z")!

    @Test("the time of one line: (format, line) → instant, or nothing")
    func timestamps() {
        let rows: [(LogFormat, String, String?)] = [
            (.nginx, #"203.0.113.7 - - [08/Dec/2026:01:46:28 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.5""#, "2026-12-08T01:46:28Z"),
            (.apache, #"198.51.100.2 - bob [07/Dec/2026:20:00:00 -0500] "POST /login HTTP/1.1" 302 -"#, "2026-12-08T01:00:00Z"),
            (.nginx, #"203.0.113.7 - - [31/Feb/2026:01:46:28 +0000] "GET /""#, nil),
            (.nginx, "no brackets here", nil),
            (.syslog, "2026-12-08T01:46:28.123456+09:00 web-1 sshd[811]: Accepted publickey for deploy", "2026-12-07T16:46:28.123456Z"),
            (.syslog, "Dec  8 01:46:28 web-1 sshd[811]: Accepted publickey for deploy", "2026-12-08T01:46:28Z"),
            // Year-less and later in the year than the probe's clock: last year's.
            (.syslog, "Dec 30 23:59:59 web-1 cron[1]: job", "2025-12-30T23:59:59Z"),
            (.syslog, "Feb 30 10:00:00 web-1 cron[1]: job", nil),
            (.syslog, "-- MARK --", nil),
            (.journald, "__REALTIME_TIMESTAMP=1796695588000000", "2026-12-08T02:06:28Z"),
            (.journald, "MESSAGE=Accepted publickey", nil),
            (.jsonl, #"{"@timestamp":"2026-12-08T01:46:28Z","message":"x"}"#, "2026-12-08T01:46:28Z"),
            (.jsonl, #"{"ts":1796695588.5,"level":"info"}"#, "2026-12-08T02:06:28.5Z"),
            (.jsonl, #"{"time":1796695588000}"#, "2026-12-08T02:06:28Z"),
            (.jsonl, #"{"__REALTIME_TIMESTAMP":"1796695588000000","MESSAGE":"x"}"#, "2026-12-08T02:06:28Z"),
            (.jsonl, #"{"message":"no time"}"#, nil),
            (.jsonl, "not json", nil),
        ]
        for (format, line, expected) in rows {
            let date = LogFileScan.timestamp(of: line, format: format, reference: Self.now)
            #expect(date.map { Timestamp.format($0, fractional: true) } == expected.map { Timestamp.format(Timestamp.parse($0)!, fractional: true) },
                    "\(format): \(line)")
        }
    }

    @Test("a scan fed in small chunks counts the same as one fed whole: oldest, newest, records, bytes, unreadable lines")
    func chunkedScan() {
        let lines = [
            #"203.0.113.7 - - [01/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1"#,
            #"203.0.113.8 - - [08/Dec/2026:01:00:00 +0000] "GET /a HTTP/1.1" 200 2"#,
            "garbage line",
            "",
            #"203.0.113.9 - - [24/Nov/2026:00:00:00 +0000] "GET /b HTTP/1.1" 404 3"#,
        ]
        let bytes = Array(lines.joined(separator: "\n").utf8)   // the last line has no newline
        var whole = LogFileScan(format: .nginx, reference: Self.now)
        whole.feed(bytes)
        whole.finish()
        var chunked = LogFileScan(format: .nginx, reference: Self.now)
        for start in stride(from: 0, to: bytes.count, by: 7) { chunked.feed(bytes[start..<min(start + 7, bytes.count)]) }
        chunked.finish()
        for scan in [whole, chunked] {
            #expect(scan.oldest == Timestamp.parse("2026-11-24T00:00:00Z") && scan.newest == Timestamp.parse("2026-12-08T01:00:00Z"))
            #expect(scan.records == 3 && scan.unreadable == 1)
            #expect(scan.bytes == Int64(bytes.count + 1 - 1))   // every non-empty line and its newline; the empty line counts nothing
        }
    }

    @Test("journald export: one record per entry, every field's bytes counted")
    func journaldExport() {
        let export = "__CURSOR=s=1\n__REALTIME_TIMESTAMP=1796000000000000\nMESSAGE=one\n\n__CURSOR=s=2\n__REALTIME_TIMESTAMP=1796600000000000\nMESSAGE=two\n\n"
        var scan = LogFileScan(format: .journald, reference: Self.now)
        scan.feed(Array(export.utf8))
        scan.finish()
        #expect(scan.records == 2 && scan.unreadable == 0 && scan.bytes == Int64(export.utf8.count - 2))
        #expect(scan.oldest == Date(timeIntervalSince1970: 1_796_000_000) && scan.newest == Date(timeIntervalSince1970: 1_796_600_000))
    }

    @Test("silent: (received, newest record, interval) → hours quiet, or nil")
    func silence() {
        let rows: [(receivedHoursAgo: Double, newestHoursAgo: Double?, interval: Double, silent: Double?)] = [
            (2, 1, 24, nil),
            (30, 29, 24, 30),     // the probe stopped reporting
            (0, 50, 24, 50),      // the probe runs, the logging stopped
            (0, 0.5, 1, nil),
            (0, 1.5, 1, 1.5),
            (0, nil, 24, nil),    // no records at all: silent since ever (checked below)
        ]
        for row in rows {
            let newest = row.newestHoursAgo.map { Self.now.addingTimeInterval(-$0 * 3_600) }
            let heartbeat = Heartbeat(sourceID: LogSourceID(), receivedAt: Self.now.addingTimeInterval(-row.receivedHoursAgo * 3_600), reportedBy: "cus",
                                      report: ProbeReport(oldestRecordAt: newest.map { $0.addingTimeInterval(-86_400) }, newestRecordAt: newest,
                                                          records: newest == nil ? 0 : 10, bytes: 1_000, files: 1, expectedIntervalHours: row.interval))
            if row.newestHoursAgo == nil {
                #expect(heartbeat.silence(now: Self.now) != nil)
            } else {
                #expect(heartbeat.silence(now: Self.now) == row.silent, "\(row)")
            }
        }
    }

    @Test("report rules: (report) → issue paths")
    func reportIssues() {
        let old = Self.now.addingTimeInterval(-86_400)
        let rows: [(ProbeReport, [String])] = [
            (ProbeReport(oldestRecordAt: old, newestRecordAt: Self.now, records: 10, bytes: 100, files: 2), []),
            (ProbeReport(oldestRecordAt: nil, newestRecordAt: nil, records: 0, bytes: 0, files: 1), []),
            (ProbeReport(oldestRecordAt: nil, newestRecordAt: nil, records: 5, bytes: 0, files: 1), ["oldest_record_at"]),
            (ProbeReport(oldestRecordAt: old, newestRecordAt: nil, records: 5, bytes: 0, files: 1), ["oldest_record_at"]),
            (ProbeReport(oldestRecordAt: Self.now, newestRecordAt: old, records: 5, bytes: 0, files: 1), ["oldest_record_at"]),
            (ProbeReport(oldestRecordAt: old, newestRecordAt: Self.now.addingTimeInterval(3 * 86_400), records: 5, bytes: 0, files: 1), ["newest_record_at"]),
            (ProbeReport(oldestRecordAt: nil, newestRecordAt: nil, records: -1, bytes: -1, files: 0, expectedIntervalHours: 0),
             ["records", "bytes", "files", "expected_interval_hours"]),
            (ProbeReport(oldestRecordAt: nil, newestRecordAt: nil, records: 0, bytes: 0, files: 1, host: "web\u{1b}[31m"), ["host"]),
            (ProbeReport(oldestRecordAt: nil, newestRecordAt: nil, records: 0, bytes: 0, files: Int(Int32.max) + 1), ["files"]),
        ]
        for (report, paths) in rows { #expect(report.issues(now: Self.now).map(\.path) == paths, "\(report)") }
    }

    @Test("in a gap report: a silent source falls short of every requirement it counts for; files holding less than declared are drift")
    func inGapReports() {
        let source = LogSource(systemID: SystemID("web"), name: "access", logType: "web.access", custodianOrgID: OrgID("vendor"),
                               retentionTiers: [RetentionTier(medium: .deviceLocal, days: 90, isSearchable: false)])
        let requirement = Requirement(id: "r", title: "t", clause: "c", appliesTo: TargetSelector(), logTypes: .anyOf(["web.access"]), minRetentionDays: 30)
        let report = ProbeReport(oldestRecordAt: Self.now.addingTimeInterval(-14 * 86_400), newestRecordAt: Self.now.addingTimeInterval(-60 * 3_600),
                                 records: 100, bytes: 10_000, files: 3)
        var context = GapAnalysis.AccessContext()
        context.heartbeats = [source.id: Heartbeat(sourceID: source.id, receivedAt: Self.now, reportedBy: "cus", report: report)]
        var attested = source
        attested.latestAttestation = report.attestation(by: "cus", at: Self.now)
        #expect(attested.latestAttestation?.method == "probe" && attested.latestAttestation?.attestedDays == 14)
        let shortfalls = GapAnalysis.shortfalls(of: attested, for: requirement, now: Self.now, access: context).map(\.description)
        #expect(shortfalls == ["retention 14 d < 30 d required (attested)", "silent for 60 h (expected every 24 h)",
                               "attested 14 d contradicts declared 90 d"])
        #expect(GapAnalysis.shortfalls(of: source, for: requirement, now: Self.now).isEmpty)
    }
}
