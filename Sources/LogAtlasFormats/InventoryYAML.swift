import Foundation
import LogAtlasCore

/// Inventory as code: the YAML document `logatlas apply` reads and `logatlas export` writes.
public enum InventoryYAML {
    /// Parses a whole document, reporting every problem with its line and column; validates it as well.
    public static func decode(_ text: String, file: String = "inventory.yaml") throws -> Inventory {
        var reader = NodeReader()
        do {
            let root = try YAMLStream.composeConcurrently(text, restart: { reader = NodeReader() }) { list, index, node in reader.read(list: list, index: index, node: node) }
            reader.top(root)
        } catch let error as YAMLSyntaxError {
            throw FormatError(file: file, problems: [FormatProblem(line: error.mark.line, column: error.mark.column, path: "",
                                                                   message: "YAML syntax: \(error.message)")])
        }
        reader.checkReferences()
        guard reader.problems.isEmpty else { throw FormatError(file: file, problems: reader.problems) }
        return reader.inventory
    }
}
