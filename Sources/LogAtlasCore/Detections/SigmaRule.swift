/// A Sigma rule as far as readiness needs it: what it reads (`logsource`), how much it matters (`level`) and which
/// ATT&CK techniques it detects. Read from the rule's YAML by `SigmaRules` (LogAtlasFormats).
public struct SigmaRule: Hashable, Sendable, Codable {
    /// Sigma's three rule types: a detection reads a log source; a correlation combines other rules' matches; a
    /// (meta) filter narrows other rules for one environment.
    public enum Kind: String, Hashable, Sendable, Codable {
        case detection, correlation, filter
    }

    /// Sigma's levels, lowest first.
    public enum Level: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
        case informational, low, medium, high, critical

        public static func < (lhs: Level, rhs: Level) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// The rule's `id` (a UUID in SigmaHQ), or its file path when it has none.
    public var id: String
    public var title: String
    public var kind: Kind
    /// `stable`, `test`, `experimental`, `deprecated`, `unsupported`, or `nil` when not given.
    public var status: String?
    public var level: Level?
    public var logsource: SigmaLogsource?
    /// ATT&CK technique IDs from the `attack.tNNNN[.NNN]` tags, upper-cased.
    public var techniques: [String]
    /// Where the rule was read: the file (relative to the pack) and the line of its first key.
    public var file: String
    public var line: Int

    public init(id: String, title: String, kind: Kind, status: String? = nil, level: Level? = nil, logsource: SigmaLogsource? = nil,
                techniques: [String] = [], file: String, line: Int = 1) {
        self.id = id
        self.title = title
        self.kind = kind
        self.status = status
        self.level = level
        self.logsource = logsource
        self.techniques = techniques
        self.file = file
        self.line = line
    }
}

extension SigmaLogsource {
    /// Whether a log type that feeds `self` (a taxonomy entry) supplies what `rule` asks for: every field the rule
    /// names must be named alike by the entry, except that an entry without a product (a generic category such as
    /// `proxy` or `process_creation`) serves any product.
    public func feeds(_ rule: SigmaLogsource) -> Bool {
        guard rule.product != nil || rule.category != nil || rule.service != nil else { return false }
        if let wanted = rule.product, let product, product != wanted { return false }
        if let wanted = rule.category, category != wanted { return false }
        if let wanted = rule.service, service != wanted { return false }
        // An entry that names only a product (none does today) would otherwise feed every rule of that product.
        return category != nil || service != nil
    }
}

/// A rule file or rule that could not be read, with where and why; the rest of the pack is still judged.
public struct UnreadableRule: Hashable, Sendable, Codable {
    public var file: String
    public var line: Int
    public var column: Int
    public var reason: String

    public init(file: String, line: Int, column: Int, reason: String) {
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
    }
}

/// A pack of rules as read from a folder: the rules, what could not be read, and what was left out on purpose.
public struct SigmaPack: Sendable {
    public var rules: [SigmaRule]
    public var unreadable: [UnreadableRule]
    /// Files left out because they sit in a `deprecated` or `unsupported` folder, or say so in their `status`.
    public var skipped: [String: Int]

    public init(rules: [SigmaRule] = [], unreadable: [UnreadableRule] = [], skipped: [String: Int] = [:]) {
        self.rules = rules
        self.unreadable = unreadable
        self.skipped = skipped
    }
}
