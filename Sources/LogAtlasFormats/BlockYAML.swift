/// A composer for the plain block-style YAML that inventories and policies are written in, ~10× faster than
/// libyaml's event stream for the same tree. It understands block mappings and sequences (also a sequence at
/// its key's indentation), single-line plain, single- and double-quoted scalars, single-line flow
/// collections and comments. On anything else — anchors, aliases, tags, block scalars, multi-line scalars
/// or flow collections, tabs, CR line feeds, directives, and every syntax error — it gives up with
/// `BlockYAML.Unsupported` and `YAMLStream` composes the whole text with libyaml instead, so the result and
/// the error messages are always libyaml's. Marks are libyaml's: 1-based, columns counted in characters.
struct BlockYAML {
    /// Where the composer gave up (0: a character it leaves to libyaml), for diagnostics.
    struct Unsupported: Error { var line = 0 }

    private let bytes: UnsafeBufferPointer<UInt8>
    private let end: Int
    private var pos = 0
    private var line = 1
    private var lineStart = 0
    private let item: (String, Int, YAMLNode) -> Void
    private let entry: EntryReader?

    /// Reads an entry of a top-level list straight from the bytes (`SourceEntryReader`), returning where the next
    /// line starts; `nil` to have it composed and passed to `item` instead.
    typealias EntryReader = (_ key: String, _ index: Int, _ bytes: UnsafeBufferPointer<UInt8>, _ at: SourceEntryReader.Cursor)
        -> SourceEntryReader.Cursor?
    /// An `EntryReader` for another thread.
    typealias SendableEntryReader = @Sendable (_ key: String, _ index: Int, _ bytes: UnsafeBufferPointer<UInt8>,
                                               _ at: SourceEntryReader.Cursor) -> SourceEntryReader.Cursor?

    private static let space = UInt8(ascii: " "), newline = UInt8(ascii: "\n"), hash = UInt8(ascii: "#"), colon = UInt8(ascii: ":")
    private static let dash = UInt8(ascii: "-"), comma = UInt8(ascii: ","), dot = UInt8(ascii: ".")
    private static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    private static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    private static let singleQuote = UInt8(ascii: "'"), doubleQuote = UInt8(ascii: "\"")

    /// Composes the first document of `bytes`; `item` receives the items of lists under top-level keys, as in `YAMLStream`.
    /// `entry`, when given, is offered each such item first.
    static func compose(_ bytes: UnsafeBufferPointer<UInt8>, item: @escaping (String, Int, YAMLNode) -> Void,
                        entry: EntryReader? = nil) throws -> YAMLNode? {
        try checkCharacters(bytes)
        var composer = BlockYAML(bytes: bytes, end: bytes.count, item: item, entry: entry)
        return try composer.document()
    }

    /// Where a document can be cut in two inside the block sequence under one top-level key: `offset` is the
    /// start of the line of an entry of that sequence (the first at or after the middle of the text), `line` its
    /// number, `entriesBefore` how many entries of the sequence precede it.
    struct Split: Equatable {
        var offset: Int
        var line: Int
        var entriesBefore: Int
    }

