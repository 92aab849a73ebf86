import Crypto
import LogAtlasCore

/// What every artifact store does to the bytes of an upload as they pass: count them against the limit and
/// hash them; at the end, compare with the digest the client announced.
struct UploadMeter {
    let limit: Int64
    private(set) var size: Int64 = 0
    private var hasher = SHA256()

    init(limit: Int64) { self.limit = limit }

    /// Counts and hashes `chunk`; throws `RequestError.tooLarge` past the limit.
    mutating func add(_ chunk: ArraySlice<UInt8>) throws {
        size += Int64(chunk.count)
        if size > limit { throw RequestError.tooLarge(limit: limit) }
        chunk.withUnsafeBytes { hasher.update(bufferPointer: $0) }
    }

    /// The lower-case hex SHA-256; throws `RequestError.digestMismatch` when it differs from `expected`.
    func digest(expected: String?) throws -> String {
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        if let expected, expected != digest { throw RequestError.digestMismatch(expected: expected, actual: digest) }
        return digest
    }
}
