import Foundation

/// Fast RFC 3339 timestamps in UTC. Formatting is pure arithmetic (no formatter object, no ICU), because a
/// request's JSON carries a hundred dates and Foundation's formatters dominated its encoding time.
public enum Timestamp {
    /// `2026-11-27T17:35:01Z`, or with `.123456` microseconds when `fractional` and the date has any.
    public static func format(_ date: Date, fractional: Bool = false) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = Int64(interval.rounded(.down))
        var micros = Int64(((interval - Double(seconds)) * 1_000_000).rounded())
        if micros == 1_000_000 { seconds += 1; micros = 0 }
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        var text = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(secondOfDay / 3600, 2) + ":"
            + pad(secondOfDay % 3600 / 60, 2) + ":" + pad(secondOfDay % 60, 2)
        if fractional, micros > 0 { text += "." + pad(micros, 6) }
        return text + "Z"
    }

    /// Parses RFC 3339 with or without fractional seconds, `Z` or an offset; `t` and `z` may be lower case and the
    /// date and time may be separated by a space (RFC 3339 §5.6).
    public static func parse(_ text: String) -> Date? {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }   // a timestamp is ASCII; so is every index below
        var bytes = Array(text.uppercased().utf8)
        if bytes.count > 10, bytes[10] == UInt8(ascii: " ") { bytes[10] = UInt8(ascii: "T") }
        let text = String(decoding: bytes, as: UTF8.self)
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Year, month, day of a count of days since 1970-01-01 (Howard Hinnant's civil_from_days).
    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
