import LogAtlasCore

/// Reads one entry of an inventory's `sources` list straight from its bytes into a `LogSource`, without
/// composing YAML nodes first: for 100,000 sources, composing the nodes and walking them cost ~1.3 s of CPU.
///
/// It reads entries written as `logatlas export` writes them and the usual hand-written variants: a block
/// mapping of single-line plain or quoted scalars, single-line flow lists and mappings of scalars, nested block
/// mappings (`access_procedure`, `clock`) and block lists of scalars or of tiers. It vouches only for entries
/// that read without a single problem: on any other syntax (comments, anchors, tags, multi-line scalars, blank
/// lines inside the entry, escapes libyaml refuses), any unknown or repeated field, any value of the
/// wrong type, anything `Validation` objects to, it answers `nil` and the entry is composed into nodes and read
/// by `NodeReader` as before. So whatever the file holds, the sources, the problems and their positions are
/// `NodeReader`'s; scalars are resolved by the same `YAMLNode` rules.
struct SourceEntryReader {
    /// A position in the text: `pos` is at a line's first content character or at a line start.
    struct Cursor {
        var pos: Int
        var line: Int
        var lineStart: Int
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let end: Int
    private var pos: Int
    private var line: Int
    private var lineStart: Int
    /// The indentation of the entry's `-`: a content line at or left of it ends the entry.
    private let dashIndent: Int
    /// Where the last scalar value started, for the marks of key fields.
    private var valueStart = 0, valueLine = 0, valueLineStart = 0
    /// The indentation of the key whose value is being read (a block value must be deeper, or a list at it).
    private var keyIndent = 0
    /// Whether the value being read is inside a flow mapping (`{…}` on one line).
    private var inFlow = false

    private static let space = UInt8(ascii: " "), newline = UInt8(ascii: "\n"), hash = UInt8(ascii: "#"), colon = UInt8(ascii: ":")
    private static let dash = UInt8(ascii: "-"), comma = UInt8(ascii: ",")
    private static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    private static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    private static let singleQuote = UInt8(ascii: "'"), doubleQuote = UInt8(ascii: "\"")
    /// A mark for scalars made here: they are only looked at when there is no problem, so never for a position.
    private static let noMark = YAMLMark(line: 0, column: 0)

    /// Reads the entry whose `-` is at `cursor.pos`, appending the source to `sources` and the marks
    /// `NodeReader` keeps for reference checks to `marks`, and returns where the next line starts; `nil`
    /// (nothing appended) when it is not an entry this reader vouches for. `bytes` must have passed
    /// `BlockYAML`'s character check (no tabs, CR or other control characters).
    static func read(_ bytes: UnsafeBufferPointer<UInt8>, at cursor: Cursor, into sources: inout [LogSource],
                     marks: inout [NodeReader.ItemMarks]) -> Cursor? {
        var reader = SourceEntryReader(bytes: bytes, cursor: cursor)
        return reader.entry(into: &sources, marks: &marks)
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, cursor: Cursor) {
        self.bytes = bytes
        end = bytes.count
        pos = cursor.pos
        line = cursor.line
        lineStart = cursor.lineStart
        dashIndent = cursor.pos - cursor.lineStart
    }

    // MARK: Keys and scalars, as bytes

    /// A key's bytes.
    struct Key {
        let bytes: UnsafeBufferPointer<UInt8>

        /// Whether the key is `name` (compared byte for byte; no `String` is made for a key).
        func `is`(_ name: StaticString) -> Bool {
            guard bytes.count == name.utf8CodeUnitCount else { return false }
            let other = name.utf8Start
            for index in 0..<bytes.count where bytes[index] != other[index] { return false }
            return true
        }
    }

    /// A scalar as read: its bytes in the text (for a quoted scalar, those between the quotes, or its text when
    /// it had escapes). It is resolved by `YAMLNode`'s rules; the common cases are worked out from the bytes,
    /// the others through a `YAMLNode` of the same text.
    struct Scalar {
        let bytes: UnsafeBufferPointer<UInt8>
        let isPlain: Bool
        var unescaped: String?

        var string: String { unescaped ?? String(decoding: bytes, as: UTF8.self) }
        var node: YAMLNode { .scalar(string, isPlain: isPlain, SourceEntryReader.noMark) }

        func equals(_ text: StaticString) -> Bool { unescaped == nil && Key(bytes: bytes).is(text) }

