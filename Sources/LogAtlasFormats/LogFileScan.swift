import Foundation
import LogAtlasCore

/// The local log formats `logatlas probe` reads.
public enum LogFormat: String, Sendable, CaseIterable {
    /// rsyslog/syslog-ng files: an RFC 3339 timestamp (rsyslog's default on current distributions) or the classic
    /// `Dec  8 01:46:28` (no year: the latest such date not after the probe's clock; no zone: read as UTC).
    case syslog
    /// nginx and Apache access logs (common and combined formats): `[08/Dec/2026:01:46:28 +0000]`.
    case nginx, apache
    /// `journalctl -o export`: one record per `__REALTIME_TIMESTAMP=` (microseconds since 1970).
    case journald
    /// JSON lines: the first of `@timestamp`, `timestamp`, `time`, `ts`, `__REALTIME_TIMESTAMP` (RFC 3339 text, or
    /// seconds, milliseconds or microseconds since 1970).
    case jsonl
}

/// The oldest and newest record of log files and how much they hold, fed chunk by chunk (a file need not fit in
/// memory). Lines whose time cannot be read are counted, not guessed.
public struct LogFileScan: Sendable {
    public let format: LogFormat
    /// The probe's clock: year-less syslog dates are the latest not after it.
    public let reference: Date
    public private(set) var oldest: Date?
    public private(set) var newest: Date?
    public private(set) var records = 0
    /// Lines that should have carried a time and did not (journald's other fields are not counted).
    public private(set) var unreadable = 0
    public private(set) var bytes: Int64 = 0
    private var partial: [UInt8] = []

    public init(format: LogFormat, reference: Date) {
        self.format = format
        self.reference = reference
    }

    public mutating func feed<Bytes: Collection<UInt8>>(_ chunk: Bytes) {
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if partial.isEmpty {
                line(Array(chunk[start..<newline]))
            } else {
                partial += chunk[start..<newline]
                line(partial)
                partial.removeAll(keepingCapacity: true)
            }
            start = chunk.index(after: newline)
        }
        partial += chunk[start...]
    }

    /// Reads a last line without a newline.
    public mutating func finish() {
        if !partial.isEmpty { line(partial) }
        partial = []
    }

    private mutating func line(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if format == .journald {
            if !bytes.isEmpty { self.bytes += Int64(bytes.count + 1) }
            guard text.hasPrefix("__REALTIME_TIMESTAMP=") else { return }
        } else {
            guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { return }
            self.bytes += Int64(bytes.count + 1)
        }
        guard let date = Self.timestamp(of: text, format: format, reference: reference) else {
            unreadable += 1
            return
        }
        records += 1
        if oldest.map({ date < $0 }) ?? true { oldest = date }
        if newest.map({ date > $0 }) ?? true { newest = date }
    }

    /// The time of one line, or nil when the line does not carry one in `format`.
    public static func timestamp(of line: String, format: LogFormat, reference: Date) -> Date? {
        switch format {
        case .syslog:
            if line.first?.isNumber == true, let token = line.split(separator: " ", maxSplits: 1).first { return Timestamp.parse(String(token)) }
            return classicSyslog(line, reference: reference)
        case .nginx, .apache:
            guard let open = line.firstIndex(of: "["), let close = line[open...].firstIndex(of: "]") else { return nil }
            return accessLogTime(line[line.index(after: open)..<close])
        case .journald:
            guard let value = line.split(separator: "=", maxSplits: 1).last, let micros = Double(value) else { return nil }
            return Date(timeIntervalSince1970: micros / 1_000_000)
        case .jsonl:
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            for key in ["@timestamp", "timestamp", "time", "ts", "__REALTIME_TIMESTAMP"] {
                if let text = object[key] as? String {
                    if let date = Timestamp.parse(text) { return date }
                    if let number = Double(text) { return epoch(number) }
                } else if let number = object[key] as? Double {
                    return epoch(number)
                }
            }
            return nil
        }
    }

    /// Seconds, milliseconds or microseconds since 1970, told apart by size.
    static func epoch(_ number: Double) -> Date {
        Date(timeIntervalSince1970: number > 1e14 ? number / 1e6 : number > 1e11 ? number / 1e3 : number)
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static var utc: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }

    /// `Dec  8 01:46:28 host …`: the latest such moment not more than a day after `reference`.
    static func classicSyslog(_ line: String, reference: Date) -> Date? {
        let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
        guard parts.count >= 3, let month = months.firstIndex(of: String(parts[0])), let day = Int(parts[1]) else { return nil }
        let clock = parts[2].split(separator: ":")
        guard clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]) else { return nil }
        let calendar = utc
        var year = calendar.component(.year, from: reference)
        for _ in 0..<2 {
            guard let date = calendar.date(from: DateComponents(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second)),
                  calendar.component(.day, from: date) == day else { return nil }
            if date <= reference.addingTimeInterval(86_400) { return date }
            year -= 1
        }
        return nil
    }

    /// `08/Dec/2026:01:46:28 +0000`.
    static func accessLogTime(_ text: Substring) -> Date? {
        let parts = text.split(whereSeparator: { "/: ".contains($0) })
        guard parts.count == 7, let day = Int(parts[0]), let month = months.firstIndex(of: String(parts[1])), let year = Int(parts[2]),
              let hour = Int(parts[3]), let minute = Int(parts[4]), let second = Int(parts[5]),
              let zone = Int(parts[6]), parts[6].count == 5 else { return nil }
        let offset = (zone / 100 * 60 + zone % 100) * 60
        let calendar = utc
        guard let local = calendar.date(from: DateComponents(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second)),
              calendar.component(.day, from: local) == day else { return nil }
        return local.addingTimeInterval(-Double(offset))
    }
}
