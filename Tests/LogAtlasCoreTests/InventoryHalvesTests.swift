import Foundation
import LogAtlasCore
@testable import LogAtlasFormats
import Testing

/// A large inventory file is read in two halves at once. Whatever the file holds, the outcome — the inventory,
/// or every problem with its line, column and path — must be the one of reading it front to back.
@Suite("Inventory files read in two halves")
struct InventoryHalvesTests {
    /// 4,000 synthetic sources: about 2 MB of YAML, above the size from which the halves are used.
    static let text = InventoryYAML.encode(SyntheticInventory.make(sources: 4_000))
    static var lines: [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    static let nullID = LogSourceID(rawValue: UUID(uuidString: "00000000-0000-0000-0000-000000000000")!)

    enum Outcome: Equatable {
        case inventory(Inventory)
        case problems([FormatProblem])
    }

    /// New sources get fresh IDs on every read; everything else must be equal.
    static func outcome(_ text: String, inHalves: Bool) -> Outcome {
        do {
            var inventory = try InventoryYAML.decode(text, file: "inv.yaml", inHalves: inHalves)
            for index in inventory.sources.indices { inventory.sources[index].id = Self.nullID }
            return .inventory(inventory)
        } catch let error as FormatError {
            return .problems(error.problems)
        } catch {
            return .problems([FormatProblem(line: 0, column: 0, path: "", message: "\(error)")])
        }
    }

    /// The line index of the first line at or after `fraction` of the file that starts with `prefix`.
    static func line(startingWith prefix: String, after fraction: Double, in lines: [String]) -> Int {
        let start = Int(Double(lines.count) * fraction)
        return lines[start...].firstIndex { $0.hasPrefix(prefix) }!
    }

    @Test func aLargeFileIsReadInHalvesWithTheSameInventory() throws {
        #expect(Self.text.utf8.count > 1 << 20)
        #expect(InventoryYAML.readInHalves(Self.text) != nil)
        let halves = Self.outcome(Self.text, inHalves: true)
        guard case .inventory(let inventory) = halves else { Issue.record("not read: \(halves)"); return }
        #expect(inventory.sources.count == 4_000)
        #expect(inventory.sources.map(\.name) == (0..<4_000).map { "source-\($0)" })
        #expect(halves == Self.outcome(Self.text, inHalves: false))
    }

    @Test func problemsInBothHalvesKeepTheirPlacesAndOrder() throws {
        var lines = Self.lines
        let org = Self.line(startingWith: "    kind: ", after: 0, in: lines)
        lines[org] = "    kind: departmnt"
        let early = Self.line(startingWith: "    log_type: ", after: 0.3, in: lines)
        lines[early] = "    log_type: network.firewal"
        let late = Self.line(startingWith: "    log_type: ", after: 0.8, in: lines)
        lines[late] = "    log_type: host.linux-authx"
        let reference = Self.line(startingWith: "  - system: ", after: 0.9, in: lines)
        lines[reference] = "  - system: sys-that-does-not-exist"
        let tier = Self.line(startingWith: "      - {medium: ", after: 0.95, in: lines)
        lines[tier] = "      - {medium: tapes, days: -1}"
        let text = lines.joined(separator: "\n")
        #expect(InventoryYAML.readInHalves(text) != nil)

        let halves = Self.outcome(text, inHalves: true)
        #expect(halves == Self.outcome(text, inHalves: false))
        guard case .problems(let problems) = halves else { Issue.record("no problems: \(halves)"); return }
        #expect(Set(problems.map(\.line)).isSuperset(of: [org + 1, early + 1, late + 1, tier + 1]))
        #expect(problems.contains { $0.line > lines.count / 2 && $0.message.contains("linux-authx") })
    }

    /// Reference checks run over the whole inventory: a problem found there points into the second half.
    @Test func aBrokenReferenceInTheSecondHalfIsPlacedThere() throws {
        var lines = Self.lines
        let reference = Self.line(startingWith: "  - system: ", after: 0.9, in: lines)
        lines[reference] = "  - system: sys-that-does-not-exist"
        let text = lines.joined(separator: "\n")
        let halves = Self.outcome(text, inHalves: true)
        #expect(halves == Self.outcome(text, inHalves: false))
        guard case .problems(let problems) = halves else { Issue.record("no problems: \(halves)"); return }
        #expect(problems.count == 1)
        #expect(problems.first?.line == reference + 1)
        #expect(problems.first?.column == 13)
    }

    /// Layouts the halves handle themselves: entries at the key's own indentation, comments and blank lines
    /// between entries (also where the file is cut), a comment after the key, a document end marker.
    @Test("other block layouts", arguments: ["entries at column 0", "comments and blank lines", "key comment and document end"])
    func otherLayouts(_ layout: String) throws {
        var lines = Self.lines
        let key = lines.firstIndex(of: "sources:")!
        switch layout {
        case "entries at column 0":
            for index in (key + 1)..<lines.count where lines[index].hasPrefix("  ") { lines[index].removeFirst(2) }
        case "comments and blank lines":
            for index in stride(from: lines.count - 1, to: key, by: -1) where lines[index].hasPrefix("  - ") && index % 7 < 3 {
                lines.insert(index % 2 == 0 ? "" : "  # a comment between entries", at: index)
            }
        default:
            lines[key] = "sources:   # what holds the logs"
            lines.append("...")
            lines.append("not: part of the first document")
        }
        let text = lines.joined(separator: "\n")
        #expect(InventoryYAML.readInHalves(text) != nil)
        let halves = Self.outcome(text, inHalves: true)
        guard case .inventory(let inventory) = halves else { Issue.record("not read: \(halves)"); return }
        #expect(inventory.sources.count == 4_000)
        #expect(halves == Self.outcome(text, inHalves: false))
    }

    /// Files the halves leave to the reader from the front (and to libyaml where the fast composer gives up):
    /// the outcome is the same either way, and so are the positions of the problems.
    @Test("left to one reader", arguments: ["a key after the list", "an anchor late in the file", "a syntax error late in the file",
                                            "a block scalar late in the file", "a dash in a flow sequence where the cut would be",
                                            "a key that only starts like the list's"])
    func leftToOneReader(_ change: String) throws {
        var lines = Self.lines
        let late = Self.line(startingWith: "    product: ", after: 0.8, in: lines)
        switch change {
        case "a key after the list":
            lines.insert("extra: 1", at: lines.count - 1)
        case "an anchor late in the file":
            lines[late] = "    product: &p Product"
        case "a syntax error late in the file":
            lines[late] = "    product: [unclosed"
        case "a block scalar late in the file":
            lines[late] = "    product: |\n      Product\n      on two lines"
        case "a dash in a flow sequence where the cut would be":
            var text = Self.text
            text.makeContiguousUTF8()
            let cut = text.utf8.withContiguousStorageIfAvailable { BlockYAML.split($0, list: "sources") }!!.line - 1
            lines[cut - 1] = "    volume_gb_per_day: [1,"
            lines[cut] = "  - 2]\n" + lines[cut]
        default:
            let key = lines.firstIndex(of: "sources:")!
            lines[key] = "sources_x:"
            lines.insert("sources:", at: key)
        }
        let text = lines.joined(separator: "\n")
        #expect(InventoryYAML.readInHalves(text) == nil)
        #expect(Self.outcome(text, inHalves: true) == Self.outcome(text, inHalves: false))
    }

    @Test func smallFilesAndSingleListsAreNotCut() {
        let small = InventoryYAML.encode(SyntheticInventory.make(sources: 100))
        #expect(InventoryYAML.readInHalves(small) == nil)
        var lines = Self.lines
        let key = lines.firstIndex(of: "sources:")!
        lines[key] = "sources: []"
        lines.removeSubrange((key + 1)...)
        #expect(InventoryYAML.readInHalves(lines.joined(separator: "\n")) == nil)
    }

    @Test func theCutIsAnEntryOfTheListNearTheMiddle() throws {
        var text = Self.text
        text.makeContiguousUTF8()
        let split = try #require(text.utf8.withContiguousStorageIfAvailable { BlockYAML.split($0, list: "sources") } ?? nil)
        let bytes = Array(text.utf8)
        #expect(split.offset >= bytes.count / 2 && split.offset < bytes.count / 2 + 1_000)
        #expect(String(decoding: bytes[split.offset..<(split.offset + 12)], as: UTF8.self) == "  - system: ")
        #expect(bytes[..<split.offset].filter { $0 == UInt8(ascii: "\n") }.count + 1 == split.line)
        let before = String(decoding: bytes[..<split.offset], as: UTF8.self)
        #expect(before.components(separatedBy: "\n  - system: ").count - 1 == split.entriesBefore)
    }
}