    /// Finds a `Split` in the sequence under the top-level `key:` (a line of its own, at column 0), by lines alone:
    /// the sequence's entries are the lines that start with `- ` at the indentation of its first entry. It is a
    /// guess until the text has been composed: see `composeEntries`.
    static func split(_ bytes: UnsafeBufferPointer<UInt8>, list key: String) -> Split? {
        let keyBytes = Array(key.utf8)
        let count = bytes.count
        var lineStart = 0, line = 1
        var inList = false
        var entryIndent = -1
        var entries = 0
        while lineStart < count {
            var lineEnd = lineStart
            while lineEnd < count, bytes[lineEnd] != newline { lineEnd += 1 }
            var first = lineStart
            while first < lineEnd, bytes[first] == space { first += 1 }
            if first < lineEnd, bytes[first] != hash {
                let indent = first - lineStart
                let isEntry = bytes[first] == dash && (first + 1 == lineEnd || bytes[first + 1] == space)
                if inList, isEntry, entryIndent < 0 { entryIndent = indent }
                if inList, isEntry, indent == entryIndent {
                    if lineStart >= count / 2, entries > 0 { return Split(offset: lineStart, line: line, entriesBefore: entries) }
                    entries += 1
                } else if indent == 0 {
                    inList = isKeyLine(bytes, from: lineStart, to: lineEnd, key: keyBytes)
                    entryIndent = -1
                    entries = 0
                } else if inList, entryIndent < 0 {
                    inList = false   // the key's value is not a sequence
                }
            }
            line += 1
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// `key:` at the start of the line, followed by nothing but spaces and a comment.
    private static func isKeyLine(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, key: [UInt8]) -> Bool {
        guard end - start > key.count, bytes[start + key.count] == colon else { return false }
        for (offset, byte) in key.enumerated() where bytes[start + offset] != byte { return false }
        var index = start + key.count + 1
        while index < end, bytes[index] == space { index += 1 }
        return index == end || (bytes[index] == hash && bytes[index - 1] == space)
    }

    /// Composes text that starts with the `Split` line: the rest of the sequence under the top-level `key`, whose
    /// entries go to `item` numbered from `firstIndex`, with marks from line `firstLine` on. Gives up unless the
    /// sequence runs to the end of the text or of the first document — that is, unless `key` was the last
    /// top-level key.
    static func composeEntries(_ bytes: UnsafeBufferPointer<UInt8>, firstLine: Int, key: String, firstIndex: Int,
                               item: @escaping (String, Int, YAMLNode) -> Void, entry: EntryReader? = nil) throws {
        try checkCharacters(bytes)
        var composer = BlockYAML(bytes: bytes, end: bytes.count, line: firstLine, item: { key, index, node in item(key, firstIndex + index, node) },
                                 entry: entry.map { entry in { key, index, bytes, cursor in entry(key, firstIndex + index, bytes, cursor) } })
        guard composer.skipBlankLines(), composer.isEntry else { throw Unsupported(line: firstLine) }
        _ = try composer.blockSequence(depth: 1, topKey: key)
        if composer.pos < composer.end, !composer.atDocumentBoundary { throw Unsupported(line: composer.line) }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>, end: Int, line: Int = 1, item: @escaping (String, Int, YAMLNode) -> Void,
                 entry: EntryReader? = nil) {
        self.bytes = bytes
        self.end = end
        self.line = line
        self.item = item
        self.entry = entry
    }

    /// Leaves to libyaml what this composer does not model: tabs, CR, other control characters, a byte order
    /// mark and the Unicode line breaks NEL, LS and PS.
    private static func checkCharacters(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        var index = 0
        let count = bytes.count
        let raw = UnsafeRawPointer(bytes.baseAddress)
        while index < count {
            // Eight bytes at a time while they are printable ASCII (most of a file); a word with a line break, a
            // control character, DEL or a non-ASCII byte is checked byte by byte.
            if let raw, index + 8 <= count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080
                let below = (word &- ones &* 0x20) & ~word & high     // some byte below 0x20
                let above = (word | (word &+ ones)) & high            // some byte from 0x7F
                if below | above == 0 {
                    index += 8
                    continue
                }
            }
            let wordEnd = Swift.min(index + 8, count)
            while index < wordEnd {
                try checkCharacter(bytes, at: index)
                index += 1
            }
        }
    }

    /// One byte of `checkCharacters`, with the sequences that start at it.
    private static func checkCharacter(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) throws {
        let count = bytes.count
        let byte = bytes[index]
        if byte < 0x20 {
            if byte != newline { throw Unsupported() }
        } else if byte >= 0x80 {
            if byte == 0xC2, index + 1 < count, bytes[index + 1] == 0x85 { throw Unsupported() }
            if byte == 0xE2, index + 2 < count, bytes[index + 1] == 0x80, bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9 { throw Unsupported() }
            if byte == 0xEF, index + 2 < count, bytes[index + 1] == 0xBB, bytes[index + 2] == 0xBF { throw Unsupported() }
        } else if byte == 0x7F {
            throw Unsupported()
        }
    }

    // MARK: Document and block structure

    private mutating func document() throws -> YAMLNode? {
        guard skipBlankLines() else { return nil }
        if indent == 0, startsMarker(Self.dash) {
            pos += 3
            try finishLine()
            guard skipBlankLines() else { throw Unsupported(line: line) }   // an explicit empty document: libyaml's empty scalar
        }
        if indent == 0, startsMarker(Self.dot) || bytes[pos] == UInt8(ascii: "%") { throw Unsupported(line: line) }
        let root = try blockNode(depth: 0, topKey: nil)
        // Only the first document is composed; anything else after the root is libyaml's to judge.
        if pos < end, !atDocumentBoundary { throw Unsupported(line: line) }
        return root
    }

    /// `---` or `...` at the start of the line, followed by a space or the end of the line.
    private func startsMarker(_ byte: UInt8) -> Bool {
        pos + 2 < end ? bytes[pos] == byte && bytes[pos + 1] == byte && bytes[pos + 2] == byte
            && (pos + 3 == end || bytes[pos + 3] == Self.space || bytes[pos + 3] == Self.newline) : false
    }

    /// The indentation of the current content line (the position is at its first character).
    private var indent: Int { pos - lineStart }

    /// A block node starting at the current content line.
    private mutating func blockNode(depth: Int, topKey: String?) throws -> YAMLNode {
        let own = indent
        if isEntry { return try blockSequence(depth: depth, topKey: topKey) }
        switch try inlineEntry() {
        case .key(let key): return try blockMapping(firstKey: key, indent: own, depth: depth)
        case .node(let node):
            try finishLine()
            if skipBlankLines(), indent >= own { throw Unsupported(line: line) }   // a continued scalar, or an error
            return node
        }
    }

    /// A block mapping whose first key has just been read (the position is after its colon).
    private mutating func blockMapping(firstKey: YAMLNode, indent own: Int, depth: Int) throws -> YAMLNode {
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var key = firstKey
        while true {
            let value = try mappingValue(keyIndent: own, depth: depth + 1, topKey: depth == 0 ? key.string : nil)
            pairs.append((key, value))
            guard pos < end, indent >= own, !atDocumentBoundary else { break }
            guard indent == own, !isEntry, case .key(let next) = try inlineEntry() else { throw Unsupported(line: line) }
            key = next
        }
        return .mapping(pairs, firstKey.mark)
    }

    /// The value after `key:`: on the same line, on the following more indented lines, a sequence at the
    /// key's own indentation, or empty.
    private mutating func mappingValue(keyIndent: Int, depth: Int, topKey: String?) throws -> YAMLNode {
        let afterColon = mark(at: pos)
        skipSpaces()
        if atLineEnd {
            try finishLine()
            guard skipBlankLines() else { return .scalar("", isPlain: true, afterColon) }
            if indent > keyIndent { return try blockNode(depth: depth, topKey: topKey) }
            if indent == keyIndent, isEntry { return try blockSequence(depth: depth, topKey: topKey) }
            return .scalar("", isPlain: true, afterColon)
        }
        guard !isEntry, case .node(let node) = try inlineEntry(depth: depth, topKey: topKey) else { throw Unsupported(line: line) }
        try finishLine()
        if skipBlankLines(), indent > keyIndent { throw Unsupported(line: line) }   // a continued scalar, or an error
        return node
    }

    /// A block sequence whose first `-` is at the current position.
    private mutating func blockSequence(depth: Int, topKey: String?) throws -> YAMLNode {
        let own = indent
        let sequenceMark = mark(at: pos)
        var items: [YAMLNode] = []
        var index = 0
        while pos < end, indent == own, isEntry {
            if let topKey, depth == 1, let entry,
               let next = entry(topKey, index, bytes, SourceEntryReader.Cursor(pos: pos, line: line, lineStart: lineStart)) {
                pos = next.pos
                line = next.line
                lineStart = next.lineStart
                _ = skipBlankLines()
                index += 1
                continue
            }
            pos += 1
            let afterDash = mark(at: pos)
            skipSpaces()
            let child: YAMLNode
            if atLineEnd {
                try finishLine()
                if skipBlankLines(), indent > own {
                    child = try blockNode(depth: depth + 1, topKey: nil)
                } else {
                    child = .scalar("", isPlain: true, afterDash)
                }
            } else {
                if isEntry { throw Unsupported(line: line) }   // `- - x`
                let keyIndent = pos - lineStart      // the line so far is spaces and dashes: bytes are characters
                switch try inlineEntry() {
                case .key(let key): child = try blockMapping(firstKey: key, indent: keyIndent, depth: depth + 1)
                case .node(let node):
                    try finishLine()
                    if skipBlankLines(), indent > own { throw Unsupported(line: line) }
                    child = node
                }
            }
            if let topKey, depth == 1 { item(topKey, index, child) } else { items.append(child) }
            index += 1
        }
        if pos < end, indent > own { throw Unsupported(line: line) }
        return .sequence(items, sequenceMark)
    }

    /// A `---` or `...` line: the end of the first document.
    private var atDocumentBoundary: Bool { indent == 0 && (startsMarker(Self.dash) || startsMarker(Self.dot)) }

    /// `-` followed by a space or the end of the line.
    private var isEntry: Bool {
        bytes[pos] == Self.dash && (pos + 1 == end || bytes[pos + 1] == Self.space || bytes[pos + 1] == Self.newline)
    }

    private enum Inline {
        /// A mapping key, with the position after its colon.
        case key(YAMLNode)
        /// A complete scalar or flow collection.
        case node(YAMLNode)
    }

    /// A scalar or flow collection at the current position, or a mapping key when a colon follows it.
    private mutating func inlineEntry(depth: Int = 2, topKey: String? = nil) throws -> Inline {
        let node: YAMLNode
        switch bytes[pos] {
        case Self.openBracket, Self.openBrace:
            let flow = try flowNode(depth: depth, topKey: topKey)
            skipSpaces()
            if pos < end, bytes[pos] == Self.colon { throw Unsupported(line: line) }   // a flow collection as a key
            return .node(flow)
        case Self.singleQuote, Self.doubleQuote:
            node = try quoted()
        default:
            return try plain()
        }
        // After a quoted scalar: a key if `:` follows.
        skipSpaces()
        if pos < end, bytes[pos] == Self.colon, isSeparated(pos + 1) {
            pos += 1
            return .key(node)
        }
        return .node(node)
    }

    /// Whether `index` is a space, a line end or the end of the text.
    private func isSeparated(_ index: Int) -> Bool {
        index == end || bytes[index] == Self.space || bytes[index] == Self.newline
    }

    /// A single-line plain scalar in block context, which is a key when `: ` ends it.
    private mutating func plain() throws -> Inline {
        let start = pos
        let first = bytes[start]
        switch first {
        case UInt8(ascii: "?"), Self.colon, Self.comma, Self.closeBracket, Self.closeBrace, Self.hash, UInt8(ascii: "&"), UInt8(ascii: "*"),
             UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"):
            throw Unsupported(line: line)
        default: break
        }
        if indent == 0, startsMarker(Self.dash) || startsMarker(Self.dot) { throw Unsupported(line: line) }
        var index = start
        var isKey = false
        while index < end {
            let byte = bytes[index]
            if byte == Self.newline { break }
            if byte == Self.colon, isSeparated(index + 1) { isKey = true; break }
            if byte == Self.hash, bytes[index - 1] == Self.space { break }
            index += 1
        }
        var last = index
        while last > start, bytes[last - 1] == Self.space { last -= 1 }
        let node = YAMLNode.scalar(text(start, last), isPlain: true, mark(at: start))
        if isKey {
            if last - start > 1024 { throw Unsupported(line: line) }
            pos = index + 1
            return .key(node)
        }
        pos = index
        return .node(node)
    }

    /// A single-line single- or double-quoted scalar.
    private mutating func quoted() throws -> YAMLNode {
        let start = pos
        guard let quoted = QuotedScalar.scan(bytes, at: start) else { throw Unsupported(line: line) }
        pos = quoted.end
        return .scalar(quoted.text(in: bytes), isPlain: false, mark(at: start))
    }

    // MARK: Flow collections

    /// A flow collection; it may span lines, as long as no scalar in it does.
    private mutating func flowNode(depth: Int, topKey: String?) throws -> YAMLNode {
        let start = mark(at: pos)
        let isSequence = bytes[pos] == Self.openBracket
        let close = isSequence ? Self.closeBracket : Self.closeBrace
        pos += 1
        var items: [YAMLNode] = []
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var index = 0
        try skipFlowSpace()
        guard pos < end else { throw Unsupported(line: line) }
        if bytes[pos] == close {
            pos += 1
        } else {
            while true {
                if isSequence {
                    let child = try flowItem(isKey: false)
                    if let topKey, depth == 1 { item(topKey, index, child) } else { items.append(child) }
                    index += 1
                } else {
                    let key = try flowItem(isKey: true)
                    guard pos + 1 < end, bytes[pos] == Self.colon, bytes[pos + 1] == Self.space else { throw Unsupported(line: line) }
                    pos += 1
                    pairs.append((key, try flowItem(isKey: false)))
                }
                guard pos < end else { throw Unsupported(line: line) }
                if bytes[pos] == close { pos += 1; break }
                guard bytes[pos] == Self.comma else { throw Unsupported(line: line) }
                pos += 1
                try skipFlowSpace()
                guard pos < end, bytes[pos] != close else { throw Unsupported(line: line) }
            }
        }
        return isSequence ? .sequence(items, start) : .mapping(pairs, start)
    }

    /// A scalar or nested collection inside a flow collection. A key must be followed by `:` on its line; anything
    /// else by the next separator, possibly after line breaks (a `key: value` pair in a flow sequence is left to libyaml).
    private mutating func flowItem(isKey: Bool) throws -> YAMLNode {
        try skipFlowSpace()
        guard pos < end else { throw Unsupported(line: line) }
        let node: YAMLNode
        switch bytes[pos] {
        case Self.openBracket, Self.openBrace:
            guard !isKey else { throw Unsupported(line: line) }
            node = try flowNode(depth: 2, topKey: nil)
        case Self.singleQuote, Self.doubleQuote: node = try quoted()
        default: node = try flowPlain()
        }
        if isKey { skipSpaces() } else { try skipFlowSpace() }
        guard pos < end else { throw Unsupported(line: line) }
        if (bytes[pos] == Self.colon) != isKey { throw Unsupported(line: line) }
        return node
    }

    /// Spaces, line breaks and comments between the tokens of a flow collection (libyaml checks no indentation
    /// there, but a `---` or `...` at the start of a line ends the document, which is left to libyaml).
    private mutating func skipFlowSpace() throws {
        while pos < end {
            switch bytes[pos] {
            case Self.space: pos += 1
            case Self.hash where pos == lineStart || bytes[pos - 1] == Self.space:
                while pos < end, bytes[pos] != Self.newline { pos += 1 }
            case Self.newline:
                pos += 1
                line += 1
                lineStart = pos
                if startsMarker(Self.dash) || startsMarker(Self.dot) { throw Unsupported(line: line) }
            default: return
            }
        }
    }

    /// A plain scalar inside a flow collection (libyaml 0.2.5's rules): it ends at `,`, `[`, `]`, `{`, `}`, and
    /// at `:` followed by a space or one of those.
    private mutating func flowPlain() throws -> YAMLNode {
        let start = pos
        switch bytes[start] {
        case UInt8(ascii: "?"), Self.colon, Self.comma, Self.closeBracket, Self.closeBrace, Self.hash, UInt8(ascii: "&"), UInt8(ascii: "*"),
             UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"):
            throw Unsupported(line: line)
        case Self.dash where isSeparated(start + 1): throw Unsupported(line: line)
        default: break
        }
        var index = start
        scan: while index < end {
            switch bytes[index] {
            case Self.comma, Self.closeBracket, Self.closeBrace, Self.openBracket, Self.openBrace: break scan
            case Self.colon where index + 1 == end || [Self.space, Self.newline, Self.comma, UInt8(ascii: "?"), Self.openBracket,
                                                      Self.closeBracket, Self.openBrace, Self.closeBrace].contains(bytes[index + 1]):
                break scan
            case Self.newline: throw Unsupported(line: line)
            case Self.hash where bytes[index - 1] == Self.space: throw Unsupported(line: line)
            default: index += 1
            }
        }
        var last = index
        while last > start, bytes[last - 1] == Self.space { last -= 1 }
        pos = index
        return .scalar(text(start, last), isPlain: true, mark(at: start))
    }

    // MARK: Lines, positions and text

    private var atLineEnd: Bool { pos == end || bytes[pos] == Self.newline || bytes[pos] == Self.hash }

    private mutating func skipSpaces() {
        while pos < end, bytes[pos] == Self.space { pos += 1 }
    }

    /// Consumes the rest of the line, which may only hold spaces and a comment, and its line break.
    private mutating func finishLine() throws {
        skipSpaces()
        if pos < end, bytes[pos] == Self.hash {
            guard pos == lineStart || bytes[pos - 1] == Self.space else { throw Unsupported(line: line) }
            while pos < end, bytes[pos] != Self.newline { pos += 1 }
        }
        guard pos < end else { return }
        guard bytes[pos] == Self.newline else { throw Unsupported(line: line) }
        pos += 1
        line += 1
        lineStart = pos
    }

    /// From the start of a line, skips blank and comment lines; `false` at the end of the text, otherwise the
    /// position is at the first character of the next content line.
    private mutating func skipBlankLines() -> Bool {
        while true {
            var index = pos
            while index < end, bytes[index] == Self.space { index += 1 }
            if index == end { pos = end; return false }
            if bytes[index] == Self.newline || bytes[index] == Self.hash {
                while index < end, bytes[index] != Self.newline { index += 1 }
                if index == end { pos = end; return false }
                pos = index + 1
                line += 1
                lineStart = pos
                continue
            }
            pos = index
            return true
        }
    }

    /// libyaml's mark of `position` on the current line: columns count characters, not bytes.
    private func mark(at position: Int) -> YAMLMark {
        YAMLMark.of(bytes, at: position, line: line, lineStart: lineStart)
    }

    private func text(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}

/// A single-line single- or double-quoted scalar, as both `BlockYAML` and `SourceEntryReader` read it.
struct QuotedScalar {
    /// Between the quotes.
    var content: Range<Int>
    /// Its text when it differs from the bytes between the quotes (escapes, doubled single quotes).
    var unescaped: [UInt8]?
    /// After the closing quote.
    var end: Int

    private static let newline = UInt8(ascii: "\n"), singleQuote = UInt8(ascii: "'"), doubleQuote = UInt8(ascii: "\""),
                       backslash = UInt8(ascii: "\\")

    func text(in bytes: UnsafeBufferPointer<UInt8>) -> String {
        if let unescaped { return String(decoding: unescaped, as: UTF8.self) }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[content]), as: UTF8.self)
    }

