import Foundation
import LogAtlasCore
@testable import LogAtlasFormats
import Testing

/// Entries of `sources` are read straight from the bytes where `SourceEntryReader` vouches for them. Whatever a
/// file holds, the outcome — the inventory, or every problem with its line, column and path — must be the one
/// of composing the nodes and reading them with `NodeReader`.
@Suite("Sources read straight from the bytes")
struct SourceEntryReaderTests {
    static let nullID = LogSourceID(rawValue: UUID(uuidString: "00000000-0000-0000-0000-000000000000")!)

    enum Outcome: Equatable {
        case inventory(Inventory)
        case problems([FormatProblem])
    }

    /// The outcome of reading `text`, and how many entries were read straight from the bytes.
    static func read(_ text: String, direct: Bool, inHalves: Bool = false) -> (outcome: Outcome, direct: Int) {
        do {
            let reader = try InventoryYAML.read(text, file: "inv.yaml", inHalves: inHalves, direct: direct)
            guard reader.problems.isEmpty else { return (.problems(reader.problems), reader.directEntries) }
            var inventory = reader.inventory
            for index in inventory.sources.indices { inventory.sources[index].id = Self.nullID }
            return (.inventory(inventory), reader.directEntries)
        } catch let error as FormatError {
            return (.problems(error.problems), 0)
        } catch {
            return (.problems([FormatProblem(line: 0, column: 0, path: "", message: "\(error)")]), 0)
        }
    }

    static let header = """
        orgs:
          - id: acme
            name: Acme
            kind: department
          - id: vendor
            name: Vendor
            kind: vendor
        systems:
          - id: web
            name: Web
            owner_org: acme
          - id: db
            name: DB
            owner_org: acme
        sources:

        """

    /// One entry as `logatlas export` writes it.
    static let exported = """
          - system: web
            name: proxy
            log_type: network.proxy
            product: Squid 6
            custodian_org: vendor
            retention_tiers:
              - {medium: siem, days: 90, searchable: true, retrieval_hours: 1}
              - {medium: tape, days: 400, searchable: false, retrieval_hours: 72}
            access_procedure:
              contact: ops@vendor.example
              approvals: [privacy-officer, ciso]
              lead_time_hours: 24
              delivery: file-export
            fields: [time, src_ip, user, url]
            clock: {ntp_synced: true, timezone: UTC}
            volume_gb_per_day: 2.5

        """

    @Test func exportedInventoriesAreReadDirectlyWithTheSameResult() {
        let text = InventoryYAML.encode(SyntheticInventory.make(sources: 300))
        let direct = Self.read(text, direct: true), composed = Self.read(text, direct: false)
        #expect(direct.direct == 300)
        #expect(composed.direct == 0)
        #expect(direct.outcome == composed.outcome)
        guard case .inventory(let inventory) = direct.outcome else { Issue.record("not read: \(direct.outcome)"); return }
        #expect(inventory.sources.count == 300)
    }

    @Test func largeFilesAreReadDirectlyInBothHalves() {
        let text = InventoryYAML.encode(SyntheticInventory.make(sources: 4_000))
        #expect(text.utf8.count > 1 << 20)
        let direct = Self.read(text, direct: true, inHalves: true)
        #expect(direct.direct == 4_000)
        #expect(direct.outcome == Self.read(text, direct: false, inHalves: false).outcome)
    }

