import Foundation

/// What `logatlas probe` found in a source's local log files, as it reports it: the oldest and newest record, how
/// many records and bytes, and how often it is expected to report.
public struct ProbeReport: Sendable, Hashable {
    public var oldestRecordAt: Date?
    public var newestRecordAt: Date?
    public var records: Int
    public var bytes: Int64
    public var files: Int
    /// How often the probe runs, and so how long the source may stay quiet (default a day).
    public var expectedIntervalHours: Double
    public var host: String?

    public init(oldestRecordAt: Date?, newestRecordAt: Date?, records: Int, bytes: Int64, files: Int, expectedIntervalHours: Double = 24,
                host: String? = nil) {
        self.oldestRecordAt = oldestRecordAt
        self.newestRecordAt = newestRecordAt
        self.records = records
        self.bytes = bytes
        self.files = files
        self.expectedIntervalHours = expectedIntervalHours
        self.host = host
    }

    /// Rules that need nothing but the report; `now` bounds timestamps from the future (a day of clock skew allowed).
    public func issues(now: Date) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if (oldestRecordAt == nil) != (newestRecordAt == nil) || (oldestRecordAt == nil && records > 0) {
            issues.append(.init(path: "oldest_record_at", message: "give the oldest and the newest record together, whenever records were found"))
        }
        if let oldest = oldestRecordAt, let newest = newestRecordAt, oldest > newest {
            issues.append(.init(path: "oldest_record_at", message: "after newest_record_at"))
        }
        for (path, date) in [("oldest_record_at", oldestRecordAt), ("newest_record_at", newestRecordAt)] {
            if let date, date > now.addingTimeInterval(86_400) { issues.append(.init(path: path, message: "in the future")) }
        }
        if records < 0 { issues.append(.init(path: "records", message: "at least 0")) }
        if bytes < 0 { issues.append(.init(path: "bytes", message: "at least 0")) }
        if !(1...100_000).contains(files) { issues.append(.init(path: "files", message: "between 1 and 100000 (the files read)")) }
        if !(expectedIntervalHours > 0 && expectedIntervalHours <= 8_760) {
            issues.append(.init(path: "expected_interval_hours", message: "more than 0 and at most 8760"))
        }
        if let host {
            if host.count > 200 { issues.append(.init(path: "host", message: "at most 200 characters")) }
            issues += Validation.controlIssues(host, path: "host")
        }
        return issues
    }

    /// The attestation the report amounts to: the oldest record still held, checked now by the probe.
    public func attestation(by reporter: String, at now: Date) -> Attestation? {
        oldestRecordAt.map { Attestation(oldestRecordAt: $0, checkedAt: now, checkedBy: reporter, method: Heartbeat.attestationMethod) }
    }
}

/// A probe's report as the server recorded it for a source.
public struct Heartbeat: Sendable, Hashable {
    public var sourceID: LogSourceID
    public var receivedAt: Date
    public var reportedBy: String
    public var report: ProbeReport

    /// The method of the attestations heartbeats make.
    public static let attestationMethod = "probe"

    public init(sourceID: LogSourceID, receivedAt: Date, reportedBy: String, report: ProbeReport) {
        self.sourceID = sourceID
        self.receivedAt = receivedAt
        self.reportedBy = reportedBy
        self.report = report
    }

    /// Average bytes a day over the days the records span (at least one), in GB.
    public var volumeGBPerDay: Double? {
        guard let oldest = report.oldestRecordAt, let newest = report.newestRecordAt, report.records > 0 else { return nil }
        let days = max(1, newest.timeIntervalSince(oldest) / 86_400)
        return (Double(report.bytes) / days / 1e9 * 1_000).rounded() / 1_000
    }

    /// How many hours the source has been quiet when that is longer than its expected interval: no heartbeat since,
    /// or a heartbeat whose newest record is that old (the probe runs, the logging stopped). `nil` while it reports.
    public func silence(now: Date) -> Double? {
        let lastSign = min(receivedAt, report.newestRecordAt ?? .distantPast)
        let hours = now.timeIntervalSince(lastSign) / 3_600
        return hours > report.expectedIntervalHours ? (hours * 10).rounded() / 10 : nil
    }
}

extension Principal {
    /// Whether the caller may report a probe's heartbeat for a source held by `custodian`: the custodian that runs
    /// the host (its members' tokens), or an admin.
    public func mayReportHeartbeat(custodian: OrgID) -> Bool {
        role == .admin || (role == .custodian && orgIDs.contains(custodian))
    }
}

/// Heartbeats in storage, scoped like the sources they belong to.
public protocol HeartbeatRepository: Sendable {
    /// Records a probe's report for `source` and, when it found records, the attestation of the oldest one — together.
    func record(_ report: ProbeReport, for source: LogSourceID, as caller: Principal, now: Date) async throws -> Heartbeat
    /// The source's heartbeats, newest first.
    func heartbeats(of source: LogSourceID, limit: Int, as caller: Principal) async throws -> [Heartbeat]
    /// The latest heartbeat of every probed source the caller sees.
    func latest(as caller: Principal) async throws -> [Heartbeat]
}