        var isNull: Bool {
            isPlain && (bytes.isEmpty || equals("~") || equals("null") || equals("Null") || equals("NULL"))
        }

        var bool: Bool? {
            guard isPlain else { return nil }
            if equals("true") || equals("True") || equals("TRUE") { return true }
            if equals("false") || equals("False") || equals("FALSE") { return false }
            return nil
        }

        /// Up to 18 decimal digits directly; anything else (signs, other bases, long numbers) as `YAMLNode.int`.
        var int: Int? {
            guard isPlain else { return nil }
            if let digits = Self.digits(bytes) { return digits }
            return node.int
        }

        /// `digits` or `digits.digits` with up to 15 digits directly (the quotient of two exactly represented
        /// numbers, rounded once, as `Double(String)` rounds); anything else as `YAMLNode.double`.
        var double: Double? {
            guard isPlain else { return nil }
            if let dot = bytes.firstIndex(of: UInt8(ascii: ".")) {
                if bytes.count <= 16, dot > 0, dot < bytes.count - 1,
                   let whole = Self.digits(UnsafeBufferPointer(rebasing: bytes[..<dot])),
                   let fraction = Self.digits(UnsafeBufferPointer(rebasing: bytes[(dot + 1)...])) {
                    let places = bytes.count - dot - 1
                    let scale = Self.powersOfTen[places]
                    return (Double(whole) * scale + Double(fraction)) / scale
                }
            } else if bytes.count <= 15, let digits = Self.digits(bytes) {
                return Double(digits)
            }
            return node.double
        }

        private static let powersOfTen: [Double] = (0...16).map { (0..<$0).reduce(1.0) { value, _ in value * 10 } }

