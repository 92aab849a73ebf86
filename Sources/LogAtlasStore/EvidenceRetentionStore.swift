import Foundation
import LogAtlasCore
import Logging
import PostgresNIO

/// The content of one artifact the retention job deleted.
public struct PurgedArtifact: Hashable, Sendable {
    public let id: ArtifactID
    public let requestID: RequestID
    public let sha256: String
    public let size: Int64
}

/// The evidence retention job's database side. A pass runs in one transaction under a transaction-level advisory
/// lock, so one replica purges at a time. For each upload whose request closed longer ago than its period (the
/// request's, else its team's, else the service's: `EvidenceRetentionPolicy.period(of:)`) and that
/// no legal hold covers, the content is deleted from the artifact store first, then the row is marked purged and the
/// deletion (digest, size, request, period) appended to the audit trail: a failure between the two leaves a row that
/// the next pass purges again (deleting a missing object succeeds), never a row that says purged over kept content.
public struct EvidenceRetentionStore: Sendable {
    let database: Database
    /// Advisory lock key of the retention pass.
    static let lockKey: Int64 = 7_310_003
    /// Artifacts purged in one pass at most; the rest wait for the next.
    static let batch = 200

    public init(database: Database) { self.database = database }

    /// Purges what is due as of `now`; nil when another replica holds the lock. An object the store cannot delete
    /// is logged and left for the next pass.
    public func runPass(now: Date, policy: EvidenceRetentionPolicy, store: any ArtifactStore, logger: Logger) async throws -> [PurgedArtifact]? {
        try await database.asOwner(actor: "retention") { connection in
            let locked = try await connection.checkedQuery("SELECT pg_try_advisory_xact_lock(\(Self.lockKey))", logger: database.logger)
            for try await got in locked.decode(Bool.self) where !got { return nil }
            let rows = try await connection.checkedQuery("""
                WITH periods AS (
                    SELECT r.id, coalesce(r.evidence_retention_days, o.evidence_retention_days, \(policy.defaultDays)::integer) AS days
                    FROM requests r LEFT JOIN orgs o ON o.id = r.requester_org_id WHERE r.legal_hold_at IS NULL)
                SELECT a.id, a.request_id, a.storage_key, a.sha256, a.size, p.days
                FROM artifacts a JOIN periods p ON p.id = a.request_id
                WHERE a.kind = 'upload' AND a.purged_at IS NULL
                  AND request_closed_at(p.id) + make_interval(days => p.days) <= \(now)
                ORDER BY a.created_at, a.id
                LIMIT \(Self.batch)
                FOR UPDATE OF a SKIP LOCKED
                """, logger: database.logger)
            var due: [(PurgedArtifact, key: String, days: Int)] = []
            for try await (id, request, key, sha256, size, days) in rows.decode((UUID, UUID, String, String, Int64, Int).self) {
                due.append((PurgedArtifact(id: ArtifactID(id), requestID: RequestID(request), sha256: sha256, size: size), key, days))
            }
            var purged: [PurgedArtifact] = []
            for (artifact, key, days) in due {
                do {
                    try await store.delete(key)
                } catch {
                    logger.error("evidence retention could not delete an artifact's content; retried next pass",
                                 metadata: ["artifact": "\(artifact.id)", "error": "\(String(reflecting: error))"])
                    continue
                }
                try await connection.checkedQuery("""
                    UPDATE artifacts SET purged_at = \(now), purged_by = 'retention' WHERE id = \(artifact.id.rawValue)
                    """, logger: database.logger)
                try await connection.checkedQuery("""
                    SELECT audit_append('retention', 'artifact.purge', 'artifact', \(artifact.id.description), NULL,
                                        jsonb_build_object('request', \(artifact.requestID.description), 'sha256', \(artifact.sha256),
                                                           'size', \(artifact.size), 'retention_days', \(days)))
                    """, logger: database.logger)
                purged.append(artifact)
            }
            return purged
        }
    }
}
