import Foundation
import LogAtlasCore

/// Inventory as code: the YAML document `logatlas apply` reads and `logatlas export` writes.
public enum InventoryYAML {
    /// Parses a whole document, reporting every problem with its line and column; validates it as well.
    public static func decode(_ text: String, file: String = "inventory.yaml") throws -> Inventory {
        try decode(text, file: file, inHalves: true)
    }

    /// `decode` of a file's bytes, read without making a `String` of them first (for a 46 MB inventory that
    /// copy took 0.05 s). Bytes that are not UTF-8 are a problem at line 1; a byte order mark is skipped.
    public static func decode(utf8 bytes: UnsafeBufferPointer<UInt8>, file: String = "inventory.yaml") throws -> Inventory {
        guard UTF8Validation.isValid(bytes) else {
            throw FormatError(file: file, problems: [FormatProblem(line: 1, column: 1, path: "", message: "the file is not UTF-8 text")])
        }
        let marked = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        let reader = try read(utf8: marked ? UnsafeBufferPointer(rebasing: bytes[3...]) : bytes, file: file, inHalves: true, direct: true)
        guard reader.problems.isEmpty else { throw FormatError(file: file, problems: reader.problems) }
        return reader.inventory
    }

    /// `inHalves`: read a large file in two halves at once where it can be (see `YAMLStream.composeInHalves`);
    /// `direct`: read the entries of `sources` straight from the bytes where `SourceEntryReader` vouches for them.
    static func decode(_ text: String, file: String, inHalves: Bool, direct: Bool = true) throws -> Inventory {
        let reader = try read(text, file: file, inHalves: inHalves, direct: direct)
        guard reader.problems.isEmpty else { throw FormatError(file: file, problems: reader.problems) }
        return reader.inventory
    }

    /// Reads and checks a whole document; the reader holds the inventory or the problems. Throws for a syntax error.
    static func read(_ text: String, file: String, inHalves: Bool, direct: Bool) throws -> NodeReader {
        var text = text
        text.makeContiguousUTF8()
        return try text.utf8.withContiguousStorageIfAvailable { try read(utf8: $0, file: file, inHalves: inHalves, direct: direct) }!
    }

    /// `read` of valid UTF-8 in a buffer.
    static func read(utf8 text: UnsafeBufferPointer<UInt8>, file: String, inHalves: Bool, direct: Bool) throws -> NodeReader {
        var reader = NodeReader()
        do {
            if inHalves, let halves = readInHalves(utf8: text, direct: direct) {
                reader = halves
            } else {
                let entry: BlockYAML.EntryReader = { reader.readEntry(list: $0, index: $1, bytes: $2, at: $3) }
                let root = try YAMLStream.composeConcurrently(utf8: text, restart: { reader = NodeReader() },
                                                              item: { list, index, node in reader.read(list: list, index: index, node: node) },
                                                              entry: direct ? entry : nil)
                reader.top(root)
            }
        } catch let error as YAMLSyntaxError {
            throw FormatError(file: file, problems: [FormatProblem(line: error.mark.line, column: error.mark.column, path: "",
                                                                   message: "YAML syntax: \(error.message)")])
        }
        reader.checkReferences()
        return reader
    }

    /// The sources in the second half of the file go to a second reader on a second thread; the two readers are
    /// joined in document order, so problems, their positions and the inventory are those of one reader.
    static func readInHalves(_ text: String, direct: Bool = true) -> NodeReader? {
        var text = text
        text.makeContiguousUTF8()
        return text.utf8.withContiguousStorageIfAvailable { readInHalves(utf8: $0, direct: direct) } ?? nil
    }

    static func readInHalves(utf8 text: UnsafeBufferPointer<UInt8>, direct: Bool = true) -> NodeReader? {
        var first = NodeReader()
        let second = SecondReader()
        let firstEntry: BlockYAML.EntryReader = { first.readEntry(list: $0, index: $1, bytes: $2, at: $3) }
        let secondEntry: BlockYAML.SendableEntryReader = { second.reader.readEntry(list: $0, index: $1, bytes: $2, at: $3) }
        guard let halves = YAMLStream.composeInHalves(utf8: text, list: "sources", first: { first.read(list: $0, index: $1, node: $2) },
                                                      second: { second.reader.read(list: $0, index: $1, node: $2) },
                                                      firstEntry: direct ? firstEntry : nil, secondEntry: direct ? secondEntry : nil,
                                                      cut: { before in
                                                          // The cut is near the middle of the text, so each half has about as
                                                          // many sources; the first reader takes the second's in the end.
                                                          first.reserve(sources: before * 5 / 2)
                                                          second.reader.reserve(sources: before * 5 / 4)
                                                      })
        else { return nil }
        first.append(second.reader)
        first.top(halves.root)
        return first
    }

    /// The second half's reader, used by one thread at a time (the second, then, once it has finished, the first).
    private final class SecondReader: @unchecked Sendable {
        var reader = NodeReader()
    }
}