    /// The scalar whose opening quote is at `start`; `nil` when it does not end on its line or has an escape
    /// libyaml would reject or that is left to it.
    static func scan(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> QuotedScalar? {
        let end = bytes.count
        let quote = bytes[start]
        var index = start + 1
        var value: [UInt8] = []
        var runStart = index
        while true {
            guard index < end, bytes[index] != newline else { return nil }
            let byte = bytes[index]
            if byte == quote {
                if quote == singleQuote, index + 1 < end, bytes[index + 1] == singleQuote {
                    value.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...index]))
                    index += 2
                    runStart = index
                    continue
                }
                break
            }
            if quote == doubleQuote, byte == backslash {
                value.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                guard let next = escape(bytes, at: index, into: &value) else { return nil }
                index = next
                runStart = index
                continue
            }
            index += 1
        }
        let content = (start + 1)..<index
        guard !value.isEmpty || runStart != content.lowerBound else { return QuotedScalar(content: content, unescaped: nil, end: index + 1) }
        value.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
        return QuotedScalar(content: content, unescaped: value, end: index + 1)
    }

    /// One escape of a double-quoted scalar at `index` (its backslash); returns the index after it.
    private static func escape(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, into value: inout [UInt8]) -> Int? {
        let end = bytes.count
        guard index + 1 < end else { return nil }
        let code = bytes[index + 1]
        let simple: UInt8? = switch code {
        case UInt8(ascii: "\\"): 0x5C
        case UInt8(ascii: "\""): 0x22
        case UInt8(ascii: "/"): 0x2F
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "t"): 0x09
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "0"): 0x00
        case UInt8(ascii: " "): 0x20
        default: nil
        }
        if let simple {
            value.append(simple)
            return index + 2
        }
        let digits: Int
        switch code {
        case UInt8(ascii: "x"): digits = 2
        case UInt8(ascii: "u"): digits = 4
        case UInt8(ascii: "U"): digits = 8
        default: return nil
        }
        guard index + 2 + digits <= end else { return nil }
        var scalar: UInt32 = 0
        for offset in 0..<digits {
            let byte = bytes[index + 2 + offset]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            scalar = scalar << 4 | digit
        }
        guard let unicode = Unicode.Scalar(scalar) else { return nil }
        value.append(contentsOf: Array(String(Character(unicode)).utf8))
        return index + 2 + digits
    }
}
