import Foundation
import LogAtlasCore
import PostgresNIO

/// Probe heartbeats in PostgreSQL, read and written as the caller under row-level security.
public struct PostgresHeartbeatRepository: HeartbeatRepository {
    let database: Database

    public init(database: Database) { self.database = database }

    public func record(_ report: ProbeReport, for source: LogSourceID, as caller: Principal, now: Date) async throws -> Heartbeat {
        let issues = report.issues(now: now)
        guard issues.isEmpty else { throw InventoryError.invalid(issues) }
        return try await database.withCaller(caller) { connection in
            var custodian: OrgID?
            for try await org in try await connection.checkedQuery("""
                SELECT custodian_org_id FROM log_sources WHERE id = \(source.rawValue)
                """, logger: database.logger).decode(String.self) { custodian = OrgID(org) }
            guard let custodian else { throw InventoryError.notFound(kind: "source", id: source.description) }
            guard caller.mayReportHeartbeat(custodian: custodian) else {
                throw InventoryError.forbidden("only the custodian holding the source (or an admin) reports its heartbeats")
            }
            let heartbeat = Heartbeat(sourceID: source, receivedAt: now, reportedBy: caller.name, report: report)
            try await connection.checkedQuery("""
                INSERT INTO source_heartbeats (id, source_id, received_at, reported_by, host, oldest_record_at, newest_record_at, records, bytes,
                                               files, expected_interval_hours)
                VALUES (\(UUID()), \(source.rawValue), \(now), \(caller.name), \(report.host), \(report.oldestRecordAt), \(report.newestRecordAt),
                        \(Int64(report.records)), \(report.bytes), \(Int32(report.files)), \(report.expectedIntervalHours))
                """, logger: database.logger)
            if let attestation = report.attestation(by: caller.name, at: now) {
                try await connection.checkedQuery("""
                    INSERT INTO attestations (source_id, oldest_record_at, checked_at, checked_by, method)
                    VALUES (\(source.rawValue), \(attestation.oldestRecordAt), \(attestation.checkedAt), \(attestation.checkedBy), \(attestation.method))
                    """, logger: database.logger)
            }
            return heartbeat
        }
    }

    public func heartbeats(of source: LogSourceID, limit: Int, as caller: Principal) async throws -> [Heartbeat] {
        try await database.withCaller(caller) { connection in
            var visible = false
            for try await _ in try await connection.checkedQuery("SELECT 1 FROM log_sources WHERE id = \(source.rawValue)",
                                                                 logger: database.logger) { visible = true }
            guard visible else { throw InventoryError.notFound(kind: "source", id: source.description) }
            return try await Self.read(connection.checkedQuery("""
                SELECT * FROM source_heartbeats WHERE source_id = \(source.rawValue) ORDER BY received_at DESC, id LIMIT \(Int32(limit))
                """, logger: database.logger))
        }
    }

    public func latest(as caller: Principal) async throws -> [Heartbeat] {
        try await database.withCaller(caller) { connection in
            try await Self.read(connection.checkedQuery("""
                SELECT DISTINCT ON (source_id) * FROM source_heartbeats ORDER BY source_id, received_at DESC, id
                """, logger: database.logger))
        }
    }

    static func read(_ rows: PostgresRowSequence) async throws -> [Heartbeat] {
        var heartbeats: [Heartbeat] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            let report = ProbeReport(oldestRecordAt: try r.value("oldest_record_at", as: Date?.self), newestRecordAt: try r.value("newest_record_at", as: Date?.self),
                                     records: Int(try r.value("records", as: Int64.self)), bytes: try r.value("bytes", as: Int64.self),
                                     files: try r.value("files", as: Int.self), expectedIntervalHours: try r.value("expected_interval_hours"),
                                     host: try r.value("host", as: String?.self))
            heartbeats.append(Heartbeat(sourceID: LogSourceID(try r.value("source_id", as: UUID.self)), receivedAt: try r.value("received_at"),
                                        reportedBy: try r.value("reported_by"), report: report))
        }
        return heartbeats
    }
}
