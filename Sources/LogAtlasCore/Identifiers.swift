import Foundation
import CSystemRandom
import Synchronization

/// A typed stable key: a slug such as an organisation's or a system's.
public protocol SlugIdentifier: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible where RawValue == String {
    init(rawValue: String)
}

extension SlugIdentifier {
    public init(_ rawValue: String) { self.init(rawValue: rawValue) }
    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A typed identifier that is a UUID, shown in lower case.
public protocol UUIDIdentifier: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible where RawValue == UUID {
    init(rawValue: UUID)
}

extension UUIDIdentifier {
    /// A given UUID, or a new random one.
    public init(_ rawValue: UUID = .random()) { self.init(rawValue: rawValue) }
    public var description: String { rawValue.uuidString.lowercased() }
}

/// Stable slug of an organisation, e.g. `it-dept`.
public struct OrgID: SlugIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// Stable slug of a protected system, e.g. `public-web`.
public struct SystemID: SlugIdentifier {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
}

/// Identifier of one log source.
public struct LogSourceID: UUIDIdentifier {
    public let rawValue: UUID
    public init(rawValue: UUID) { self.rawValue = rawValue }
}

/// Identifier of a LogAtlas user.
public struct UserID: UUIDIdentifier {
    public let rawValue: UUID
    public init(rawValue: UUID) { self.rawValue = rawValue }
}

/// Rules for slugs used as stable keys (organisations, systems).
public enum Slug {
    /// Whether `value` is a lower-case slug of 1–63 characters: letters, digits and dashes.
    public static func isValid(_ value: String) -> Bool {
        let bytes = value.utf8
        guard let first = bytes.first, first != UInt8(ascii: "-"), (1...63).contains(bytes.count) else { return false }
        return bytes.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
    }
}

extension UUID {
    /// A random (version 4) UUID from the system's cryptographic generator (`getrandom`). Foundation's `UUID()`
    /// opens, reads and closes /dev/urandom for every UUID on Linux: a quarter of a second for 100,000 sources.
    public static func random() -> UUID {
        var (high, low) = RandomBits.shared.next()
        high = (high & ~0xF000) | 0x4000                                     // version 4 (bits 48–51, big-endian)
        low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000          // RFC 4122 variant
        let bytes = (high.bigEndian, low.bigEndian)
        return withUnsafeBytes(of: bytes) { UUID(uuid: $0.load(as: uuid_t.self)) }
    }
}

/// Bits from the system's cryptographic generator, fetched 4 KiB at a time: one `getrandom` call per 256 UUIDs.
/// `SystemRandomNumberGenerator` makes one call per 64 bits, two per UUID: 8% of reading a 100,000-source
/// inventory went into those calls.
final class RandomBits: Sendable {
    static let shared = RandomBits()

    private struct Buffer {
        var words = [UInt64](repeating: 0, count: 512)
        var next = 512
    }
    private let buffer = Mutex(Buffer())

    /// 128 random bits, never handed out twice.
    func next() -> (UInt64, UInt64) {
        buffer.withLock { buffer in
            if buffer.next + 2 > buffer.words.count {
                buffer.words.withUnsafeMutableBytes { Self.fill($0) }
                buffer.next = 0
            }
            defer {
                buffer.words[buffer.next] = 0
                buffer.words[buffer.next + 1] = 0
                buffer.next += 2
            }
            return (buffer.words[buffer.next], buffer.words[buffer.next + 1])
        }
    }

    /// Fills `bytes` from `getrandom`, or 64 bits at a time from `SystemRandomNumberGenerator` should it fail.
    private static func fill(_ bytes: UnsafeMutableRawBufferPointer) {
        guard logatlas_system_random(bytes.baseAddress, bytes.count) != 1 else { return }
        var generator = SystemRandomNumberGenerator()
        for offset in stride(from: 0, to: bytes.count, by: 8) {
            bytes.storeBytes(of: generator.next() as UInt64, toByteOffset: offset, as: UInt64.self)
        }
    }
}
