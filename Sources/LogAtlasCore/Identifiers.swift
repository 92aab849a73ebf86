import Foundation

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
    public init(_ rawValue: UUID = UUID()) { self.init(rawValue: rawValue) }
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
