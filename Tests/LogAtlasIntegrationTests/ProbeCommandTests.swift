import Foundation
import LogAtlasCore
import Testing

/// `logatlas probe` on real files the test writes in each format: the current file, a rotated one and a gzipped one.
@Suite("logatlas probe on rotated and gzipped files")
struct ProbeCommandTests {
    /// Instants (whole seconds) of the records: two in the current file, two rotated, two gzipped.
    static let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
    static let instants: [[Date]] = [[1.0 / 24, 26.0 / 24], [4, 5], [12, 13]].map { $0.map { now.addingTimeInterval(-$0 * 86_400) } }

    static func components(_ date: Date, zone: Int = 0) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: zone * 3_600)!
        return calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static func two(_ number: Int?) -> String { String(format: "%02d", number ?? 0) }

    /// One record at `date` in `format`; `older` picks the classic syslog form for rotated files.
    static func record(_ date: Date, _ format: LogFormatName, older: Bool) -> String {
        switch format {
        case .nginx, .apache:
            let zone = format == .apache ? 9 : 0, c = components(date, zone: zone)
            return #"203.0.113.7 - - [\#(two(c.day))/\#(months[c.month! - 1])/\#(c.year!):\#(two(c.hour)):\#(two(c.minute)):\#(two(c.second)) +\#(two(zone))00] "GET /login HTTP/1.1" 200 612 "-" "curl/8.5""#
        case .syslog:
            if older {
                let c = components(date)
                let day = c.day! < 10 ? " \(c.day!)" : "\(c.day!)"
                return "\(months[c.month! - 1]) \(day) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) web-1 sshd[811]: Accepted publickey for deploy"
            }
            return "\(Timestamp.format(date).dropLast())+00:00 web-1 sshd[811]: Accepted publickey for deploy"
        case .journald:
            return "__CURSOR=s=\(Int(date.timeIntervalSince1970))\n__REALTIME_TIMESTAMP=\(Int64(date.timeIntervalSince1970) * 1_000_000)\n_COMM=sshd\nMESSAGE=Accepted publickey\n"
        case .jsonl:
            return #"{"@timestamp":"\#(Timestamp.format(date))","level":"info","message":"login"}"#
        }
    }

    enum LogFormatName: String, CaseIterable { case syslog, nginx, apache, journald, jsonl }

    /// Writes `name`, `name.1` and `name.2.gz` (gzipped by gzip(1)) in `folder`; returns their paths.
    static func write(_ format: LogFormatName, in folder: URL) throws -> [String] {
        let name = folder.appendingPathComponent("\(format.rawValue).log").path
        let paths = [name, name + ".1", name + ".2"]
        for (index, dates) in instants.enumerated() {
            try (dates.map { record($0, format, older: index > 0) }.joined(separator: "\n") + "\n").write(toFile: paths[index], atomically: true, encoding: .utf8)
        }
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-f", paths[2]]
        try gzip.run()
        gzip.waitUntilExit()
        #expect(gzip.terminationStatus == 0)
        return [paths[0], paths[1], paths[2] + ".gz"]
    }

    @Test("each format: the oldest record is in the gzipped rotation, the newest in the current file", arguments: LogFormatName.allCases)
    func dryRun(_ format: LogFormatName) throws {
        let folder = URL(fileURLWithPath: "/tmp/la-probe-\(getpid())-\(format.rawValue)")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try Self.write(format, in: folder)
        let run = try CommandLineTests.run(["probe", "--source", UUID().uuidString, "--format", format.rawValue, "--dry-run"] + files)
        #expect(run.status == 0, "\(run.errors)")
        let oldest = Self.instants[2][1], newest = Self.instants[0][0]
        #expect(run.output.hasPrefix("6 records in 3 file(s), ") && run.output.contains("from \(Timestamp.format(oldest)) to \(Timestamp.format(newest))"),
                "\(format): \(run.output)")
        #expect(!run.output.contains("without a readable time"), "\(run.output)")
    }

    @Test("a damaged rotation or an unknown format is a clear error, and nothing is reported")
    func badInput() throws {
        let folder = URL(fileURLWithPath: "/tmp/la-probe-bad-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let broken = folder.appendingPathComponent("access.log.3.gz").path
        try Data("not gzip at all".utf8).write(to: URL(fileURLWithPath: broken))
        let damaged = try CommandLineTests.run(["probe", "--source", UUID().uuidString, "--format", "nginx", broken],
                                               environment: ["LOGATLAS_URL": "http://127.0.0.1:9"])
        #expect(damaged.status != 0 && damaged.errors.contains("access.log.3.gz") && damaged.errors.contains("not a gzip-compressed file"), "\(damaged.errors)")
        let unknown = try CommandLineTests.run(["probe", "--source", UUID().uuidString, "--format", "evtx", broken])
        #expect(unknown.status != 0 && unknown.errors.contains("--format must be one of syslog, nginx, apache, journald, jsonl"), "\(unknown.errors)")
    }
}