        /// 1 to 18 ASCII digits as a number; `nil` for anything else.
        private static func digits(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
            guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
            var value = 0
            for byte in bytes {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
    }

    // MARK: The entry

    /// The fields of a source entry. The first eight hold scalars; the values of `system`, `name` and
    /// `custodian_org` are marked for reference checks.
    private enum Field: Int {
        case system, name, logType, product, format, custodian, volume, notes, tiers, access, fields, clock

        static let names: [StaticString] = ["system", "name", "log_type", "product", "format", "custodian_org",
                                            "volume_gb_per_day", "notes", "retention_tiers", "access_procedure", "fields", "clock"]
        static let texts = names.map(\.description)

        init?(_ key: Key) {
            guard let index = Self.names.firstIndex(where: { key.is($0) }) else { return nil }
            self.init(rawValue: index)
        }

        var isMarked: Bool { self == .system || self == .name || self == .custodian }
    }

    /// A source's fields as read, before their types are checked; each may be read once.
    private struct Fields {
        var scalars = InlineArray<8, Scalar?>(repeating: nil)
        var tiers: [RetentionTier]?
        var access: AccessProcedure?
        var fields: [String]?
        var clock: Clock?
        var seen: UInt16 = 0

        subscript(field: Field) -> Scalar? { scalars[field.rawValue] }

        /// Records `field` as seen; `false` when it was seen before (a repeated key is a problem).
        mutating func first(_ field: Field) -> Bool {
            let bit: UInt16 = 1 << field.rawValue
            defer { seen |= bit }
            return seen & bit == 0
        }
    }

    private mutating func entry(into sources: inout [LogSource], marks: inout [NodeReader.ItemMarks]) -> Cursor? {
        guard pos + 1 < end, bytes[pos] == Self.dash, bytes[pos + 1] == Self.space else { return nil }
        pos += 1
        skipSpaces()
        guard pos < end, bytes[pos] != Self.newline else { return nil }
        let itemMark = mark(at: pos)
        var keyMarks: [(field: String, mark: YAMLMark)] = []
        keyMarks.reserveCapacity(3)
        var fields = Fields()
        let mapped = mapping(indent: pos - lineStart) { reader, key in
            guard let field = Field(key), fields.first(field) else { return false }
            switch field {
            case .tiers: fields.tiers = reader.tiersValue() ?? reader.fail()
            case .access: fields.access = reader.accessProcedureValue() ?? reader.fail()
            case .fields: fields.fields = reader.stringsValue()
            case .clock: fields.clock = reader.clockValue() ?? reader.fail()
            default:
                fields.scalars[field.rawValue] = reader.scalarValue()
                if field.isMarked { keyMarks.append((Field.texts[field.rawValue], reader.valueMark)) }
            }
            return !reader.failed
        }
        // The entry ends at the end of the text or at the start of a line (at or left of its `-`, or blank).
        guard mapped, pos == end || pos == lineStart else { return nil }
        guard let system = Self.text(fields[.system]), let name = Self.text(fields[.name]),
              let logType = Self.text(fields[.logType]), let custodian = Self.text(fields[.custodian]),
              let product = Self.optionalText(fields[.product]), let format = Self.optionalText(fields[.format]),
              let notes = Self.optionalText(fields[.notes]), let volume = Self.number(fields[.volume]) else { return nil }
        let source = LogSource(id: LogSourceID(), systemID: SystemID(system), name: name, logType: logType, product: product,
                               format: format, custodianOrgID: OrgID(custodian), retentionTiers: fields.tiers ?? [],
                               accessProcedure: fields.access, fields: fields.fields ?? [], clock: fields.clock ?? Clock(),
                               volumeGBPerDay: volume, notes: notes)
        guard Validation.issues(in: source).isEmpty else { return nil }
        sources.append(source)
        marks.append(NodeReader.ItemMarks(item: itemMark, keys: keyMarks))
        return Cursor(pos: pos, line: line, lineStart: lineStart)
    }

    /// The scalar fields of a small mapping (a tier, an access procedure, a clock), by the position of their key in
    /// `names`; each may be read once.
    private struct ScalarFields {
        let names: [StaticString]
        private var values = InlineArray<4, Scalar?>(repeating: nil)

        init(_ names: [StaticString]) { self.names = names }

        subscript(position: Int) -> Scalar? { values[position] }

        /// Reads the value of `key` when it is one of `names` not read before; `false` otherwise.
        mutating func take(_ key: Key, from reader: inout SourceEntryReader) -> Bool {
            guard let position = names.firstIndex(where: { key.is($0) }), values[position] == nil else { return false }
            values[position] = reader.scalarValue()
            return !reader.failed
        }
    }

    private static let tierFields: [StaticString] = ["medium", "days", "searchable", "retrieval_hours"]

    /// A retention tier from its fields (in the order of `tierFields`), as `NodeReader` reads it.
    private static func tier(_ fields: ScalarFields) -> RetentionTier? {
        guard let code = text(fields[0]), let medium = StorageMedium(rawValue: code),
              let days = fields[1], !days.isNull, let dayCount = days.int,
              let searchable = bool(fields[2]), let hours = number(fields[3]) else { return nil }
        return RetentionTier(medium: medium, days: dayCount, isSearchable: searchable ?? medium.isSearchableByDefault, retrievalHours: hours)
    }

    /// `retention_tiers`: a block list of tiers, each a flow or block mapping; null or `[]` for none.
    private mutating func tiersValue() -> [RetentionTier]? {
        skipSpaces()
        if atLineEnd {
            guard finishLine() else { return nil }
            guard let indent = blockChild() else { return [] }
            guard isEntry else { return nil }
            var tiers: [RetentionTier] = []
            while pos - lineStart == indent, isEntry {
                pos += 1
                skipSpaces()
                guard pos < end, bytes[pos] != Self.newline else { return nil }
                var fields = ScalarFields(Self.tierFields)
                if bytes[pos] == Self.openBrace {
                    guard flowMapping({ reader, key in fields.take(key, from: &reader) }), finishLine() else { return nil }
                } else {
                    guard mapping(indent: pos - lineStart, { reader, key in fields.take(key, from: &reader) }) else { return nil }
                }
                guard let tier = Self.tier(fields) else { return nil }
                tiers.append(tier)
                guard nextContent(atMost: indent) else { return nil }
            }
            return tiers
        }
        if bytes[pos] == Self.openBracket {
            guard let items = flowList(), items.isEmpty, finishLine() else { return nil }
            return []
        }
        guard let scalar = scalarValue(), scalar.isNull else { return nil }
        return []
    }

    private static let accessFields: [StaticString] = ["contact", "steps", "lead_time_hours", "delivery"]

    /// `access_procedure`: a block or flow mapping.
    private mutating func accessProcedureValue() -> AccessProcedure? {
        var scalars = ScalarFields(Self.accessFields)
        var approvals: [String]?
        let read = mappingValue { reader, key in
            if scalars.take(key, from: &reader) { return true }
            guard !reader.failed, key.is("approvals"), approvals == nil else { return false }
            approvals = reader.stringsValue()
            return approvals != nil
        }
        guard read, let contact = Self.optionalText(scalars[0]), let steps = Self.optionalText(scalars[1]),
              let hours = Self.number(scalars[2]) else { return nil }
        var method: DeliveryMethod?
        if let delivery = scalars[3] {   // present: a known method is required
            guard let code = Self.text(delivery), let known = DeliveryMethod(rawValue: code) else { return nil }
            method = known
        }
        return AccessProcedure(contact: contact, approvals: approvals ?? [], steps: steps, leadTimeHours: hours, delivery: method)
    }

    private static let clockFields: [StaticString] = ["ntp_synced", "timezone"]

    /// `clock`: a flow or block mapping.
    private mutating func clockValue() -> Clock? {
        var scalars = ScalarFields(Self.clockFields)
        guard mappingValue({ reader, key in scalars.take(key, from: &reader) }),
              let isSynced = Self.bool(scalars[0]), let zone = Self.optionalText(scalars[1]) else { return nil }
        return Clock(isNTPSynced: isSynced ?? false, timezone: zone)
    }

    // MARK: Values

    /// Set when a value read through `scalarValue` or `stringsValue` was not one this reader vouches for.
    private var failed = false

    /// A scalar value after `key:` (or after `key: ` in a flow mapping): on the key's line, or null when there is
    /// nothing there and no block value below. In block context the line is finished.
    private mutating func scalarValue() -> Scalar? {
        skipSpaces()
        valueStart = pos
        valueLine = line
        valueLineStart = lineStart
        if inFlow { return flowScalar() ?? fail() }
        if atLineEnd {
            guard finishLine(), blockChild() == nil else { return fail() }
            return Scalar(bytes: UnsafeBufferPointer(rebasing: bytes[pos..<pos]), isPlain: true)
        }
        let scalar: Scalar?
        switch bytes[pos] {
        case Self.openBracket, Self.openBrace: return fail()
        case Self.singleQuote, Self.doubleQuote: scalar = quoted()
        default: scalar = plain(flow: false)
        }
        guard let scalar, finishLine() else { return fail() }
        return scalar
    }

    private mutating func fail<T>() -> T? {
        failed = true
        return nil
    }

    /// A list of texts: a flow list, a block list of scalars, or null (empty).
    private mutating func stringsValue() -> [String]? {
        guard !inFlow else { return fail() }
        skipSpaces()
        if atLineEnd {
            guard finishLine() else { return fail() }
            guard let indent = blockChild() else { return [] }
            guard isEntry else { return fail() }
            var items: [String] = []
            while pos - lineStart == indent, isEntry {
                pos += 1
                skipSpaces()
                guard !atLineEnd, let scalar = scalarValue() else { return fail() }
                items.append(scalar.string)
                guard nextContent(atMost: indent) else { return fail() }
            }
            return items
        }
        if bytes[pos] == Self.openBracket {
            guard let items = flowList(), finishLine() else { return fail() }
            return items
        }
        guard let scalar = scalarValue(), scalar.isNull else { return fail() }
        return []
    }

    /// A mapping value: flow on the key's line, or block on the following lines; `take` reads each field's value.
    private mutating func mappingValue(_ take: (inout SourceEntryReader, Key) -> Bool) -> Bool {
        guard !inFlow else { return false }
        skipSpaces()
        if pos < end, bytes[pos] == Self.openBrace { return flowMapping(take) && finishLine() }
        guard atLineEnd, finishLine(), let indent = blockChild(), !isEntry else { return false }
        return mapping(indent: indent, take)
    }

    /// A block mapping whose first key is at the current position, at `indent`; `take` reads each value. Ends at
    /// the start of the first line left of `indent` (or at the end of the text); `false` on anything else.
    private mutating func mapping(indent: Int, _ take: (inout SourceEntryReader, Key) -> Bool) -> Bool {
        while true {
            guard let key = key() else { return false }
            keyIndent = indent
            guard take(&self, key), !failed, nextContent(atMost: indent) else { return false }
            if pos == end || pos == lineStart || pos - lineStart < indent { return true }
        }
    }

    /// `{key: value, …}` on one line, keys plain and followed by `: `; `take` reads each value. The position
    /// ends after the closing brace.
    private mutating func flowMapping(_ take: (inout SourceEntryReader, Key) -> Bool) -> Bool {
        pos += 1
        inFlow = true
        defer { inFlow = false }
        skipSpaces()
        if pos < end, bytes[pos] == Self.closeBrace { pos += 1; return true }
        while true {
            skipSpaces()
            guard let key = key(), pos < end, bytes[pos] == Self.space, take(&self, key), !failed,
                  let closed = endOfFlowItem(Self.closeBrace) else { return false }
            if closed { return true }
        }
    }

    /// After an item of a flow collection: `true` at the closing `close` (consumed), `false` after a comma that
    /// another item follows, `nil` for anything else.
    private mutating func endOfFlowItem(_ close: UInt8) -> Bool? {
        skipSpaces()
        guard pos < end else { return nil }
        if bytes[pos] == close {
            pos += 1
            return true
        }
        guard bytes[pos] == Self.comma else { return nil }
        pos += 1
        skipSpaces()
        guard pos < end, bytes[pos] != close else { return nil }
        return false
    }

    /// A quoted or plain scalar inside a flow collection.
    private mutating func flowScalar() -> Scalar? {
        guard pos < end else { return nil }
        switch bytes[pos] {
        case Self.singleQuote, Self.doubleQuote: return quoted()
        default: return plain(flow: true)
        }
    }

    /// At the start of a line after a value: moves to the next line's first content character when it is at most
    /// `indent` deep; stays at the line start when the entry ends before it (blank or comment lines followed by a
    /// line at or left of the entry's `-`, or the end of the text). `false` for anything deeper, or blank lines
    /// inside the entry.
    private mutating func nextContent(atMost indent: Int) -> Bool {
        guard pos < end else { return true }
        var index = pos
        while index < end, bytes[index] == Self.space { index += 1 }
        if index == end || bytes[index] == Self.newline || bytes[index] == Self.hash {
            return entryEndsAfterBlankLines()
        }
        guard index - lineStart <= indent else { return false }
        if index - lineStart <= dashIndent { return true }   // the entry ends here: stay at the line start
        pos = index
        return true
    }

    /// Whether the blank and comment lines from the current line start are followed by the end of the text or a
    /// content line at or left of the entry's `-` (so they lie between entries).
    private func entryEndsAfterBlankLines() -> Bool {
        var index = pos
        while true {
            let start = index
            while index < end, bytes[index] == Self.space { index += 1 }
            if index == end { return true }
            if bytes[index] == Self.newline || bytes[index] == Self.hash {
                while index < end, bytes[index] != Self.newline { index += 1 }
                if index == end { return true }
                index += 1
                continue
            }
            return index - start <= dashIndent
        }
    }

    /// After `key:` with nothing after it on the line (the position is at the next line's start): the
    /// indentation of a block value below the key — deeper than the key, or a list at the key's own
    /// indentation — with the position at its first character; `nil` (position unchanged) when there is none.
    private mutating func blockChild() -> Int? {
        guard pos < end, pos == lineStart else { return nil }
        var index = pos
        while index < end, bytes[index] == Self.space { index += 1 }
        guard index < end, bytes[index] != Self.newline, bytes[index] != Self.hash else { return nil }
        let indent = index - lineStart
        let entry = bytes[index] == Self.dash && (index + 1 == end || bytes[index + 1] == Self.space || bytes[index + 1] == Self.newline)
        guard indent > keyIndent || (indent == keyIndent && entry) else { return nil }
        pos = index
        return indent
    }

    private var isEntry: Bool {
        pos + 1 < end && bytes[pos] == Self.dash && bytes[pos + 1] == Self.space
    }

    /// At the end of the line: its break, the end of the text, or a comment (which `finishLine` refuses).
    private var atLineEnd: Bool { pos == end || bytes[pos] == Self.newline || bytes[pos] == Self.hash }

    /// A key of lower-case letters and `_`, followed by `:` and a space or the line end; the position ends after the colon.
    private mutating func key() -> Key? {
        let start = pos
        while pos < end, (bytes[pos] >= UInt8(ascii: "a") && bytes[pos] <= UInt8(ascii: "z")) || bytes[pos] == UInt8(ascii: "_") { pos += 1 }
        guard pos > start, pos < end, bytes[pos] == Self.colon, pos + 1 == end || bytes[pos + 1] == Self.space || bytes[pos + 1] == Self.newline,
              pos - start <= 32 else { return nil }
        defer { pos += 1 }
        return Key(bytes: UnsafeBufferPointer(rebasing: bytes[start..<pos]))
    }

    /// `[a, b, "c"]` on one line.
    private mutating func flowList() -> [String]? {
        pos += 1
        var items: [String] = []
        skipSpaces()
        if pos < end, bytes[pos] == Self.closeBracket { pos += 1; return items }
        while true {
            skipSpaces()
            guard let item = flowScalar() else { return nil }
            items.append(item.string)
            guard let closed = endOfFlowItem(Self.closeBracket) else { return nil }
            if closed { return items }
        }
    }

    /// A single-line plain scalar without `#` and without a `:` that could end it; in a flow collection it
    /// ends at `,` and the closing bracket, and may not hold any other flow indicator.
    private mutating func plain(flow: Bool) -> Scalar? {
        let start = pos
        switch bytes[start] {
        case UInt8(ascii: "?"), Self.colon, Self.comma, Self.openBracket, Self.closeBracket, Self.openBrace, Self.closeBrace, Self.hash,
             UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), Self.singleQuote,
             Self.doubleQuote, UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"), Self.newline, Self.space:
            return nil
        case Self.dash where start + 1 == end || bytes[start + 1] == Self.space || bytes[start + 1] == Self.newline
            || (flow && (bytes[start + 1] == Self.comma || bytes[start + 1] == Self.closeBracket || bytes[start + 1] == Self.closeBrace)):
            return nil
        default:
            break
        }
        scan: while pos < end {
            switch bytes[pos] {
            case Self.newline: break scan
            case Self.hash, Self.colon: return nil
            case Self.comma, Self.closeBracket, Self.closeBrace:
                if flow { break scan }
                pos += 1
            case Self.openBracket, Self.openBrace:
                if flow { return nil }
                pos += 1
            default: pos += 1
            }
        }
        var last = pos
        while last > start, bytes[last - 1] == Self.space { last -= 1 }
        return Scalar(bytes: UnsafeBufferPointer(rebasing: bytes[start..<last]), isPlain: true)
    }

