import Foundation
import LogAtlasCore
import Yams

/// Inventory as code: the YAML document `logatlas apply` reads and `logatlas export` writes.
public enum InventoryYAML {
    /// Parses a whole document, reporting every problem with its line and column; validates it as well.
    public static func decode(_ text: String, file: String = "inventory.yaml") throws -> Inventory {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw FormatError(file: file, problems: [problem(from: error)])
        }
        var reader = NodeReader()
        let inventory = reader.inventory(root)
        var problems = reader.problems
        if problems.isEmpty {
            problems = inventory.issues().map { issue in
                let mark = reader.mark(for: issue.path)
                return FormatProblem(line: mark.line, column: mark.column, path: issue.path, message: issue.message)
            }
        }
        guard problems.isEmpty else { throw FormatError(file: file, problems: problems) }
        return inventory
    }

    static func problem(from error: YamlError) -> FormatProblem {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _), .composer(let context, let problem, let mark, _):
            let prefix = context.map { "\($0.text) " } ?? ""
            return FormatProblem(line: mark.line, column: mark.column, path: "", message: "YAML syntax: \(prefix)\(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return FormatProblem(line: context.mark.line, column: context.mark.column, path: "", message: "duplicate key(s) \(duplicates.joined(separator: ", ")) in mapping")
        case .reader(let problem, _, _, _):
            return FormatProblem(line: 1, column: 1, path: "", message: "YAML: \(problem)")
        default:
            return FormatProblem(line: 1, column: 1, path: "", message: "YAML: \(error)")
        }
    }
}
