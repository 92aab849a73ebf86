import LogAtlasCore

/// A gap report as JSON (the shape `openapi.yaml` declares as `GapReport`), written straight into bytes.
///
/// A report over 100,000 sources is ~37 MB of JSON in ~1.3 million values; `JSONEncoder` spent 1.2 s of a 3.5 s
/// server-side report on it. The output is byte for byte what `JSONEncoder` with `.sortedKeys` (and, for
/// `pretty`, `.prettyPrinted`) writes for the same document — tests hold the two together — so clients cannot
/// tell which wrote it.
public enum GapReportJSON {
    public static func render(_ report: GapReport, id: String?, pretty: Bool = false) -> [UInt8] {
        var out = JSONBytes(pretty: pretty)
        out.bytes.reserveCapacity(600 * report.findings.count + 200 * report.readiness.count + 200 * report.remediation.count + 4096)
        out.open(.object)
        // Keys in byte order, as `.sortedKeys` has them.
        out.key("by_incident_type")
        scores(report.byIncidentType.map { (String($0.key.rawValue), $0.value) }, into: &out)
        out.key("by_org")
        scores(report.byOrg.map { ($0.key.rawValue, $0.value) }, into: &out)
        out.key("by_policy")
        scores(report.byPolicy.map { ($0.key, $0.value) }, into: &out)
        out.key("by_system")
        scores(report.bySystem.map { ($0.key.rawValue, $0.value) }, into: &out)
        out.key("findings")
        findings(report.findings, into: &out)
        if let id {
            out.member("id", id)
        }
        out.key("overall")
        score(report.overall, into: &out)
        out.key("readiness")
        out.array(report.readiness) { out, cell in
            out.open(.object)
            out.member("incident_type", cell.incidentType.rawValue)
            if let limiting = cell.limiting {
                out.member("limiting", "\(limiting.policyID)/\(limiting.requirement.id): \(limiting.shortfalls.map(\.description).joined(separator: "; "))")
            }
            out.member("readiness", cell.readiness.rawValue)
            out.member("system", cell.system.rawValue)
            out.close(.object)
        }
        out.key("remediation")
        out.array(report.remediation) { out, item in
            out.open(.object)
            out.member("action", item.action)
            out.member("impact", item.impact)
            out.member("serves", item.serves)
            out.close(.object)
        }
        out.close(.object)
        return out.bytes
    }

    private static func findings(_ findings: [Finding], into out: inout JSONBytes) {
        // A requirement's texts repeat on each of its (often thousands of) findings: escape them once.
        final class Escaped {
            let clause: [UInt8], policy: [UInt8], requirement: [UInt8]
            init(_ finding: Finding) {
                clause = JSONBytes.escaped(finding.requirement.clause)
                policy = JSONBytes.escaped(finding.policyID)
                requirement = JSONBytes.escaped(finding.requirement.id)
            }
        }
        struct Key: Hashable { let policy: String, requirement: String }
        var cache: [Key: Escaped] = [:]
        out.open(.array)
        for finding in findings {
            let requirement = finding.requirement
            let key = Key(policy: finding.policyID, requirement: requirement.id)
            let escaped = cache[key] ?? {
                let made = Escaped(finding)
                cache[key] = made
                return made
            }()
            out.element()
            out.open(.object)
            out.key("clause")
            out.bytes += escaped.clause
            out.key("incident_types")
            out.array(requirement.incidentTypes) { $0.integer($1.rawValue) }
            out.member("org", finding.target.orgID.rawValue)
            out.key("policy")
            out.bytes += escaped.policy
            out.key("requirement")
            out.bytes += escaped.requirement
            out.key("shortfalls")
            out.array(finding.shortfalls) { $0.string($1.description) }
            out.key("source_ids")
            out.array(finding.sourceIDs) { $0.string($1.description) }
            out.member("status", finding.status.rawValue)
            out.member("target", finding.target.id)
            out.member("target_kind", finding.target.kind.rawValue)
            out.member("weight", requirement.weight)
            out.close(.object)
        }
        out.close(.array)
    }

    private static func scores(_ entries: [(String, GapReport.Score)], into out: inout JSONBytes) {
        out.open(.object)
        for (key, value) in entries.sorted(by: { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }) {
            out.key(key)
            score(value, into: &out)
        }
        out.close(.object)
    }

    private static func score(_ score: GapReport.Score, into out: inout JSONBytes) {
        out.open(.object)
        out.member("met", score.met)
        out.member("missing", score.missing)
        out.member("partial", score.partial)
        out.member("percent", score.percent)
        out.close(.object)
    }
}

