import Foundation
import LogAtlasCore
import Yams

/// Walks a composed YAML document into inventory values, collecting problems with their positions instead of
/// stopping at the first. A problem's position is found from its field path by walking the document.
struct NodeReader {
    private(set) var problems: [FormatProblem] = []
    private(set) var inventory = Inventory()
    /// The document being read, to locate problems by their paths.
    var root: Node?

    static let topFields: Set<String> = ["orgs", "systems", "sources", "action_cards"]
    static let orgFields: Set<String> = ["id", "name", "kind", "parent", "contacts", "escalation_contact"]
    static let systemFields: Set<String> = ["id", "name", "owner_org", "criticality", "internet_facing", "tags", "description"]
    static let sourceFields: Set<String> = ["system", "name", "log_type", "product", "format", "custodian_org", "retention_tiers",
                                            "access_procedure", "fields", "clock", "volume_gb_per_day", "notes"]
    static let tierFields: Set<String> = ["medium", "days", "searchable", "retrieval_hours"]
    static let accessFields: Set<String> = ["contact", "approvals", "steps", "lead_time_hours", "delivery"]
    static let clockFields: Set<String> = ["ntp_synced", "timezone"]
    /// The fields whole-document checks refer to.
    static let keyFieldSet: Set<String> = ["id", "name", "parent", "owner_org", "system", "custodian_org"]

    /// A single-value document (a policy, a sign-in mapping) read by `read`: the value, or every problem found.
    static func document<Value>(_ text: String, file: String, emptyMessage: String,
                                _ read: (inout NodeReader, Node) -> Value?) throws -> Value {
        var reader = NodeReader()
        reader.root = try YAMLDocument.compose(text, file: file)
        let value = reader.root.flatMap { read(&reader, $0) }
        guard reader.problems.isEmpty, let value else {
            throw FormatError(file: file, problems: reader.problems.isEmpty
                ? [FormatProblem(line: 1, column: 1, path: "", message: emptyMessage)] : reader.problems)
        }
        return value
    }

    /// Reads an inventory document: the items of `orgs`, `systems` and `sources` in the order they appear, each
    /// validated on its own, then the top-level mapping itself.
    mutating func read(inventory document: Node?) {
        root = document
        guard let document else { return }
        for (key, value) in document.pairs ?? [] {
            guard let list = key.text, Self.topFields.contains(list), let items = value.items else { continue }
            for (index, item) in items.enumerated() { read(list: list, index: index, node: item) }
        }
        if let top = fields(document, path: "", allowed: Self.topFields) {
            for key in Self.topFields.sorted() {
                if let value = top[key], value.items == nil, !value.isNull { report(value, path: key, "expected a list") }
            }
        }
    }

    /// Reads one item of a top-level list and validates it.
    mutating func read(list: String, index: Int, node: Node) {
        let path = "\(list)[\(index)]"
        let before = problems.count
        switch list {
        case "orgs":
            guard let org = org(node, path: path) else { return }
            inventory.orgs.append(org)
            if problems.count == before { report(issues: Validation.issues(in: org, path: path)) }
        case "systems":
            guard let system = system(node, path: path) else { return }
            inventory.systems.append(system)
            if problems.count == before { report(issues: Validation.issues(in: system, path: path)) }
        case "action_cards":
            guard let card = actionCard(node, path: path) else { return }
            inventory.actionCards.append(card)
            if problems.count == before {
                report(issues: ActionCard.issues(in: card.entries).map { ValidationIssue(path: "\(path).\($0.path)", message: $0.message) })
            }
        default:
            guard let source = source(node, path: path) else { return }
            inventory.sources.append(source)
            if problems.count == before { report(issues: Validation.issues(in: source, path: path)) }
        }
    }

    /// Whole-document checks: references between objects and duplicate keys (each object was validated on reading).
    mutating func checkReferences() {
        guard problems.isEmpty else { return }
        let owners = Dictionary(inventory.systems.map { ($0.id, $0.ownerOrgID) }, uniquingKeysWith: { first, _ in first })
        for index in inventory.actionCards.indices {
            if let system = inventory.actionCards[index].systemID, let owner = owners[system] { inventory.actionCards[index].orgID = owner }
        }
        report(issues: inventory.referenceIssues())
    }

    mutating func report(issues: [ValidationIssue]) {
        for issue in issues {
            let place = mark(for: issue.path)
            problems.append(FormatProblem(line: place.line, column: place.column, path: issue.path, message: issue.message))
        }
    }

    // MARK: Objects

