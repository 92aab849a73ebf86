import Foundation

/// Splits a SQL script into statements. PostgresNIO speaks only the extended protocol, which runs one
/// statement per message, so migration files are sent statement by statement (inside one transaction).
/// Understands quotes, `"identifiers"`, `--` and `/* */` comments and `$tag$` dollar quoting.
public enum SQLScript {
    public static func statements(in script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        let characters = Array(script)
        var index = 0
        func flush() {
            let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !statement.isEmpty, !isOnlyComments(statement) { statements.append(statement) }
            current = ""
        }
        while index < characters.count {
            let character = characters[index]
            let next: Character? = index + 1 < characters.count ? characters[index + 1] : nil
            switch character {
            case "'", "\"":
                let end = scan(characters, from: index + 1, until: [character])
                current += String(characters[index..<end]); index = end
            case "-" where next == "-":
                let end = scan(characters, from: index, until: ["\n"])
                current += String(characters[index..<end]); index = end
            case "/" where next == "*":
                var end = index + 2
                while end + 1 < characters.count, !(characters[end] == "*" && characters[end + 1] == "/") { end += 1 }
                end = min(end + 2, characters.count)
                current += String(characters[index..<end]); index = end
            case "$":
                if let tagEnd = dollarTagEnd(characters, from: index) {
                    let tag = String(characters[index...tagEnd])
                    let bodyStart = tagEnd + 1
                    let closing = find(tag, in: characters, from: bodyStart) ?? characters.count
                    let end = min(closing + tag.count, characters.count)
                    current += String(characters[index..<end]); index = end
                } else {
                    current.append(character); index += 1
                }
            case ";":
                flush(); index += 1
            default:
                current.append(character); index += 1
            }
        }
        flush()
        return statements
    }

    /// Index just past the closing `quote` (or the end).
    private static func scan(_ characters: [Character], from start: Int, until terminators: Set<Character>) -> Int {
        var index = start
        while index < characters.count {
            if terminators.contains(characters[index]) { return index + 1 }
            index += 1
        }
        return index
    }

    /// For `$tag$` or `$$` starting at `start`, the index of the closing `$` of the tag.
    private static func dollarTagEnd(_ characters: [Character], from start: Int) -> Int? {
        var index = start + 1
        while index < characters.count {
            let character = characters[index]
            if character == "$" { return index }
            guard character.isLetter || character == "_" || (character.isNumber && index > start + 1) else { return nil }
            index += 1
        }
        return nil
    }

    private static func find(_ tag: String, in characters: [Character], from start: Int) -> Int? {
        let needle = Array(tag)
        guard needle.count <= characters.count else { return nil }
        var index = start
        while index + needle.count <= characters.count {
            if Array(characters[index..<index + needle.count]) == needle { return index }
            index += 1
        }
        return nil
    }

    private static func isOnlyComments(_ statement: String) -> Bool {
        statement.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") || $0.trimmingCharacters(in: .whitespaces).isEmpty }
    }
}
