import Foundation
import Yams

/// A position in a YAML file, 1-based; columns count characters, as libyaml counts them.
struct YAMLMark: Hashable, Sendable {
    var line: Int
    var column: Int
}

/// A YAML document that could not be read, with where libyaml stopped.
struct YAMLSyntaxError: Error {
    var message: String
    var mark: YAMLMark
}

/// Reading user YAML: the file's text checked, then composed by Yams (libyaml) into nodes that keep their marks.
enum YAMLDocument {
    /// The single document in `text`, or `nil` when there is none. Scalars are left untyped (`Resolver.basic`):
    /// `NodeReader` applies the YAML 1.2 core schema itself (so `yes` stays text, not YAML 1.1's true).
    /// A syntax error is a `FormatError` at libyaml's position.
    static func compose(_ text: String, file: String) throws -> Node? {
        let text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        do {
            return try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            let syntax = syntaxError(error, in: text)
            throw FormatError(file: file, problems: [FormatProblem(line: syntax.mark.line, column: syntax.mark.column, path: "",
                                                                   message: "YAML syntax: \(syntax.message)")])
        }
    }

    /// libyaml's complaint and position, without the snippet Yams appends to its description.
    static func syntaxError(_ error: YamlError, in text: String) -> YAMLSyntaxError {
        func mark(_ mark: Mark) -> YAMLMark { YAMLMark(line: mark.line, column: mark.column) }
        switch error {
        case .scanner(let context, let problem, let at, _), .parser(let context, let problem, let at, _),
             .composer(let context, let problem, let at, _):
            // libyaml refuses nesting deeper than 1,000 levels (its default, which Yams keeps); say so plainly.
            if problem.hasPrefix("Maximum nesting level reached") {
                return YAMLSyntaxError(message: "nested deeper than 1000 levels", mark: mark(at))
            }
            let prefix = context.map { "\($0.text) " } ?? ""
            return YAMLSyntaxError(message: prefix + problem, mark: mark(at))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return YAMLSyntaxError(message: "duplicate key \(keys)", mark: mark(context.mark))
        case .reader(let problem, let offset, _, _):
            return YAMLSyntaxError(message: problem, mark: position(ofUTF8Offset: offset ?? 0, in: text))
        default:
            return YAMLSyntaxError(message: "\(error)", mark: YAMLMark(line: 1, column: 1))
        }
    }

    /// Line and column of a byte offset (libyaml's reader errors give an offset, not a mark).
    static func position(ofUTF8Offset offset: Int, in text: String) -> YAMLMark {
        let before = text.utf8.prefix(offset)
        let line = before.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { before.index(after: $0) } ?? before.startIndex
        let column = String(decoding: before[lineStart...], as: UTF8.self).unicodeScalars.count + 1
        return YAMLMark(line: line, column: column)
    }
}

/// What `NodeReader` asks of a node: its parts and position, and the YAML 1.2 core schema's reading of plain
/// scalars (quoted scalars are always text).
extension Node {
    var position: YAMLMark { mark.map { YAMLMark(line: $0.line, column: $0.column) } ?? YAMLMark(line: 1, column: 1) }
    var pairs: [(key: Node, value: Node)]? { mapping.map { Array($0) } }
    var items: [Node]? { sequence.map { Array($0) } }
    /// The text of a scalar, whatever its style.
    var text: String? { scalar?.string }

    private var plain: String? {
        guard let scalar, scalar.style == .plain || scalar.style == .any else { return nil }
        return scalar.string
    }
    var isNull: Bool { plain.map { ["", "~", "null", "Null", "NULL"].contains($0) } ?? false }
    var boolValue: Bool? {
        switch plain {
        case "true", "True", "TRUE": true
        case "false", "False", "FALSE": false
        default: nil
        }
    }
    var intValue: Int? {
        guard let value = plain else { return nil }
        return Int(value.hasPrefix("+") ? String(value.dropFirst()) : value)
    }
    var doubleValue: Double? {
        guard let value = plain, value.first.map({ $0.isNumber || "+-.".contains($0) }) == true else { return nil }
        return Double(value)
    }
}
