import Foundation
import LogAtlasCore
@testable import LogAtlasFormats
import Testing

/// The fast block composer must give libyaml's tree — values, styles and marks — or give up; never a different tree.
@Suite("Fast YAML composer agrees with libyaml")
struct BlockYAMLTests {
    /// The tree and the streamed items, with every mark, as text.
    static func composed(_ text: String, _ engine: YAMLStream.Engine) throws -> String {
        var items: [String] = []
        let root = try YAMLStream.compose(text, engine: engine, restart: { items = [] }) { key, index, node in items.append("\(key)[\(index)] = \(dump(node))") }
        return (root.map(dump) ?? "nil") + "\n" + items.joined(separator: "\n")
    }

    static func dump(_ node: YAMLNode) -> String {
        let at = "@\(node.mark.line):\(node.mark.column)"
        switch node {
        case .scalar(let value, let isPlain, _): return "\(isPlain ? "p" : "q")\(at)\(value.debugDescription)"
        case .sequence(let items, _): return "[\(at) " + items.map(dump).joined(separator: ", ") + "]"
        case .mapping(let pairs, _): return "{\(at) " + pairs.map { "\(dump($0.key)): \(dump($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    /// Documents the fast composer must handle itself, exactly as libyaml does.
    static let handled: [String] = [
        "",
        "# only a comment\n",
        "a: 1\n",
        "a: 1",
        "---\na: b\n",
        "--- # comment\na: b\n...\n",
        "a: b\n---\nc: d\n",
        "plain scalar root\n",
        "- a\n- b\n-\n- 'c'\n",
        "a:\n  b:\n    c: d\n  e: f\ng: h\n",
        "a:\n- x\n- y\nb: z\n",
        "a:\n  - x\n  -   y   # trailing\n\n\n  - z\n",
        "list:\n  - id: 1\n    name: one\n  -   id: 2\n      name: two\n  -\n    id: 3\n",
        "a:   \nb: ~\nc: null\nd: ''\ne: \"\"\n",
        "url: https://example.org/a?b=c#frag\nratio: a:b\ncolon: 'x: y'\n",
        "text: a # comment\nhash: a#b\n",
        "quoted: 'it''s'\ndouble: \"tab\\there \\\"q\\\" \\\\ \\u00e9 \\x41 \\/\"\n",
        "\"quoted key\": 1\n'single key' : 2\nspaced key   : 3\n",
        "names: [a, 'b c', \"d\", e f , https://x.example/p]\nempty: []\nmap: {id: it, name: \"IT, Inc.\", n: 3}\nnested: [[a, b], {c: d}]\n",
        "名前: 日本語のテキスト\nkey: café — naïve\n  # indented comment\nafter: é:x\n",
        "orgs:\n  - {id: it, name: IT, kind: department}\n  - id: v\n    contacts: [soc@v.example]\nsystems: []\nsources:\n",
        "   a: 1\n   b:\n     - x\n",
        "a: -5\nb: -x\nc: --- not a marker\nd: 1.5e3\n",
        "seq:\n- a: 1\n  b: 2\n- c: 3\n",
        "- {a: 1,\n   b: [x,\n y], # comment\n   c: 'd'}\n- e\n",
        "a: [1,\n  2]\n",
        "list: [a, # first\n\n  b,\n# own line\n  [c, d]]\n",
        "top:\n  -\n    - unsupported? no: a nested block sequence under a dash\n",
    ]

    /// Documents the fast composer leaves to libyaml (valid or not).
    static let leftToLibyaml: [String] = [
        "a: &x 1\nb: *x\n",
        "a: !tag 1\n",
        "a: |\n  block\n",
        "a: >\n  folded\n",
        "a: plain\n  continued\n",
        "a: 'quoted\n  continued'\n",
        "a:\tb\n",
        "a: b\r\n",
        "%YAML 1.1\n---\na: b\n",
        "- - a\n",
        "? complex\n: key\n",
        "a: b: c\n",
        "a: 1\n  b: 2\n",
        "a:\n  - x\n b: y\n",
        "a: [x, ]\n",
        "a: {k\n: v}\n",
        "a: [\n  x,\n  y\n]\n",
        "a: [x,\n---\n]\n",
        "a: [k: v]\n",
        "a: \"\\e\"\n",
        "a: 'unterminated\n",
        "---\n",
        "\u{FEFF}a: b\n",
    ]

    @Test("handles plain block YAML itself, with libyaml's values and marks", arguments: handled)
    func handles(_ text: String) throws {
        #expect(try Self.composed(text, .block) == Self.composed(text, .libyaml))
    }

    @Test("leaves everything else to libyaml", arguments: leftToLibyaml)
    func leaves(_ text: String) throws {
        #expect(throws: BlockYAML.Unsupported.self) { try Self.composed(text, .block) }
        let viaLibyaml = Result { try Self.composed(text, .libyaml) }
        let automatic = Result { try Self.composed(text, .automatic) }
        switch (viaLibyaml, automatic) {
        case (.success(let expected), .success(let got)): #expect(got == expected)
        case (.failure(let expected as YAMLSyntaxError), .failure(let got as YAMLSyntaxError)):
            #expect(got.message == expected.message && got.mark == expected.mark)
        default: Issue.record("libyaml and the automatic composer disagree on \(text.debugDescription)")
        }
    }

    @Test("the shipped policies, the demo inventory, the OpenAPI document and a synthetic inventory compose the same")
    func realFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("Sources/LogAtlasFormats/policies")
        var files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
            .map { folder.appendingPathComponent($0) }
        files.append(root.appendingPathComponent("Sources/LogAtlasServer/Demo/demo-inventory.yaml"))
        #expect(files.count == 6)
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            do {
                let fast = try Self.composed(text, .block)
                #expect(try fast == Self.composed(text, .libyaml), "\(file.lastPathComponent)")
            } catch {
                Issue.record("\(file.lastPathComponent): \(error)")
            }
        }
        let openAPI = try String(contentsOf: root.appendingPathComponent("Sources/LogAtlasServer/openapi.yaml"), encoding: .utf8)
        #expect(try Self.composed(openAPI, .automatic) == Self.composed(openAPI, .libyaml))
        let synthetic = InventoryYAML.encode(SyntheticInventory.make(sources: 300))
        #expect(try Self.composed(synthetic, .block) == Self.composed(synthetic, .libyaml))
    }

    @Test("random documents: whenever the fast composer answers, libyaml gives the same tree")
    func randomDocuments() throws {
        var generator = SplitMix(seed: 0x5EED)
        var handledCount = 0
        for _ in 0..<400 {
            var writer = RandomYAML(generator: generator)
            let text = writer.document()
            generator.state &+= 0x9E37_79B9_7F4A_7C15
            let expected = Result { try Self.composed(text, .libyaml) }
            switch Result(catching: { try Self.composed(text, .block) }) {
            case .success(let got):
                handledCount += 1
                guard case .success(let expected) = expected else {
                    Issue.record("accepted what libyaml refuses:\n\(text)")
                    continue
                }
                #expect(got == expected, "\(text)")
            case .failure(let error):
                #expect(error is BlockYAML.Unsupported)
            }
        }
        #expect(handledCount > 200)   // the generator mostly writes what the fast composer is for
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random block YAML in the style people write inventories in, with the awkward corners mixed in.
struct RandomYAML {
    var generator: SplitMix
    var lines: [String] = []

    static let scalars = ["a", "web-01", "soc@org.example", "https://x.example/a:b", "a:b", "a # comment", "a#b", "'it''s'",
                          "\"esc \\\" \\u00e9\"", "\"\"", "''", "~", "null", "-5", "3.25", "true", "日本語", "café  ",
                          "[a, b]", "[]", "{k: v, n: 1}", "{}", "[https://x.example, 'q', \"d\"]"]
    /// What the fast composer gives up on (or libyaml refuses), mixed in now and then.
    static let awkward = ["x: y", "- x", "&anchor v", "|", "'open", "[a,", "v: w: z", "-", "*alias", "[k: v]"]
    static let keys = ["id", "name", "kind", "tags", "retention_tiers", "名前", "'quoted key'", "\"dq\"", "spaced  ", "a:b", "k"]

    init(generator: SplitMix) { self.generator = generator }

    mutating func pick<T>(_ values: [T]) -> T { values[Int(generator.next() % UInt64(values.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { generator.next() % 100 < percent }

    mutating func scalar() -> String { chance(3) ? pick(Self.awkward) : pick(Self.scalars) }

    mutating func document() -> String {
        if chance(10) { lines.append("---") }
        mapping(indent: 0, depth: 0)
        return lines.joined(separator: "\n") + (chance(80) ? "\n" : "")
    }

    mutating func noise() {
        if chance(8) { lines.append("") }
        if chance(6) { lines.append(String(repeating: " ", count: Int(generator.next() % 6)) + "# note") }
    }

    mutating func mapping(indent: Int, depth: Int, firstPrefix: String? = nil) {
        let count = 1 + Int(generator.next() % 4)
        for index in 0..<count {
            noise()
            let pad = index == 0 && firstPrefix != nil ? firstPrefix! : String(repeating: " ", count: indent)
            let key = pick(Self.keys)
            let step = pick([2, 2, 3, 4])
            if depth < 3, chance(30) {
                lines.append("\(pad)\(key):" + (chance(20) ? "  # c" : ""))
                mapping(indent: indent + step, depth: depth + 1)
            } else if depth < 3, chance(30) {
                lines.append("\(pad)\(key):")
                sequence(indent: chance(25) ? indent : indent + step, depth: depth + 1)
            } else {
                lines.append("\(pad)\(key):" + (chance(5) ? "" : " " + scalar()) + (chance(10) ? " # trailing" : ""))
            }
        }
    }

    mutating func sequence(indent: Int, depth: Int) {
        let count = 1 + Int(generator.next() % 3)
        let pad = String(repeating: " ", count: indent)
        for _ in 0..<count {
            noise()
            if depth < 3, chance(40) {
                mapping(indent: indent + 2, depth: depth + 1, firstPrefix: pad + "- ")
            } else if chance(5) {
                lines.append(pad + "-")
            } else {
                lines.append(pad + "- " + scalar())
            }
        }
    }
}