    /// A single-line quoted scalar (`QuotedScalar`).
    private mutating func quoted() -> Scalar? {
        guard let quoted = QuotedScalar.scan(bytes, at: pos) else { return nil }
        pos = quoted.end
        return Scalar(bytes: UnsafeBufferPointer(rebasing: bytes[quoted.content]), isPlain: false,
                      unescaped: quoted.unescaped.map { String(decoding: $0, as: UTF8.self) })
    }

    // MARK: Typed reads, as `NodeReader` does them

    /// A required text: `nil` when absent or null.
    static func text(_ scalar: Scalar?) -> String? {
        guard let scalar, !scalar.isNull else { return nil }
        return scalar.string
    }

    /// An optional text: `.some(nil)` when absent or null.
    static func optionalText(_ scalar: Scalar?) -> String?? {
        guard let scalar, !scalar.isNull else { return .some(nil) }
        return .some(scalar.string)
    }

    /// An optional number: `.some(nil)` when absent or null, `nil` when not a number.
    static func number(_ scalar: Scalar?) -> Double?? {
        guard let scalar, !scalar.isNull else { return .some(nil) }
        return scalar.double.map { .some($0) }
    }

    /// An optional boolean: `.some(nil)` when absent or null, `nil` when not a boolean.
    static func bool(_ scalar: Scalar?) -> Bool?? {
        guard let scalar, !scalar.isNull else { return .some(nil) }
        return scalar.bool.map { .some($0) }
    }

    // MARK: Lines, positions and text

    private mutating func skipSpaces() {
        while pos < end, bytes[pos] == Self.space { pos += 1 }
    }

    /// The rest of the line must be spaces; consumes them and the line break.
    private mutating func finishLine() -> Bool {
        skipSpaces()
        guard pos < end else { return true }
        guard bytes[pos] == Self.newline else { return false }
        pos += 1
        line += 1
        lineStart = pos
        return true
    }

    /// libyaml's mark of `position` on the current line: columns count characters, not bytes.
    private func mark(at position: Int) -> YAMLMark {
        YAMLMark.of(bytes, at: position, line: line, lineStart: lineStart)
    }

    /// The mark of the last inline value (read before its line was finished).
    private var valueMark: YAMLMark {
        YAMLMark.of(bytes, at: valueStart, line: valueLine, lineStart: valueLineStart)
    }
}