    mutating func org(_ node: Node, path: String) -> Organisation? {
        guard let map = fields(node, path: path, allowed: Self.orgFields) else { return nil }
        let id = string(map, "id", path), name = string(map, "name", path)
        let kind = enumeration(map, "kind", path, OrgKind.self)
        guard let id, let name, let kind else { return nil }
        return Organisation(id: OrgID(id), name: name, kind: kind, parentID: string(map, "parent", path, required: false).map { OrgID($0) },
                            contacts: strings(map, "contacts", path), escalationContact: string(map, "escalation_contact", path, required: false))
    }

    mutating func system(_ node: Node, path: String) -> ProtectedSystem? {
        guard let map = fields(node, path: path, allowed: Self.systemFields) else { return nil }
        let id = string(map, "id", path), name = string(map, "name", path), owner = string(map, "owner_org", path)
        let criticality = map["criticality"] == nil ? .medium : enumeration(map, "criticality", path, Criticality.self)
        guard let id, let name, let owner, let criticality else { return nil }
        return ProtectedSystem(id: SystemID(id), name: name, ownerOrgID: OrgID(owner), criticality: criticality,
                               isInternetFacing: bool(map, "internet_facing", path) ?? false, tags: strings(map, "tags", path),
                               description: string(map, "description", path, required: false))
    }

    mutating func source(_ node: Node, path: String) -> LogSource? {
        guard let map = fields(node, path: path, allowed: Self.sourceFields) else { return nil }
        let system = string(map, "system", path), name = string(map, "name", path)
        let logType = string(map, "log_type", path), custodian = string(map, "custodian_org", path)
        let tiers = list(map["retention_tiers"], path, "retention_tiers") { reader, node, path in reader.tier(node, path: path()) }
        var clock = Clock()
        if let clockNode = map["clock"], let clockMap = fields(clockNode, path: "\(path).clock", allowed: Self.clockFields) {
            clock = Clock(isNTPSynced: bool(clockMap, "ntp_synced", "\(path).clock") ?? false,
                          timezone: string(clockMap, "timezone", "\(path).clock", required: false))
        }
        let access = map["access_procedure"].flatMap { accessProcedure($0, path: "\(path).access_procedure") }
        guard let system, let name, let logType, let custodian else { return nil }
        return LogSource(systemID: SystemID(system), name: name, logType: logType, product: string(map, "product", path, required: false),
                         format: string(map, "format", path, required: false), custodianOrgID: OrgID(custodian),
                         retentionTiers: tiers, accessProcedure: access, fields: strings(map, "fields", path), clock: clock,
                         volumeGBPerDay: number(map, "volume_gb_per_day", path), notes: string(map, "notes", path, required: false))
    }

    mutating func tier(_ node: Node, path: String) -> RetentionTier? {
        guard let map = fields(node, path: path, allowed: Self.tierFields) else { return nil }
        guard let mediumCode = string(map, "medium", path), let days = integer(map, "days", path) else { return nil }
        switch Validation.medium(mediumCode, path: "\(path).medium") {
        case .failure(let issue):
            report(map["medium"], path: issue.path, issue.message)
            return nil
        case .success(let medium):
            return RetentionTier(medium: medium, days: days, isSearchable: bool(map, "searchable", path) ?? medium.isSearchableByDefault,
                                 retrievalHours: number(map, "retrieval_hours", path))
        }
    }

    mutating func accessProcedure(_ node: Node, path: String) -> AccessProcedure? {
        guard let map = fields(node, path: path, allowed: Self.accessFields) else { return nil }
        return AccessProcedure(contact: string(map, "contact", path, required: false), approvals: strings(map, "approvals", path),
                               steps: string(map, "steps", path, required: false), leadTimeHours: number(map, "lead_time_hours", path),
                               delivery: map["delivery"] == nil ? nil : enumeration(map, "delivery", path, DeliveryMethod.self))
    }

    // MARK: Primitive readers

    /// The entries of a mapping, looked up by key (Yams has refused a mapping with a repeated key).
    struct Fields {
        let node: Node
        let keys: [String]
        let values: [Node]
        subscript(key: String) -> Node? { keys.firstIndex(of: key).map { values[$0] } }
    }

    /// The fields of a mapping; keys that are not `allowed` are reported.
    mutating func fields(_ node: Node, path: String, allowed: Set<String>) -> Fields? {
        guard let mapping = node.mapping else {
            report(node, path: path, "expected a mapping of fields")
            return nil
        }
        var keys: [String] = [], values: [Node] = []
        keys.reserveCapacity(mapping.count)
        values.reserveCapacity(mapping.count)
        for (key, value) in mapping {
            let name = key.text ?? ""
            if !allowed.contains(name) { report(key, path: join(path, name), Validation.unknownMessage("field", name, allowed.sorted())) }
            keys.append(name)
            values.append(value)
        }
        return Fields(node: node, keys: keys, values: values)
    }

