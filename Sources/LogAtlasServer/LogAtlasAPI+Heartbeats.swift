import Foundation
import LogAtlasCore
import OpenAPIRuntime

/// Live source probes: `logatlas probe` reports what a source's local files hold; the server keeps the heartbeat and
/// attests the oldest record.
extension LogAtlasAPI {
    func reportHeartbeat(_ input: Operations.ReportHeartbeat.Input) async throws -> Operations.ReportHeartbeat.Output {
        let body = switch input.body { case .json(let body): body }
        let report = ProbeReport(oldestRecordAt: body.oldestRecordAt, newestRecordAt: body.newestRecordAt, records: body.records,
                                 bytes: Int64(body.bytes), files: body.files, expectedIntervalHours: body.expectedIntervalHours ?? 24, host: body.host)
        let heartbeat = try await heartbeats.record(report, for: try APIMapping.sourceID(input.path.sourceId), as: try RequestPrincipal.required(), now: clock())
        return .created(.init(body: .json(APIMapping.heartbeat(heartbeat, now: clock()))))
    }

    func listHeartbeats(_ input: Operations.ListHeartbeats.Input) async throws -> Operations.ListHeartbeats.Output {
        let found = try await heartbeats.heartbeats(of: try APIMapping.sourceID(input.path.sourceId), limit: 100, as: try RequestPrincipal.required())
        return .ok(.init(body: .json(.init(items: found.map { APIMapping.heartbeat($0, now: clock()) }))))
    }
}

extension APIMapping {
    static func heartbeat(_ heartbeat: Heartbeat, now: Date) -> Components.Schemas.Heartbeat {
        let report = heartbeat.report, silence = heartbeat.silence(now: now)
        return .init(sourceId: heartbeat.sourceID.description, receivedAt: heartbeat.receivedAt, reportedBy: heartbeat.reportedBy, host: report.host,
                     oldestRecordAt: report.oldestRecordAt, newestRecordAt: report.newestRecordAt, records: report.records, bytes: Int(report.bytes),
                     files: report.files, expectedIntervalHours: report.expectedIntervalHours, volumeGbPerDay: heartbeat.volumeGBPerDay,
                     retentionDays: report.attestation(by: heartbeat.reportedBy, at: heartbeat.receivedAt)?.attestedDays,
                     silent: silence != nil, silentHours: silence)
    }
}
