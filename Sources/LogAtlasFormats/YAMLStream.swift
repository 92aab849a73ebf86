import CYaml
import Foundation

/// A position in a YAML file, 1-based.
struct YAMLMark: Hashable, Sendable {
    var line: Int
    var column: Int

    /// libyaml's mark of `position` on the line `line` that starts at `lineStart`: columns count characters, not bytes.
    static func of(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int, line: Int, lineStart: Int) -> YAMLMark {
        var column = 1
        var index = lineStart
        while index < position {
            if bytes[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        return YAMLMark(line: line, column: column)
    }
}

/// A light YAML node. Yams' `Node` allocates a tag object per scalar, which costs ~15 KB per inventory
/// source; for inventories of 100,000 sources this reader parses libyaml's events (the C library under
/// Yams) and hands each item of a top-level list over as soon as it is complete, so it is never all in memory.
enum YAMLNode: Sendable {
    case scalar(String, isPlain: Bool, YAMLMark)
    case mapping([(key: YAMLNode, value: YAMLNode)], YAMLMark)
    case sequence([YAMLNode], YAMLMark)

    var mark: YAMLMark {
        switch self {
        case .scalar(_, _, let mark), .mapping(_, let mark), .sequence(_, let mark): mark
        }
    }
    var mapping: [(key: YAMLNode, value: YAMLNode)]? { if case .mapping(let pairs, _) = self { pairs } else { nil } }
    var sequence: [YAMLNode]? { if case .sequence(let items, _) = self { items } else { nil } }
    var string: String? { if case .scalar(let value, _, _) = self { value } else { nil } }

    /// YAML 1.2 core schema resolution of plain scalars; quoted scalars are always text.
    var isNull: Bool {
        guard case .scalar(let value, true, _) = self else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(value)
    }
    var bool: Bool? {
        guard case .scalar(let value, true, _) = self else { return nil }
        switch value {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }
    var int: Int? {
        guard case .scalar(let value, true, _) = self else { return nil }
        return Int(value.hasPrefix("+") ? String(value.dropFirst()) : value)
    }
    var double: Double? {
        guard case .scalar(let value, true, _) = self, value.first.map({ $0.isNumber || "+-.".contains($0) }) == true else { return nil }
        return Double(value)
    }
}

/// A libyaml syntax error.
struct YAMLSyntaxError: Error {
    var message: String
    var mark: YAMLMark
}

/// Composes a YAML document from libyaml events.
struct YAMLStream {
    /// Which composer to use: `BlockYAML` with libyaml as the fallback (the default), or one of them alone (for tests).
    enum Engine { case automatic, libyaml, block }

    /// Composes the first document. The items of lists that are values of the top-level mapping are passed to
    /// `item(key, index, node)` one by one and left out of the returned tree (their list becomes empty there).
    /// When the fast block composer gives up part-way, `restart` is called before libyaml starts over, so that
    /// whoever collects the items can drop what it received.
    /// `entry`, when given, is offered each such item first (`BlockYAML.EntryReader`; libyaml does not use it).
    static func compose(_ text: String, engine: Engine = .automatic, restart: () -> Void = {},
                        item: (String, Int, YAMLNode) -> Void, entry: BlockYAML.EntryReader? = nil) throws -> YAMLNode? {
        var text = text
        text.makeContiguousUTF8()
        return try text.utf8.withContiguousStorageIfAvailable { buffer in
            try compose(utf8: buffer, engine: engine, restart: restart, item: item, entry: entry)
        }!
    }

    /// `compose` of valid UTF-8 text in a buffer.
    static func compose(utf8 buffer: UnsafeBufferPointer<UInt8>, engine: Engine = .automatic, restart: () -> Void = {},
                        item: (String, Int, YAMLNode) -> Void, entry: BlockYAML.EntryReader? = nil) throws -> YAMLNode? {
        try withoutActuallyEscaping(item) { item in
            if engine != .libyaml {
                do {
                    return try BlockYAML.compose(buffer, item: item, entry: entry)
                } catch let unsupported as BlockYAML.Unsupported {
                    if engine == .block { throw unsupported }
                    restart()
                }
            }
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { throw YAMLSyntaxError(message: "out of memory", mark: YAMLMark(line: 1, column: 1)) }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var composer = Composer(parser: &parser, item: item)
            return try composer.document()
        }
    }

    /// `compose`, with the composing on a second thread while the caller's `item` reads what is composed, for
    /// large texts on machines with more than one core (composing and reading cost about the same).
    /// `entry` is used only when the text is composed on the caller's thread (small texts, one core).
    /// `buffer` (valid UTF-8) must stay valid until it returns.
    static func composeConcurrently(utf8 buffer: UnsafeBufferPointer<UInt8>, restart: () -> Void, item: (String, Int, YAMLNode) -> Void,
                                    entry: BlockYAML.EntryReader? = nil) throws -> YAMLNode? {
        guard ProcessInfo.processInfo.activeProcessorCount > 1, buffer.count >= 1 << 20 else {
            return try compose(utf8: buffer, restart: restart, item: item, entry: entry)
        }
        let channel = ItemChannel()
        let text = SharedBytes(bytes: buffer)
        let composer = Thread {
            do {
                let root = try compose(utf8: text.bytes, restart: { channel.send(.restart) }) { key, index, node in channel.send(.item(key, index, node)) }
                channel.finish(.success(root))
            } catch {
                channel.finish(.failure(error))
            }
        }
        composer.start()
        while let batch = channel.receive() {
            for event in batch {
                switch event {
                case .restart: restart()
                case .item(let key, let index, let node): item(key, index, node)
                }
            }
        }
        return try channel.result.get()
    }

    /// For a large block-style document whose top-level `list` comes last and holds most of the text (as in the
    /// inventories `logatlas export` writes): composes the text up to an entry near the middle of that list on
    /// this thread, with its items going to `first`, and the rest of the list on a second thread, to `second`.
    /// Both halves go through `BlockYAML`, so the nodes and marks are those of composing the whole text at once.
    /// `nil` when this does not apply or either half gives up (anything `BlockYAML` leaves to libyaml, a syntax
    /// error, a top-level key after the list); whatever `first` and `second` received must then be dropped.
    /// `firstEntry` and `secondEntry`, when given, are offered each item of either half first (`BlockYAML.EntryReader`);
    /// `cut` learns how many entries of `list` precede the cut before either half starts (to size what collects them).
    /// `buffer` (valid UTF-8) must stay valid until it returns.
    static func composeInHalves(utf8 buffer: UnsafeBufferPointer<UInt8>, list: String, first: (String, Int, YAMLNode) -> Void,
                                second: @escaping @Sendable (String, Int, YAMLNode) -> Void,
                                firstEntry: BlockYAML.EntryReader? = nil, secondEntry: BlockYAML.SendableEntryReader? = nil,
                                cut: (_ entriesBefore: Int) -> Void = { _ in }) -> Halves? {
        guard ProcessInfo.processInfo.activeProcessorCount > 1, buffer.count >= 1 << 20 else { return nil }
        do {
            guard let split = BlockYAML.split(buffer, list: list) else { return nil }
            cut(split.entriesBefore)
            let rest = SecondHalf(bytes: UnsafeBufferPointer(rebasing: buffer[split.offset...]))
            let thread = Thread {
                do {
                    try BlockYAML.composeEntries(rest.bytes, firstLine: split.line, key: list, firstIndex: split.entriesBefore, item: second,
                                                 entry: secondEntry)
                    rest.finish(composed: true)
                } catch {
                    rest.finish(composed: false)
                }
            }
            thread.start()
            var delivered = 0
            let root: YAMLNode??
            do {
                root = try withoutActuallyEscaping(first) { first in
                    try BlockYAML.compose(UnsafeBufferPointer(rebasing: buffer[..<split.offset]), item: { key, index, node in
                        if key == list { delivered += 1 }
                        first(key, index, node)
                    }, entry: firstEntry.map { entry in { key, index, bytes, cursor in
                        let next = entry(key, index, bytes, cursor)
                        if next != nil, key == list { delivered += 1 }
                        return next
                    } })
                }
            } catch {
                root = nil
            }
            // The entries counted by lines must be the ones composed before the cut, or the cut was not where it seemed.
            guard rest.waitUntilComposed(), case .some(let root) = root, delivered == split.entriesBefore else { return nil }
            return Halves(root: root)
        }
    }

    /// A text's bytes, handed to the composing thread (the caller keeps them valid until it has finished).
    private final class SharedBytes: @unchecked Sendable {
        let bytes: UnsafeBufferPointer<UInt8>
        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }
    }

    /// The tree of the first half (the items of top-level lists went to the callers' readers).
    struct Halves {
        var root: YAMLNode?
    }

    /// The second half's bytes and whether it was composed, handed between the two threads.
    private final class SecondHalf: @unchecked Sendable {
        let bytes: UnsafeBufferPointer<UInt8>
        private let condition = NSCondition()
        private var outcome: Bool?

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        func finish(composed: Bool) {
            condition.lock()
            outcome = composed
            condition.broadcast()
            condition.unlock()
        }

        func waitUntilComposed() -> Bool {
            condition.lock()
            defer { condition.unlock() }
            while outcome == nil { condition.wait() }
            return outcome!
        }
    }

    private struct Composer {
        let parser: UnsafeMutablePointer<yaml_parser_t>
        let item: (String, Int, YAMLNode) -> Void
        var anchors: [String: YAMLNode] = [:]

        init(parser: UnsafeMutablePointer<yaml_parser_t>, item: @escaping (String, Int, YAMLNode) -> Void) {
            self.parser = parser
            self.item = item
        }

        /// The next event, converted to something that outlives libyaml's buffer.
        enum Event {
            case streamStart, streamEnd, documentStart, documentEnd
            case scalar(String, isPlain: Bool, anchor: String?, YAMLMark)
            case sequenceStart(anchor: String?, YAMLMark), sequenceEnd
            case mappingStart(anchor: String?, YAMLMark), mappingEnd
            case alias(String, YAMLMark)
        }

        mutating func next() throws -> Event {
            var event = yaml_event_t()
            guard yaml_parser_parse(parser, &event) == 1 else {
                let problem = parser.pointee.problem.map { String(cString: $0) } ?? "syntax error"
                let context = parser.pointee.context.map { String(cString: $0) + " " } ?? ""
                let mark = parser.pointee.problem_mark
                throw YAMLSyntaxError(message: context + problem, mark: YAMLMark(line: mark.line + 1, column: mark.column + 1))
            }
            defer { yaml_event_delete(&event) }
            let mark = YAMLMark(line: event.start_mark.line + 1, column: event.start_mark.column + 1)
            func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? { pointer.map { String(cString: $0) } }
            switch event.type {
            case YAML_STREAM_START_EVENT: return .streamStart
            case YAML_STREAM_END_EVENT: return .streamEnd
            case YAML_DOCUMENT_START_EVENT: return .documentStart
            case YAML_DOCUMENT_END_EVENT: return .documentEnd
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                return .scalar(value, isPlain: scalar.style == YAML_PLAIN_SCALAR_STYLE, anchor: text(scalar.anchor), mark)
            case YAML_SEQUENCE_START_EVENT: return .sequenceStart(anchor: text(event.data.sequence_start.anchor), mark)
            case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
            case YAML_MAPPING_START_EVENT: return .mappingStart(anchor: text(event.data.mapping_start.anchor), mark)
            case YAML_MAPPING_END_EVENT: return .mappingEnd
            case YAML_ALIAS_EVENT: return .alias(text(event.data.alias.anchor) ?? "", mark)
            default: return .streamEnd
            }
        }

        mutating func document() throws -> YAMLNode? {
            guard case .streamStart = try next() else { return nil }
            guard case .documentStart = try next() else { return nil }
            let event = try next()
            if case .documentEnd = event { return nil }
            return try node(from: event, depth: 0, topKey: nil)
        }

        mutating func node(from event: Event, depth: Int, topKey: String?) throws -> YAMLNode {
            switch event {
            case .scalar(let value, let isPlain, let anchor, let mark):
                return remember(.scalar(value, isPlain: isPlain, mark), anchor)
            case .alias(let name, let mark):
                guard let node = anchors[name] else { throw YAMLSyntaxError(message: "unknown alias *\(name)", mark: mark) }
                return node
            case .sequenceStart(let anchor, let mark):
                var items: [YAMLNode] = []
                var index = 0
                while true {
                    let event = try next()
                    if case .sequenceEnd = event { break }
                    let child = try node(from: event, depth: depth + 1, topKey: nil)
                    if let topKey, depth == 1 { item(topKey, index, child) } else { items.append(child) }
                    index += 1
                }
                return remember(.sequence(items, mark), anchor)
            case .mappingStart(let anchor, let mark):
                var pairs: [(key: YAMLNode, value: YAMLNode)] = []
                while true {
                    let event = try next()
                    if case .mappingEnd = event { break }
                    let key = try node(from: event, depth: depth + 1, topKey: nil)
                    let streamKey = depth == 0 ? key.string : nil
                    let value = try node(from: try next(), depth: depth + 1, topKey: streamKey)
                    pairs.append((key, value))
                }
                return remember(.mapping(pairs, mark), anchor)
            default:
                throw YAMLSyntaxError(message: "unexpected event", mark: YAMLMark(line: 1, column: 1))
            }
        }

        mutating func remember(_ node: YAMLNode, _ anchor: String?) -> YAMLNode {
            if let anchor { anchors[anchor] = node }
            return node
        }
    }
}

/// Hands composed items from the composing thread to the reading one, in batches, holding at most a few batches.
private final class ItemChannel: @unchecked Sendable {
    enum Event {
        case item(String, Int, YAMLNode)
        case restart
    }

    private static let batchSize = 256, maxBatches = 8
    private let condition = NSCondition()
    private var batches: [[Event]] = []
    private var outcome: Result<YAMLNode?, any Error>?
    /// Written by the composing thread only.
    private var pending: [Event] = []

    /// The composing thread's result, once `receive` has returned `nil`.
    var result: Result<YAMLNode?, any Error> {
        condition.lock()
        defer { condition.unlock() }
        return outcome!
    }

    func send(_ event: Event) {
        pending.append(event)
        if pending.count >= Self.batchSize || { if case .restart = event { true } else { false } }() { flush() }
    }

    func finish(_ result: Result<YAMLNode?, any Error>) {
        flush()
        condition.lock()
        outcome = result
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, or `nil` when the composing thread has finished and everything was received.
    func receive() -> [Event]? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty, outcome == nil { condition.wait() }
        guard !batches.isEmpty else { return nil }
        condition.broadcast()
        return batches.removeFirst()
    }

    private func flush() {
        guard !pending.isEmpty else { return }
        condition.lock()
        while batches.count >= Self.maxBatches { condition.wait() }
        batches.append(pending)
        condition.broadcast()
        condition.unlock()
        pending = []
        pending.reserveCapacity(Self.batchSize)
    }
}
