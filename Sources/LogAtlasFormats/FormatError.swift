import Foundation

/// One problem in an inventory file, located by line and column (1-based).
public struct FormatProblem: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    /// The field path, e.g. `sources[3].retention_tiers[0].medium`.
    public var path: String
    public var message: String

    public init(line: Int, column: Int, path: String, message: String) {
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Every problem found in a file; nothing is applied when there is one.
public struct FormatError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var problems: [FormatProblem]

    public init(file: String, problems: [FormatProblem]) {
        self.file = file
        self.problems = problems
    }

    /// `file:line:column: message`, one line per problem, like a compiler.
    public var description: String {
        problems.map { "\(file):\($0.line):\($0.column): \($0)" }.joined(separator: "\n")
    }
}

extension FormatError {
    /// The text of a file's bytes: UTF-8, or a problem at 1:1 (nothing is guessed or repaired); a byte order
    /// mark is dropped.
    public static func text(of data: Data, file: String) throws -> String {
        guard var text = String(validating: data, as: UTF8.self) else {
            throw FormatError(file: file, problems: [FormatProblem(line: 1, column: 1, path: "", message: "the file is not UTF-8 text")])
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text
    }
}
