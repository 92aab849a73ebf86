import Crypto
import Foundation
import LogAtlasCore
import LogAtlasStore

/// Offline checks of a custody manifest's quoted audit events.
enum CustodyCheck {
    /// Whether an event's `hash` is the SHA-256 of the fields the chain covers.
    static func hashMatches(_ event: [String: Any]) -> Bool {
        guard let seq = (event["seq"] as? NSNumber)?.int64Value, let micros = (event["occurred_at_us"] as? NSNumber)?.int64Value,
              let hash = event["hash"] as? String else { return false }
        let entry = AuditEntry(seq: seq, occurredAt: Date(), actor: event["actor"] as? String ?? "", action: event["action"] as? String ?? "",
                               objectType: event["object_type"] as? String ?? "", objectID: event["object_id"] as? String ?? "",
                               hash: hash, prevHash: event["prev_hash"] as? String ?? "", occurredAtMicros: micros,
                               beforeDigest: event["before_digest"] as? String, afterDigest: event["after_digest"] as? String)
        return AuditTrail.hash(of: entry) == hash
    }

    static func hex(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }
}

/// Percent-encoding of query values (RFC 3986 unreserved characters stay).
enum QueryEncoding {
    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
