import Foundation
import LogAtlasCore

/// Inventory as code: the YAML document `logatlas apply` reads and `logatlas export` writes.
public enum InventoryYAML {
    /// Parses a whole document, reporting every problem with its line and column; validates it as well.
    public static func decode(_ text: String, file: String = "inventory.yaml") throws -> Inventory {
        try decode(text, file: file, inHalves: true)
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
        var reader = NodeReader()
        do {
            if inHalves, let halves = readInHalves(text, direct: direct) {
                reader = halves
            } else {
                let entry: BlockYAML.EntryReader = { reader.readEntry(list: $0, index: $1, bytes: $2, at: $3) }
                let root = try YAMLStream.composeConcurrently(text, restart: { reader = NodeReader() },
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
        var first = NodeReader()
        let second = SecondReader()
        let firstEntry: BlockYAML.EntryReader = { first.readEntry(list: $0, index: $1, bytes: $2, at: $3) }
        let secondEntry: BlockYAML.SendableEntryReader = { second.reader.readEntry(list: $0, index: $1, bytes: $2, at: $3) }
        guard let halves = YAMLStream.composeInHalves(text, list: "sources", first: { first.read(list: $0, index: $1, node: $2) },
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