/// A JSON writer into bytes, formatting as Foundation's `JSONEncoder` does: slashes escaped, control characters as
/// `\b \f \n \r \t` or `\u00xx`, numbers as Swift prints them without a trailing `.0`; when pretty, two-space
/// indents, `"key" : value`, and an empty container spread over two lines.
public struct JSONBytes {
    public enum Container: Sendable { case object, array }

    public var bytes: [UInt8] = []
    public let pretty: Bool
    /// Per open container: whether nothing has been written into it yet.
    private var empty: [Bool] = []

    public init(pretty: Bool) { self.pretty = pretty }

    public mutating func open(_ container: Container) {
        bytes.append(container == .object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        empty.append(true)
    }

    public mutating func close(_ container: Container) {
        let wasEmpty = empty.removeLast()
        if pretty {
            bytes.append(UInt8(ascii: "\n"))
            if wasEmpty { bytes.append(UInt8(ascii: "\n")) }
            indent()
        }
        bytes.append(container == .object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
    }

    /// Starts the next array element (a comma after the first; a new line when pretty).
    public mutating func element() {
        if empty[empty.count - 1] {
            empty[empty.count - 1] = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
        if pretty {
            bytes.append(UInt8(ascii: "\n"))
            indent()
        }
    }

    /// Starts the next member of an object, up to its value.
    /// A member with a text, whole-number, number or list-of-texts value.
    public mutating func member(_ name: String, _ value: String) { key(name); string(value) }
    public mutating func member(_ name: String, _ value: Int) { key(name); integer(value) }
    public mutating func member(_ name: String, _ value: Double) { key(name); number(value) }
    public mutating func member(_ name: String, _ value: [String]) { key(name); strings(value) }
    public mutating func member(_ name: String, _ value: Bool) { key(name); boolean(value) }

    public mutating func key(_ name: String) {
        element()
        string(name)
        if pretty {
            bytes += [UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: " ")]
        } else {
            bytes.append(UInt8(ascii: ":"))
        }
    }

    private mutating func indent() {
        for _ in 0..<empty.count { bytes += [UInt8(ascii: " "), UInt8(ascii: " ")] }
    }

    public mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { JSONBytes.appendEscaped($0, to: &bytes) }
    }

    public mutating func strings(_ values: [String]) { array(values) { $0.string($1) } }

    public mutating func boolean(_ value: Bool) { bytes += (value ? "true" : "false").utf8 }

    /// An array whose elements `write` writes.
    public mutating func array<Values: Sequence>(_ values: Values, _ write: (inout JSONBytes, Values.Element) -> Void) {
        open(.array)
        for value in values {
            element()
            write(&self, value)
        }
        close(.array)
    }

    public mutating func integer(_ value: Int) {
        if value >= 0 && value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
        } else {
            bytes += value.description.utf8
        }
    }

    /// As `JSONEncoder` writes a `Double`: Swift's shortest round-trip form, `2` rather than `2.0`.
    public mutating func number(_ value: Double) {
        if value == value.rounded(), abs(value) < 1e15, let whole = Int(exactly: value), !(value == 0 && value.sign == .minus) {
            integer(whole)
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes += text.utf8
    }

    /// `value` as a quoted, escaped JSON string.
    static func escaped(_ value: String) -> [UInt8] {
        var out: [UInt8] = []
        var value = value
        value.withUTF8 { appendEscaped($0, to: &out) }
        return out
    }

    static func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var start = 0
        for index in 0..<utf8.count {
            let byte = utf8[index]
            let escape: UInt8
            switch byte {
            case UInt8(ascii: "\""): escape = UInt8(ascii: "\"")
            case UInt8(ascii: "\\"): escape = UInt8(ascii: "\\")
            case UInt8(ascii: "/"): escape = UInt8(ascii: "/")
            case 0x08: escape = UInt8(ascii: "b")
            case 0x0C: escape = UInt8(ascii: "f")
            case 0x0A: escape = UInt8(ascii: "n")
            case 0x0D: escape = UInt8(ascii: "r")
            case 0x09: escape = UInt8(ascii: "t")
            case 0..<0x20: escape = 0
            default: continue
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
            out.append(UInt8(ascii: "\\"))
            if escape == 0 {
                let hex = Array("0123456789abcdef".utf8)
                out += [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            } else {
                out.append(escape)
            }
            start = index + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<utf8.count]))
        out.append(UInt8(ascii: "\""))
    }
}
