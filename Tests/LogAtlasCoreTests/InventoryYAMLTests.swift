import Foundation
import LogAtlasCore
@testable import LogAtlasFormats
import SyntheticInventory
import Testing

/// Inventory files as users write them: every layout YAML allows reads the same, and every problem is reported
/// with its line, column and field path.
@Suite("Inventory YAML")
struct InventoryYAMLTests {
    /// The problems of reading `text`, as `line:column path: message` (empty when it reads).
    static func problems(_ text: String) -> [String] {
        do {
            _ = try InventoryYAML.decode(text, file: "inv.yaml")
            return []
        } catch let error as FormatError {
            return error.problems.map { "\($0.line):\($0.column) \($0)" }
        } catch {
            return ["unexpected \(error)"]
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

    @Test func anExportedEntryIsReadExactly() throws {
        let inventory = try InventoryYAML.decode(Self.header + Self.exported, file: "inv.yaml")
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

    /// Entries in other layouts, with the awkward corners, and whether they are a valid inventory.
    static let variants: [(name: String, entries: String, valid: Bool)] = [
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
        ("a comment after a value", "  - system: web  # the front end\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n", true),
        ("a blank line inside", "  - system: web\n    name: a\n\n    log_type: network.proxy\n    custodian_org: acme\n", true),
        ("escapes", "  - system: web\n    name: \"caf\\u00e9 \\x41\\t\\U0001F600\"\n    log_type: network.proxy\n    custodian_org: acme\n", true),
        ("an escape libyaml refuses", "  - system: web\n    name: \"a\\qb\"\n    log_type: network.proxy\n    custodian_org: acme\n", false),
        ("a URL", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n    access_procedure:\n      steps: https://tickets.example/new\n", true),
        ("an unknown field", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n    colour: red\n", false),
        ("a repeated field", "  - system: web\n    name: a\n    name: b\n    log_type: network.proxy\n    custodian_org: acme\n", false),
        ("a missing field", "  - system: web\n    log_type: network.proxy\n    custodian_org: acme\n", false),
        ("invalid values", "  - system: Web\n    name: a\n    log_type: network.proxi\n    custodian_org: acme\n    retention_tiers:\n      - {medium: disk, days: -5}\n", false),
        ("wrong types", "  - system: web\n    name: [a]\n    log_type: network.proxy\n    custodian_org: acme\n    volume_gb_per_day: lots\n    clock: {ntp_synced: yes}\n    retention_tiers:\n      - {medium: nas, days: '30'}\n", false),
        ("a null delivery", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n    access_procedure:\n      delivery:\n", false),
        ("a null clock", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n    clock:\n", false),
        ("a scalar continued on the next line", "  - system: web\n    name: a\n      b\n    log_type: network.proxy\n    custodian_org: acme\n", true),
        ("a mapping in a value", "  - system: web\n    name: a: b\n    log_type: network.proxy\n    custodian_org: acme\n", false),
        ("an anchor", "  - system: &s web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n", true),
        ("a flow mapping with a list", "  - system: web\n    name: a\n    log_type: network.proxy\n    custodian_org: acme\n    access_procedure: {approvals: [a]}\n", true),
        ("a tab", "  - system: web\n    name: a\tb\n    log_type: network.proxy\n    custodian_org: acme\n", true),
    ]

    @Test("layouts", arguments: variants.indices)
    func layouts(_ index: Int) throws {
        let variant = Self.variants[index]
        let problems = Self.problems(Self.header + variant.entries)
        #expect(problems.isEmpty == variant.valid, "\(variant.name): \(problems)")
        guard variant.valid else { return }
        let inventory = try InventoryYAML.decode(Self.header + variant.entries)
        #expect(inventory.sources.allSatisfy { $0.systemID == SystemID("web") || $0.systemID == SystemID("db") }, "\(variant.name)")
    }

    @Test func layoutsReadTheSameValues() throws {
        let block = try InventoryYAML.decode(Self.header + Self.variants[2].entries).sources[0]
        #expect(block.retentionTiers == [RetentionTier(medium: .siem, days: 90, isSearchable: true, retrievalHours: 0.25),
                                         RetentionTier(medium: .tape, days: 3650, isSearchable: false, retrievalHours: nil)])
        let quoted = try InventoryYAML.decode(Self.header + Self.variants[4].entries).sources[0]
        #expect(quoted.name == "proxy \"main\" / edge" && quoted.product == "it's" && quoted.fields == ["time", "user"])
        let continued = try InventoryYAML.decode(Self.header + Self.variants.first { $0.name == "a scalar continued on the next line" }!.entries)
        #expect(continued.sources[0].name == "a b")
        let escapes = try InventoryYAML.decode(Self.header + Self.variants.first { $0.name == "escapes" }!.entries)
        #expect(escapes.sources[0].name == "café A\t😀")
    }

    @Test func problemsAcrossEntriesPointAtTheirFields() {
        // A duplicate, an unknown custodian and an unknown system, each in its own entry (16 lines each, from line 16).
        let entries = Self.exported + Self.exported
            + Self.exported.replacingOccurrences(of: "name: proxy", with: "name: other").replacingOccurrences(of: "custodian_org: vendor", with: "custodian_org: nobody")
            + Self.exported.replacingOccurrences(of: "system: web", with: "system: nowhere").replacingOccurrences(of: "name: proxy", with: "name: third")
        let problems = Self.problems(Self.header + entries)
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("33:11 sources[1].name:") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("52:20 sources[2].custodian_org:") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("64:13 sources[3].system:") }, "\(problems)")
    }

    @Test func syntaxErrorsAndRepeatedKeysHaveTheirPlace() {
        #expect(Self.problems("orgs:\n  - {id: it, name: IT\n") == ["3:1 YAML syntax: while parsing a flow mapping did not find expected ',' or '}'"])
        let repeated = Self.problems(Self.header + "  - system: web\n    name: a\n    name: b\n    log_type: network.proxy\n    custodian_org: acme\n")
        #expect(repeated.count == 1 && repeated[0].hasPrefix("17:5 ") && repeated[0].contains("duplicate key 'name'"), "\(repeated)")
    }

    @Test("scalars follow the YAML 1.2 core schema; quoted scalars are always text", arguments: [
        ("7", nil, 7, 7.0, false), ("007", nil, 7, 7.0, false), ("+5", nil, 5, 5.0, false), ("-1", nil, -1, -1.0, false),
        ("1.5", nil, nil, 1.5, false), (".5", nil, nil, 0.5, false), ("1e3", nil, nil, 1000.0, false), ("0x1F", nil, nil, 31.0, false),
        ("1_000", nil, nil, nil, false), ("nan", nil, nil, nil, false), ("~", nil, nil, nil, true), ("null", nil, nil, nil, true),
        ("Null", nil, nil, nil, true), ("NULL", nil, nil, nil, true), ("nULL", nil, nil, nil, false), ("true", true, nil, nil, false),
        ("TRUE", true, nil, nil, false), ("tRUE", nil, nil, nil, false), ("false", false, nil, nil, false), ("yes", nil, nil, nil, false),
        ("no", nil, nil, nil, false),
    ] as [(String, Bool?, Int?, Double?, Bool)])
    func scalars(_ text: String, bool: Bool?, int: Int?, double: Double?, isNull: Bool) throws {
        let plain = try #require(try YAMLDocument.compose("v: \(text)\n", file: "t.yaml")?.pairs?.first?.value)
        #expect(plain.boolValue == bool && plain.intValue == int && plain.doubleValue == double && plain.isNull == isNull, "\(text)")
        #expect(plain.text == text)
        let quoted = try #require(try YAMLDocument.compose("v: '\(text)'\n", file: "t.yaml")?.pairs?.first?.value)
        #expect(quoted.boolValue == nil && quoted.intValue == nil && quoted.doubleValue == nil && !quoted.isNull && quoted.text == text)
    }

    @Test func aByteOrderMarkIsSkippedAndOtherEncodingsRefused() throws {
        let text = Self.header + Self.exported
        let marked = try InventoryYAML.decode(Data([0xEF, 0xBB, 0xBF] + Array(text.utf8)), file: "inv.yaml")
        #expect(marked.sources.count == 1 && marked.sources[0].name == "proxy")
        do {
            _ = try InventoryYAML.decode(Data(Array(text.utf8) + [0x23, 0x20, 0xE9, 0x0A]), file: "inv.yaml")
            Issue.record("Latin-1 was read")
        } catch let error as FormatError {
            // The Latin-1 "é" sits on the last line, after "# ".
            let line = text.split(separator: "\n", omittingEmptySubsequences: false).count
            #expect(error.description == "inv.yaml:\(line):3: the file is not UTF-8 text (invalid byte at this position)")
        }
    }

    @Test func exportedInventoriesReadBack() throws {
        let inventory = SyntheticInventory.make(sources: 300)
        let again = try InventoryYAML.decode(InventoryYAML.encode(inventory))
        #expect(again.orgs == inventory.orgs && again.systems == inventory.systems && again.sources.count == 300)
        #expect(zip(again.sources, inventory.sources).allSatisfy { $0.declaresSame(as: $1) })
    }

    /// #13 item 12: `export` then `apply` must read back what was exported, for any valid inventory: every optional
    /// field present or absent, and texts that look like other YAML (keys, comments, anchors, numbers, booleans,
    /// quotes, escapes, line and paragraph separators, non-Latin scripts).
    @Test func randomInventoriesSurviveExportAndApply() throws {
        var random = SplitMix(seed: 0x1A7_1A5)
        let awkward = ["plain", "yes", "No", "null", "~", "1e3", "0x1F", "-1", "- item", "key: value", "a # comment", "#hash",
                       "&anchor", "*alias", "!tag", "%directive", "@at", "`tick`", "{brace}", "[bracket]", "'single'", "\"double\"",
                       "back\\slash", " leading", "trailing ", "tab\there", "two\nlines", "crlf\r\nend", "line\u{2028}sep",
                       "para\u{2029}sep", "日本語のログ", "émoji 🔥", "colon:", "? question", "| pipe", "> fold", "...", "---"]
        func text() -> String { awkward[random.next(awkward.count)] + (random.next(2) == 0 ? "" : " \(random.next(1000))") }
        func maybe<T>(_ make: () -> T) -> T? { random.next(2) == 0 ? nil : make() }
        let orgs = (0..<4).map { index in
            Organisation(id: OrgID("org-\(index)"), name: text(), kind: OrgKind.allCases[random.next(4)],
                         parentID: index > 0 && random.next(2) == 0 ? OrgID("org-0") : nil,
                         contacts: (0..<random.next(3)).map { _ in text() }, escalationContact: maybe(text))
        }
        let systems = (0..<6).map { index in
            ProtectedSystem(id: SystemID("sys-\(index)"), name: text(), ownerOrgID: orgs[random.next(4)].id,
                            criticality: Criticality.allCases[random.next(4)], isInternetFacing: random.next(2) == 0,
                            tags: (0..<random.next(3)).map { "tag-\($0)" }, description: maybe(text))
        }
        let media = StorageMedium.allCases
        let sources = (0..<60).map { index in
            LogSource(systemID: systems[random.next(6)].id, name: "\(text()) \(index)", logType: "network.firewall",
                      product: maybe(text), format: maybe(text), custodianOrgID: orgs[random.next(4)].id,
                      retentionTiers: (0..<random.next(3)).map { _ in
                          RetentionTier(medium: media[random.next(media.count)], days: 1 + random.next(3_000), isSearchable: random.next(2) == 0,
                                        retrievalHours: maybe { Double(random.next(100)) / 4 })
                      },
                      accessProcedure: maybe {
                          AccessProcedure(contact: maybe(text), approvals: (0..<random.next(3)).map { _ in text() }, steps: maybe(text),
                                          leadTimeHours: maybe { Double(random.next(200)) / 2 },
                                          delivery: maybe { DeliveryMethod.allCases[random.next(DeliveryMethod.allCases.count)] })
                      },
                      fields: (0..<random.next(4)).map { "field_\($0)" },
                      clock: LogAtlasCore.Clock(isNTPSynced: random.next(2) == 0, timezone: maybe { ["UTC", "Asia/Tokyo", "+09:00"][random.next(3)] }),
                      volumeGBPerDay: maybe { Double(random.next(10_000)) / 8 }, notes: maybe(text))
        }
        let inventory = Inventory(orgs: orgs, systems: systems, sources: sources)
        let exported = InventoryYAML.encode(inventory)
        let again = try InventoryYAML.decode(exported)
        #expect(again.orgs == inventory.orgs)
        #expect(again.systems == inventory.systems)
        for (read, written) in zip(again.sources, inventory.sources) { #expect(read.declaresSame(as: written), "\(written)") }
        #expect(again.sources.count == sources.count)
        // Nothing in the file is outside YAML's printable set, so any YAML 1.2 parser can read it.
        #expect(!exported.unicodeScalars.contains { (0x7F...0x9F).contains($0.value) || [0x2028, 0x2029].contains($0.value) })
    }
}

/// A small seeded generator, so a failing case can be reproduced.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}
