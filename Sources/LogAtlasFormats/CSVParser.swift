/// A CSV cell with the column (1-based, in characters) where it starts.
struct CSVCell {
    var value: String
    var column: Int
}

/// One CSV record with the line it starts on (1-based).
struct CSVRecord {
    var line: Int
    var cells: [CSVCell]
    var isBlank: Bool { cells.allSatisfy { $0.value.trimmingCharacters(in: .whitespaces).isEmpty } }
}

/// RFC 4180 CSV: quoted cells may hold commas, quotes (doubled) and line breaks.
enum CSVParser {
    static func records(in text: String) -> [CSVRecord] {
        var records: [CSVRecord] = []
        var cells: [CSVCell] = []
        var value = "", inQuotes = false, line = 1, column = 1, cellColumn = 1, recordLine = 1
        var characters = Array(text.replacingOccurrences(of: "\r\n", with: "\n"))
        if characters.first == "\u{FEFF}" { characters.removeFirst() }
        var index = 0
        func endCell() { cells.append(CSVCell(value: value, column: cellColumn)); value = "" }
        while index < characters.count {
            let character = characters[index]
            if inQuotes {
                if character == "\"" {
                    if index + 1 < characters.count, characters[index + 1] == "\"" { value.append("\""); index += 1; column += 1 } else { inQuotes = false }
                } else {
                    value.append(character)
                    if character == "\n" { line += 1; column = 0 }
                }
            } else if character == "\"" && value.isEmpty {
                inQuotes = true
            } else if character == "," {
                endCell(); cellColumn = column + 1
            } else if character == "\n" {
                endCell(); records.append(CSVRecord(line: recordLine, cells: cells)); cells = []
                line += 1; column = 0; cellColumn = 1; recordLine = line
            } else {
                value.append(character)
            }
            index += 1; column += 1
        }
        if !value.isEmpty || !cells.isEmpty { endCell(); records.append(CSVRecord(line: recordLine, cells: cells)) }
        return records
    }

    /// A cell as CSV: quoted when it holds a comma, quote or line break (checked on UTF-8 bytes: these are ASCII).
    static func quote(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else { return value }
        var quoted = "\""
        for character in value.unicodeScalars {
            if character == "\"" { quoted.unicodeScalars.append("\"") }
            quoted.unicodeScalars.append(character)
        }
        return quoted + "\""
    }
}
