import Foundation
import LogAtlasCore

/// Inventory as code: the YAML document `logatlas apply` reads and `logatlas export` writes.
public enum InventoryYAML {
    /// Parses a whole document, reporting every problem with its line and column; validates it as well.
    public static func decode(_ text: String, file: String = "inventory.yaml") throws -> Inventory {
        let reader = try read(text, file: file)
        guard reader.problems.isEmpty else { throw FormatError(file: file, problems: reader.problems) }
        return reader.inventory
    }

    /// `decode` of a file's bytes: bytes that are not UTF-8 are a problem at 1:1; a byte order mark is skipped.
    public static func decode(_ data: Data, file: String) throws -> Inventory {
        try decode(try FormatError.text(of: data, file: file), file: file)
    }

    /// Reads and checks a whole document; the reader holds the inventory or the problems.
    static func read(_ text: String, file: String) throws -> NodeReader {
        var reader = NodeReader()
        reader.read(inventory: try YAMLDocument.compose(text, file: file))
        reader.checkReferences()
        return reader
    }
}