    @Test func anExportedEntryIsReadExactly() throws {
        let result = Self.read(Self.header + Self.exported, direct: true)
        #expect(result.direct == 1)
        guard case .inventory(let inventory) = result.outcome else { Issue.record("not read: \(result.outcome)"); return }
        let source = try #require(inventory.sources.first)
        #expect(source.systemID == SystemID("web") && source.name == "proxy" && source.logType == "network.proxy")
        #expect(source.product == "Squid 6" && source.format == nil && source.custodianOrgID == OrgID("vendor"))
        #expect(source.retentionTiers == [RetentionTier(medium: .siem, days: 90, isSearchable: true, retrievalHours: 1),
                                          RetentionTier(medium: .tape, days: 400, isSearchable: false, retrievalHours: 72)])
        #expect(source.accessProcedure == AccessProcedure(contact: "ops@vendor.example", approvals: ["privacy-officer", "ciso"],
                                                          leadTimeHours: 24, delivery: .fileExport))
        #expect(source.fields == ["time", "src_ip", "user", "url"])
        #expect(source.clock == Clock(isNTPSynced: true, timezone: "UTC"))
        #expect(source.volumeGBPerDay == 2.5)
    }

    /// Entries in other layouts, with the awkward corners: `direct` says whether the direct reader must vouch for
    /// them (a layout people write by hand should not fall back); either way the outcome must be the composed one.
    static let variants: [(name: String, entries: String, direct: Bool)] = [
        ("block lists", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n    fields:\n      - time\n      - user\n", true),
        ("a list at its key's indentation", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n    fields:\n    - time\n    retention_tiers:\n    - {medium: nas, days: 30}\n", true),
        ("block tiers", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n    retention_tiers:\n      - medium: siem\n        days: 90\n        retrieval_hours: 0.25\n      - medium: tape\n        days: 3650\n", true),
        ("block clock, flow access", "  - system: web\n    name: a\n    log_type: network.dns\n    custodian_org: acme\n    clock:\n      ntp_synced: false\n    access_procedure: {contact: a@b.example, lead_time_hours: 4}\n", true),
        ("quoted values", "  - system: 'web'\n    name: \"proxy \\\"main\\\" \\/ edge\"\n    log_type: network.proxy\n    product: 'it''s'\n    custodian_org: \"acme\"\n    fields: ['time', \"user\"]\n", true),
        ("non-ASCII text", "  - system: web\n    name: café-日本\n    log_type: network.proxy\n    custodian_org: acme\n    notes: naïve   \n", true),
        ("entries at column 0", "- system: web\n  name: a\n  log_type: network.proxy\n  custodian_org: acme\n- system: db\n  name: b\n  log_type: app.audit\n  custodian_org: acme\n", true),
        ("extra spaces", "  -   system:    web\n      name: a   \n      log_type:   network.proxy\n      custodian_org: acme\n      fields: [ time ,  user ]\n", true),
        ("blank lines and comments between entries", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n\n  # the database\n  - system: db\n    name: b\n    log_type: app.audit\n    custodian_org: acme\n", true),
        ("no final line break", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme", true),
        ("nulls and empty lists", "  - system: web\n    name: a\n    log_type: network.proxy\n    product: ~\n    format:\n    custodian_org: acme\n    retention_tiers: []\n    fields: null\n    access_procedure:\n      approvals:\n      contact: ~\n", true),
        ("numbers", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n    volume_gb_per_day: 1e3\n    retention_tiers:\n      - {medium: nas, days: 007, retrieval_hours: 0.1}\n      - {medium: tape, days: 30, retrieval_hours: 123456789012345}\n", true),
        ("odd numbers", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n    volume_gb_per_day: .5\n    retention_tiers:\n      - {medium: nas, days: +30, retrieval_hours: 0x10}\n      - {medium: tape, days: 30, retrieval_hours: 1.}\n", true),
        ("a comment after a value", "  - system: web  # the front end\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n", false),
        ("a blank line inside", "  - system: web\n    name: a\n\n    log_type: network.proxy\n    custodian_org: acme\n", false),
        ("escapes", "  - system: web\n    name: \"caf\\u00e9 \\x41\\t\\U0001F600\"\n    log_type: network.proxy\n    custodian_org: acme\n", true),
        ("an escape libyaml refuses", "  - system: web\n    name: \"a\\qb\"\n    log_type: network.proxy\n    custodian_org: acme\n", false),
        ("a URL", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n    access_procedure:\n      steps: https://tickets.example/new\n", false),
        ("an unknown field", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n    colour: red\n", false),
        ("a repeated field", "  - system: web\n    name: a\n    name: b\n    log_type: network.proxy\n    custodian_org: acme\n", false),
        ("a missing field", "  - system: web\n    log_type: network.proxy\n    custodian_org: acme\n", false),
        ("invalid values", "  - system: Web\n    name: a\n    log_type: network.proxi\n    custodian_org: acme\n    retention_tiers:\n      - {medium: disk, days: -5}\n", false),
        ("wrong types", "  - system: web\n    name: [a]\n    log_type: network.proxy\n    custodian_org: acme\n    volume_gb_per_day: lots\n    clock: {ntp_synced: yes}\n    retention_tiers:\n      - {medium: nas, days: '30'}\n", false),
        ("a null delivery", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n    access_procedure:\n      delivery:\n", false),
        ("a null clock", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n    clock:\n", false),
        ("a scalar continued on the next line", "  - system: web\n    name: a\n      b\n    log_type: network.proxy\n    custodian_org: acme\n", false),
        ("a mapping in a value", "  - system: web\n    name: a: b\n    log_type: network.proxy\n    custodian_org: acme\n", false),
        ("an anchor", "  - system: &s web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n", false),
        ("a flow mapping with a list", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n    access_procedure: {approvals: [a]}\n", false),
        ("a tab", "  - system: web\n    name: a\tb\n    log_type: network.proxy\n    custodian_org: acme\n", false),
    ]

    @Test("layouts", arguments: variants.indices)
    func layouts(_ index: Int) {
        let variant = Self.variants[index]
        let text = Self.header + variant.entries
        let direct = Self.read(text, direct: true), composed = Self.read(text, direct: false)
        #expect(direct.outcome == composed.outcome, "\(variant.name)")
        if variant.direct {
            #expect(direct.direct > 0, "\(variant.name): \(direct.outcome)")
            guard case .inventory = direct.outcome else { Issue.record("\(variant.name): \(direct.outcome)"); return }
        } else {
            #expect(direct.direct == 0, "\(variant.name)")
        }
    }

    @Test func problemsFoundAcrossEntriesPointIntoDirectlyReadOnes() {
        // Reference checks use the marks the direct reader keeps: a duplicate, an unknown system and an unknown
        // custodian, in entries it read, must be placed where the composed reading places them.
        let entries = Self.exported + Self.exported
            + Self.exported.replacingOccurrences(of: "name: proxy", with: "name: other").replacingOccurrences(of: "custodian_org: vendor", with: "custodian_org: nobody")
            + Self.exported.replacingOccurrences(of: "system: web", with: "system: nowhere").replacingOccurrences(of: "name: proxy", with: "name: third")
        let text = Self.header + entries
        let direct = Self.read(text, direct: true), composed = Self.read(text, direct: false)
        #expect(direct.outcome == composed.outcome)
        guard case .problems(let problems) = direct.outcome else { Issue.record("read: \(direct.outcome)"); return }
        #expect(problems.map(\.path).contains("sources[1].name"))
        #expect(problems.map(\.path).contains("sources[2].custodian_org"))
        #expect(problems.map(\.path).contains("sources[3].system"))
    }

    /// Near-miss documents: exported entries with random small edits (characters YAML cares about, lines
    /// dropped, doubled or shifted). Whatever the edit does, both readings must agree.
    @Test func randomEditsOfExportedEntries() {
        var generator = SplitMix(seed: 20_261_128)
        let base = Self.header + Self.exported + Self.exported.replacingOccurrences(of: "name: proxy", with: "name: second")
            + Self.variants[2].entries.replacingOccurrences(of: "name: a", with: "name: third")
        let alphabet: [Character] = [" ", " ", ":", "-", "#", "\n", "'", "\"", "[", "]", "{", "}", ",", "~", "&", "x", "0", ".", "é", "\\"]
        var directlyRead = 0
        for _ in 0..<1_500 {
            var lines = base.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for _ in 0...(generator.next() % 2) {
                let line = Int(generator.next() % UInt64(lines.count))
                switch generator.next() % 6 {
                case 0: lines.insert(lines[line], at: line)
                case 1: lines.remove(at: line)
                case 2: lines[line] = " " + lines[line]
                case 3: if lines[line].hasPrefix(" ") { lines[line].removeFirst() }
                default:
                    var characters = Array(lines[line])
                    let at = Int(generator.next() % UInt64(characters.count + 1))
                    if generator.next() % 3 == 0, at < characters.count {
                        characters.remove(at: at)
                    } else {
                        characters.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: at)
                    }
                    lines[line] = String(characters)
                }
                if lines.isEmpty { lines = [""] }
            }
            let text = lines.joined(separator: "\n")
            let direct = Self.read(text, direct: true), composed = Self.read(text, direct: false)
            #expect(direct.outcome == composed.outcome, "\(text)")
            if direct.direct > 0 { directlyRead += 1 }
        }
        #expect(directlyRead > 500)   // most edits leave some entries for the direct reader
    }

    @Test("scalars resolve as YAMLNode resolves them", arguments: [
        "0", "7", "007", "123456789012345678", "1234567890123456789", "-1", "+5", "0x1F", "0o17", "1e3", "1.5", "0.1", "12.340",
        "123456789012.345", "1234567890123.4567", ".5", "5.", "1_000", "nan", ".inf", "~", "null", "Null", "NULL", "nULL", "", "true",
        "True", "TRUE", "tRUE", "false", "no", "yes", "0.30000000000000004",
    ])
    func scalarResolution(_ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { buffer in
            let scalar = SourceEntryReader.Scalar(bytes: buffer, isPlain: true)
            let node = YAMLNode.scalar(text, isPlain: true, YAMLMark(line: 1, column: 1))
            #expect(scalar.isNull == node.isNull, "\(text)")
            #expect(scalar.bool == node.bool, "\(text)")
            #expect(scalar.int == node.int, "\(text)")
            #expect(scalar.double.map(\.bitPattern) == node.double.map(\.bitPattern), "\(text)")
            #expect(scalar.string == node.string, "\(text)")
            let quoted = SourceEntryReader.Scalar(bytes: buffer, isPlain: false)
            let quotedNode = YAMLNode.scalar(text, isPlain: false, YAMLMark(line: 1, column: 1))
            #expect(quoted.isNull == quotedNode.isNull && quoted.bool == quotedNode.bool && quoted.int == quotedNode.int, "\(text)")
        }
    }
}

/// Inventory files are decoded from their bytes; the result must be that of decoding the text.
@Suite("Inventories decoded from bytes")
struct InventoryBytesTests {
    @Test func validationAgreesWithTheStandardLibrary() {
        var generator = SplitMix(seed: 99)
        // Bytes around the edges of UTF-8: ASCII runs, lead bytes, continuation bytes, surrogates, overlongs, > U+10FFFF.
        let pieces: [[UInt8]] = [Array("plain ascii text ".utf8), Array("é".utf8), Array("日本".utf8), Array("😀".utf8), [0x80], [0xBF],
                                 [0xC0, 0x80], [0xC1, 0xBF], [0xC2], [0xE0, 0x80, 0x80], [0xE0, 0xA0, 0x80], [0xED, 0xA0, 0x80],
                                 [0xED, 0x9F, 0xBF], [0xEF, 0xBB, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80],
                                 [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0x00], [0x7F]]
        var valid = 0
        for _ in 0..<5_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(generator.next() % 6) { bytes += pieces[Int(generator.next() % UInt64(pieces.count))] }
            if generator.next() % 4 == 0, !bytes.isEmpty { bytes.removeLast() }   // cut a sequence short
            let expected = String(validating: bytes, as: UTF8.self) != nil
            if expected { valid += 1 }
            #expect(bytes.withUnsafeBufferPointer { UTF8Validation.isValid($0) } == expected, "\(bytes)")
        }
        #expect(valid > 500 && valid < 4_500)
    }

    static func decode(_ bytes: [UInt8]) -> Result<Inventory, FormatError> {
        Result {
            var inventory = try bytes.withUnsafeBufferPointer { try InventoryYAML.decode(utf8: $0, file: "inv.yaml") }
            for index in inventory.sources.indices { inventory.sources[index].id = SourceEntryReaderTests.nullID }
            return inventory
        }.mapError { $0 as! FormatError }
    }

    static func decode(_ text: String) -> Result<Inventory, FormatError> {
        Result {
            var inventory = try InventoryYAML.decode(text, file: "inv.yaml")
            for index in inventory.sources.indices { inventory.sources[index].id = SourceEntryReaderTests.nullID }
            return inventory
        }.mapError { $0 as! FormatError }
    }

    @Test func bytesDecodeAsTheirText() throws {
        let small = SourceEntryReaderTests.header + SourceEntryReaderTests.exported
        let large = InventoryYAML.encode(SyntheticInventory.make(sources: 3_000))   // read in halves
        let broken = small.replacingOccurrences(of: "log_type: network.proxy", with: "log_type: network.proxi")
        for text in [small, large, broken, "", "orgs: [", "# only a comment\n"] {
            let fromBytes = Self.decode(Array(text.utf8)), fromText = Self.decode(text)
            #expect(String(describing: fromBytes) == String(describing: fromText))
        }
        // A byte order mark is skipped, as Foundation skips it when it reads a file into a string.
        #expect(String(describing: Self.decode([0xEF, 0xBB, 0xBF] + Array(small.utf8))) == String(describing: Self.decode(small)))
    }

    @Test func bytesThatAreNotUTF8AreAProblem() {
        let bytes = Array((SourceEntryReaderTests.header + SourceEntryReaderTests.exported).utf8) + [0x23, 0x20, 0xE9, 0x0A]
        guard case .failure(let error) = Self.decode(bytes) else { Issue.record("decoded"); return }
        #expect(error.description == "inv.yaml:1:1: the file is not UTF-8 text")
    }
}
