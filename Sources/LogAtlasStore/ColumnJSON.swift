import Foundation
import LogAtlasCore

/// Reads the small `jsonb` columns of a source (retention tiers, access procedure). `JSONDecoder` spends about
/// 10 µs on each, which made reading 100,000 sources for a gap report take a second; this reader handles
/// what PostgreSQL writes for these columns (and stored report findings) and leaves anything else to
/// `JSONDecoder`, so the result is the same.
enum ColumnJSON {
    indirect enum Value {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([Value])
        case object([(key: String, value: Value)])

        subscript(key: String) -> Value? {
            guard case .object(let pairs) = self else { return nil }
            return pairs.first { $0.key == key }?.value
        }
    }

    static func tiers(_ text: String) throws -> [RetentionTier] {
        if case .array(let items)? = parse(text) {
            let tiers = items.compactMap(tier)
            if tiers.count == items.count { return tiers }
        }
        return try RecordJSON.decoder.decode([RetentionTier].self, from: Data(text.utf8))
    }

    static func accessProcedure(_ text: String) throws -> AccessProcedure {
        if let value = parse(text), let procedure = accessProcedure(value) { return procedure }
        return try RecordJSON.decoder.decode(AccessProcedure.self, from: Data(text.utf8))
    }

    /// A tier when `value` has exactly the keys and types `RetentionTier`'s `Codable` conformance reads.
    static func tier(_ value: Value) -> RetentionTier? {
        guard case .object(let pairs) = value, pairs.allSatisfy({ ["medium", "days", "searchable", "retrieval_hours"].contains($0.key) }),
              case .string(let code)? = value["medium"], let medium = StorageMedium(rawValue: code),
              case .number(let days)? = value["days"], let wholeDays = Int(exactly: days),
              case .bool(let searchable)? = value["searchable"] else { return nil }
        let hours: Double?
        switch value["retrieval_hours"] {
        case nil, .null?: hours = nil
        case .number(let number)?: hours = number
        default: return nil
        }
        return RetentionTier(medium: medium, days: wholeDays, isSearchable: searchable, retrievalHours: hours)
    }

    static func accessProcedure(_ value: Value) -> AccessProcedure? {
        guard case .object(let pairs) = value,
              pairs.allSatisfy({ ["contact", "approvals", "steps", "lead_time_hours", "delivery"].contains($0.key) }),
              case .array(let approvalValues)? = value["approvals"] else { return nil }
        var approvals: [String] = []
        for approval in approvalValues {
            guard case .string(let text) = approval else { return nil }
            approvals.append(text)
        }
        func text(_ key: String) -> String?? {
            switch value[key] {
            case nil, .null?: .some(nil)
            case .string(let text)?: .some(text)
            default: nil
            }
        }
        guard let contact = text("contact"), let steps = text("steps"), let deliveryCode = text("delivery") else { return nil }
        let delivery = deliveryCode.map(DeliveryMethod.init(rawValue:))
        if delivery == .some(nil) { return nil }
        let lead: Double?
        switch value["lead_time_hours"] {
        case nil, .null?: lead = nil
        case .number(let number)?: lead = number
        default: return nil
        }
        return AccessProcedure(contact: contact, approvals: approvals, steps: steps, leadTimeHours: lead, delivery: delivery ?? nil)
    }

    /// The value of `text`, or `nil` for anything this reader does not handle (it never guesses).
    static func parse(_ text: String) -> Value? {
        var text = text
        return text.withUTF8 { bytes in
            var parser = Parser(bytes: bytes)
            guard let value = parser.value() else { return nil }
            parser.skipSpace()
            return parser.index == bytes.count ? value : nil
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }

        mutating func value() -> Value? {
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var pairs: [(key: String, value: Value)] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(pairs) }
                while true {
                    skipSpace()
                    guard case .string(let key)? = string() else { return nil }
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                    index += 1
                    guard let item = value() else { return nil }
                    pairs.append((key, item))
                    skipSpace()
                    guard index < bytes.count else { return nil }
                    if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(pairs) }
                    guard bytes[index] == UInt8(ascii: ",") else { return nil }
                    index += 1
                }
            case UInt8(ascii: "["):
                index += 1
                var items: [Value] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                while true {
                    guard let item = value() else { return nil }
                    items.append(item)
                    skipSpace()
                    guard index < bytes.count else { return nil }
                    if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                    guard bytes[index] == UInt8(ascii: ",") else { return nil }
                    index += 1
                }
            case UInt8(ascii: "\""): return string()
            case UInt8(ascii: "t"): return literal("true", .bool(true))
            case UInt8(ascii: "f"): return literal("false", .bool(false))
            case UInt8(ascii: "n"): return literal("null", .null)
            default: return number()
            }
        }

        mutating func literal(_ word: StaticString, _ result: Value) -> Value? {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return nil }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return nil }
            index += count
            return result
        }

        mutating func number() -> Value? {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index])
                || [UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) {
                index += 1
            }
            guard index > start, let number = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)),
                  number.isFinite else { return nil }
            return .number(number)
        }

        /// A string; escapes as RFC 8259 defines them (a lone surrogate is left to `JSONDecoder`).
        mutating func string() -> Value? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            var end = index + 1
            while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\") {
                if bytes[end] < 0x20 { return nil }
                end += 1
            }
            guard end < bytes.count else { return nil }
            if bytes[end] == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[(index + 1)..<end]), as: UTF8.self)
                index = end + 1
                return .string(text)
            }
            var scalars = String.UnicodeScalarView()
            var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[(index + 1)..<end]))
            index = end
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                    return .string(String(scalars))
                }
                if byte < 0x20 { return nil }
                guard byte == UInt8(ascii: "\\") else { utf8.append(byte); index += 1; continue }
                scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                utf8.removeAll(keepingCapacity: true)
                guard index + 1 < bytes.count else { return nil }
                let escaped = bytes[index + 1]
                index += 2
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    guard let unit = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(unit) {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { return nil }
                        index += 2
                        guard let low = hex4(), (0xDC00..<0xE000).contains(low),
                              let scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)) else { return nil }
                        scalars.append(scalar)
                    } else {
                        guard let scalar = Unicode.Scalar(unit) else { return nil }
                        scalars.append(scalar)
                    }
                default: return nil
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for offset in 0..<4 {
                guard let digit = UInt32(String(UnicodeScalar(bytes[index + offset])), radix: 16) else { return nil }
                value = value << 4 | digit
            }
            index += 4
            return value
        }
    }
}
