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
    /// The text of a file's bytes: UTF-8, or a problem at the first byte that is not (nothing is guessed or
    /// repaired); a byte order mark is dropped.
    public static func text(of data: Data, file: String) throws -> String {
        guard var text = String(validating: data, as: UTF8.self) else {
            let at = firstInvalidUTF8(in: data)
            throw FormatError(file: file, problems: [FormatProblem(line: at.line, column: at.column, path: "",
                                                                   message: "the file is not UTF-8 text (invalid byte at this position)")])
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text
    }

    /// Line and column (in characters) of the first byte sequence that is not UTF-8.
    static func firstInvalidUTF8(in data: Data) -> (line: Int, column: Int) {
        var parser = Unicode.UTF8.ForwardParser()
        var bytes = data.makeIterator()
        var line = 1, column = 1
        while case .valid(let encoded) = parser.parseScalar(from: &bytes) {
            if Unicode.UTF8.decode(encoded) == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}