    /// The items of a list; an item's path is spelled out only when `element` needs it (for a problem, mostly).
    mutating func list<T>(_ node: Node?, _ path: String, _ key: String,
                          _ element: (inout NodeReader, Node, _ itemPath: () -> String) -> T?) -> [T] {
        guard let node, !node.isNull else { return [] }
        guard let sequence = node.sequence else {
            report(node, path: join(path, key), "expected a list")
            return []
        }
        var result: [T] = []
        result.reserveCapacity(sequence.count)
        for (index, item) in sequence.enumerated() {
            if let value = element(&self, item, { "\(Self.joined(path, key))[\(index)]" }) { result.append(value) }
        }
        return result
    }

    mutating func string(_ map: Fields, _ key: String, _ path: String, required: Bool = true) -> String? {
        guard let node = map[key], !node.isNull else {
            if required { report(map.node, path: join(path, key), "missing required field '\(key)'") }
            return nil
        }
        guard let value = node.text else {
            report(node, path: join(path, key), "expected text")
            return nil
        }
        return value
    }

    mutating func strings(_ map: Fields, _ key: String, _ path: String) -> [String] {
        list(map[key], path, key) { reader, node, itemPath in
            guard let value = node.text else { reader.report(node, path: itemPath(), "expected text"); return nil }
            return value
        }
    }

    /// A required whole number.
    mutating func integer(_ map: Fields, _ key: String, _ path: String) -> Int? {
        scalar(map, key, path, required: true, expected: "a whole number") { $0.intValue }
    }

    /// An optional number.
    mutating func number(_ map: Fields, _ key: String, _ path: String) -> Double? {
        scalar(map, key, path, required: false, expected: "a number") { $0.doubleValue }
    }

    /// An optional boolean.
    mutating func bool(_ map: Fields, _ key: String, _ path: String) -> Bool? {
        scalar(map, key, path, required: false, expected: "true or false") { $0.boolValue }
    }

    /// A typed scalar: absent (or null) is `nil`, reported only when `required`; the wrong type is reported.
    mutating func scalar<T>(_ map: Fields, _ key: String, _ path: String, required: Bool, expected: String,
                            _ convert: (Node) -> T?) -> T? {
        guard let node = map[key], !node.isNull else {
            if required { report(map.node, path: join(path, key), "missing required field '\(key)'") }
            return nil
        }
        guard let value = convert(node) else {
            report(node, path: join(path, key), "expected \(expected), got '\(node.text ?? "")'")
            return nil
        }
        return value
    }

    mutating func enumeration<E: RawRepresentable & CaseIterable>(_ map: Fields, _ key: String, _ path: String, _ type: E.Type) -> E?
    where E.RawValue == String {
        guard let raw = string(map, key, path) else { return nil }
        if let value = E(rawValue: raw) { return value }
        report(map[key], path: join(path, key), Validation.unknownMessage(key.replacingOccurrences(of: "_", with: " "), raw, E.allCases.map(\.rawValue)))
        return nil
    }

    func join(_ path: String, _ key: String) -> String { Self.joined(path, key) }
    static func joined(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    // MARK: Problems and positions

    /// Records a problem at `node`, or where `path` points when there is no node.
    mutating func report(_ node: Node?, path: String, _ message: String) {
        let place = node.map { (line: $0.position.line, column: $0.position.column) } ?? mark(for: path)
        problems.append(FormatProblem(line: place.line, column: place.column, path: path, message: message))
    }

    /// Records a problem at a known position.
    mutating func report(at mark: YAMLMark, path: String, _ message: String) {
        problems.append(FormatProblem(line: mark.line, column: mark.column, path: path, message: message))
    }

    /// Where `path` is in the document: the node it names, or the nearest one above it that exists.
    func mark(for path: String) -> (line: Int, column: Int) {
        guard let root else { return (1, 1) }
        let mark = Self.walk(root, path.hasPrefix("[") ? path : ".\(path)")
        return (mark.line, mark.column)
    }

    /// Follows `.key` and `[index]` steps from `node`, as far as they exist.
    static func walk(_ node: Node, _ relativePath: String) -> YAMLMark {
        var node = node
        var rest = Substring(relativePath)
        while !rest.isEmpty {
            if rest.hasPrefix("["), let close = rest.firstIndex(of: "]"), let index = Int(rest[rest.index(after: rest.startIndex)..<close]),
               let items = node.sequence, index >= 0, index < items.count {
                node = items[items.index(items.startIndex, offsetBy: index)]
                rest = rest[rest.index(after: close)...]
            } else if rest.hasPrefix(".") {
                let key = rest.dropFirst().prefix { $0 != "." && $0 != "[" }
                guard let value = node.mapping?.first(where: { $0.key.text == String(key) })?.value else { break }
                node = value
                rest = rest.dropFirst(1 + key.count)
            } else {
                break
            }
        }
        return node.position
    }
}
