import ArgumentParser
import Foundation
import LogAtlasCore
import LogAtlasFormats

/// `logatlas probe`: run on the host that keeps a source's log files (a cron job or a systemd timer), for sources
/// outside any SIEM. Reads the files — rotated and gzipped ones too — finds the oldest and newest record and the
/// volume, and reports them as the source's heartbeat with a custodian token.
struct Probe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report what a source's local log files hold: oldest and newest record, volume (a heartbeat).",
        discussion: """
            logatlas probe --source $ID --format nginx /var/log/nginx/access.log*
            logatlas probe --source $ID --format syslog --expected-interval-hours 1 /var/log/syslog /var/log/syslog.*.gz
            journalctl -o export -u sshd > /tmp/sshd.export && logatlas probe --source $ID --format journald /tmp/sshd.export
            """)
    @OptionGroup var server: ServerOptions
    @Option(help: "The source the files belong to.") var source: String
    @Option(help: "syslog, nginx, apache, journald or jsonl.") var format: String
    @Option(help: "How often the probe runs: quieter than this is silent.") var expectedIntervalHours: Double = 24
    @Option(help: "The host name reported (default: this host's).") var host: String = ProcessInfo.processInfo.hostName
    @Flag(help: "Print what would be reported, and report nothing.") var dryRun = false
    @Flag(help: "Print the JSON answer.") var json = false
    @Argument(help: "The files: the current one and its rotations (.gz ones are decompressed).") var files: [String]

    /// The most a compressed rotation may hold once decompressed.
    static let gzipLimit = 1 << 30

    func run() async throws {
        guard let logFormat = LogFormat(rawValue: format) else {
            throw ValidationError("--format must be one of \(LogFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard !files.isEmpty else { throw ValidationError("name the files to read") }
        let scan = try Self.scan(files, format: logFormat, reference: Date())
        var body: [String: Any] = ["records": scan.records, "bytes": scan.bytes, "files": files.count,
                                   "expected_interval_hours": expectedIntervalHours, "host": host]
        if let oldest = scan.oldest, let newest = scan.newest {
            body["oldest_record_at"] = Timestamp.format(oldest)
            body["newest_record_at"] = Timestamp.format(newest)
        }
        let summary = "\(scan.records) records in \(files.count) file(s), \(scan.bytes) bytes"
            + (scan.oldest.map { " from \(Timestamp.format($0))" } ?? "") + (scan.newest.map { " to \(Timestamp.format($0))" } ?? "")
            + (scan.unreadable > 0 ? "; \(scan.unreadable) line(s) without a readable time" : "")
        if dryRun {
            print(summary)
            return
        }
        let answer = try await server.client().json(.POST, "/v1/sources/\(source)/heartbeats", body: body)
        try emit(answer, json: json) { heartbeat in
            let h = heartbeat as? [String: Any] ?? [:]
            return "reported: \(summary)" + ((h["retention_days"] as? Int).map { "; holds \($0) d (attested)" } ?? "")
                + ((h["silent"] as? Bool) == true ? "; SILENT: no record for \(h["silent_hours"] ?? "?") h" : "")
        }
    }

    /// Every file fed through one scan: plain files a megabyte at a time, `.gz` ones decompressed.
    static func scan(_ files: [String], format: LogFormat, reference: Date) throws -> LogFileScan {
        var scan = LogFileScan(format: format, reference: reference)
        for path in files {
            if path.hasSuffix(".gz") {
                let data: Data
                do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw CommandFailure(description: "\(path): \(error.localizedDescription)") }
                do {
                    scan.feed(try Gzip.decompress(data, file: path, limit: gzipLimit))
                } catch let error as FormatError {
                    throw CommandFailure(description: error.description)
                } catch {
                    throw CommandFailure(description: "\(path): \(error)")
                }
            } else {
                guard let handle = FileHandle(forReadingAtPath: path) else { throw CommandFailure(description: "\(path): cannot be read") }
                defer { try? handle.close() }
                while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { scan.feed(chunk) }
            }
            scan.finish()
        }
        return scan
    }
}
