import Foundation
import LogAtlasCore

/// Inventory as code: the YAML document `logatlas apply` reads and `logatlas export` writes.
public enum InventoryYAML {
    /// Parses a whole document, reporting every problem with its line and column; validates it as well.
    public static func decode(_ text: String, file: String = "inventory.yaml") throws -> Inventory {
        try decode(text, file: file, inHalves: true)
    }

    /// `inHalves`: read a large file in two halves at once where it can be (see `YAMLStream.composeInHalves`).
    static func decode(_ text: String, file: String, inHalves: Bool) throws -> Inventory {
        var reader = NodeReader()
        do {
            if inHalves, let halves = readInHalves(text) {
                reader = halves
            } else {
                let root = try YAMLStream.composeConcurrently(text, restart: { reader = NodeReader() }) { list, index, node in reader.read(list: list, index: index, node: node) }
                reader.top(root)
            }
        } catch let error as YAMLSyntaxError {
            throw FormatError(file: file, problems: [FormatProblem(line: error.mark.line, column: error.mark.column, path: "",
                                                                   message: "YAML syntax: \(error.message)")])
        }
        reader.checkReferences()
        guard reader.problems.isEmpty else { throw FormatError(file: file, problems: reader.problems) }
        return reader.inventory
    }

    /// The sources in the second half of the file go to a second reader on a second thread; the two readers are
    /// joined in document order, so problems, their positions and the inventory are those of one reader.
    static func readInHalves(_ text: String) -> NodeReader? {
        var first = NodeReader()
        let second = SecondReader()
        guard let halves = YAMLStream.composeInHalves(text, list: "sources", first: { first.read(list: $0, index: $1, node: $2) },
                                                      second: { second.reader.read(list: $0, index: $1, node: $2) }) else { return nil }
        first.append(second.reader)
        first.top(halves.root)
        return first
    }

    /// The second half's reader, used by one thread at a time (the second, then, once it has finished, the first).
    private final class SecondReader: @unchecked Sendable {
        var reader = NodeReader()
    }
}
