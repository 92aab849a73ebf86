import Crypto
import LogAtlasCore
import Foundation
import PostgresNIO

/// The outcome of walking the audit chain.
public enum AuditVerification: Sendable, Equatable {
    case intact(events: Int)
    /// The first event whose link or hash does not match, and why.
    case broken(seq: Int64, reason: String)
}

/// Reads and verifies the hash-chained audit trail, recomputing every hash independently of the database.
public struct AuditTrail: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    /// Walks the chain from the first event and reports the first broken link.
    public func verify() async throws -> AuditVerification {
        try await database.query("""
            SELECT seq, (extract(epoch FROM occurred_at) * 1000000)::bigint AS at_us, actor, action, object_type, object_id,
                   coalesce(before_digest, '') AS before, coalesce(after_digest, '') AS after, prev_hash, hash
            FROM audit_events ORDER BY seq
            """, walk)
    }

    private func walk(_ rows: PostgresRowSequence) async throws -> AuditVerification {
        var previous = String(repeating: "0", count: 64)
        var count = 0
        for try await row in rows {
            let r = row.makeRandomAccess()
            let seq: Int64 = try r.value("seq")
            let prevHash: String = try r.value("prev_hash")
            guard prevHash == previous else {
                return .broken(seq: seq, reason: "links to \(prevHash.prefix(12))… but the previous event's hash is \(previous.prefix(12))… (an event was removed or altered)")
            }
            let fields: [String] = [prevHash, String(seq), String(try r.value("at_us", as: Int64.self)),
                                    try r.value("actor"), try r.value("action"), try r.value("object_type"),
                                    try r.value("object_id"), try r.value("before"), try r.value("after")]
            let expected = Self.hash(fields)
            let stored: String = try r.value("hash")
            guard stored == expected else {
                return .broken(seq: seq, reason: "hash does not match the event's content (the event was altered)")
            }
            previous = stored
            count += 1
        }
        return .intact(events: count)
    }

    /// Number of events recorded for one object (for tests and tooling).
    public func count(objectType: String, objectID: String) async throws -> Int {
        try await database.query("SELECT count(*) FROM audit_events WHERE object_type = \(objectType) AND object_id = \(objectID)") { rows in
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }

    /// Recomputes an event's hash from its fields, as the chain defines it (for verifying a quoted event offline).
    public static func hash(of event: AuditEntry) -> String {
        hash([event.prevHash, String(event.seq), String(event.occurredAtMicros), event.actor, event.action, event.objectType,
              event.objectID, event.beforeDigest ?? "", event.afterDigest ?? ""])
    }

    static func hash(_ fields: [String]) -> String {
        SHA256.hash(data: Data(fields.joined(separator: "|").utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

extension AuditTrail {
    /// The events about the given objects, in chain order.
    public func events(objectIDs: [String], types: [String]) async throws -> [AuditEntry] {
        try await database.query("""
            SELECT \(unescaped: Self.columns) FROM audit_events
            WHERE object_id = ANY(\(objectIDs)) AND object_type = ANY(\(types)) ORDER BY seq
            """, entries)
    }

    /// The latest `limit` events, newest first (the console's audit view; callers check `Principal.mayReadAuditTrail`).
    public func recent(limit: Int) async throws -> [AuditEntry] {
        try await database.query("SELECT \(unescaped: Self.columns) FROM audit_events ORDER BY seq DESC LIMIT \(limit)", entries)
    }

    private static let columns = """
        seq, occurred_at, actor, action, object_type, object_id, hash, prev_hash,
        (extract(epoch FROM occurred_at) * 1000000)::bigint AS at_us, before_digest, after_digest
        """

    private func entries(_ rows: PostgresRowSequence) async throws -> [AuditEntry] {
        var events: [AuditEntry] = []
        for try await row in rows {
            let r = row.makeRandomAccess()
            events.append(AuditEntry(seq: try r.value("seq"), occurredAt: try r.value("occurred_at"), actor: try r.value("actor"),
                                     action: try r.value("action"), objectType: try r.value("object_type"), objectID: try r.value("object_id"),
                                     hash: try r.value("hash"), prevHash: try r.value("prev_hash"), occurredAtMicros: try r.value("at_us"),
                                     beforeDigest: try r.value("before_digest"), afterDigest: try r.value("after_digest")))
        }
        return events
    }

    /// Verifies `events` where they sit in the chain, at a cost that grows with their number, not with the trail's:
    /// each event's hash is recomputed from its fields, its `prev_hash` must be the stored hash of the event before
    /// it, and the event after it must link to its hash (so it cannot be replaced or removed on its own).
    public func verify(_ events: [AuditEntry]) async throws -> AuditVerification {
        guard !events.isEmpty else { return .intact(events: 0) }
        let neighbours = try await database.query("""
            SELECT e.seq,
                   (SELECT p.hash FROM audit_events p WHERE p.seq < e.seq ORDER BY p.seq DESC LIMIT 1) AS before_hash,
                   (SELECT n.prev_hash FROM audit_events n WHERE n.seq > e.seq ORDER BY n.seq LIMIT 1) AS after_link
            FROM audit_events e WHERE e.seq = ANY(\(events.map(\.seq)))
            """) { rows in
            var neighbours: [Int64: (before: String?, after: String?)] = [:]
            for try await (seq, before, after) in rows.decode((Int64, String?, String?).self) { neighbours[seq] = (before, after) }
            return neighbours
        }
        for event in events {
            guard Self.hash(of: event) == event.hash else {
                return .broken(seq: event.seq, reason: "hash does not match the event's content (the event was altered)")
            }
            guard let links = neighbours[event.seq] else { return .broken(seq: event.seq, reason: "the event is no longer in the trail") }
            guard event.prevHash == (links.before ?? String(repeating: "0", count: 64)) else {
                return .broken(seq: event.seq, reason: "links to \(event.prevHash.prefix(12))… but the event before it has another hash")
            }
            if let after = links.after, after != event.hash {
                return .broken(seq: event.seq, reason: "the event after it does not link to its hash (an event was removed or altered)")
            }
        }
        return .intact(events: events.count)
    }

    /// The hash of the latest event (64 zeros for an empty trail).
    public func head() async throws -> String {
        try await database.query("SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1") { rows in
            for try await hash in rows.decode(String.self) { return hash }
            return String(repeating: "0", count: 64)
        }
    }
}
