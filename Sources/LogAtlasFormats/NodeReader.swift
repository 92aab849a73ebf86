import Foundation
import LogAtlasCore

/// Walks YAML nodes into inventory values, collecting problems with their positions instead of stopping.
/// Positions are kept only while an item is being read, plus the top-level fields of every item, which is
/// what the whole-document checks (references, duplicates) need to point at.
struct NodeReader {
    private(set) var problems: [FormatProblem] = []
    /// Marks within the item being read, by path.
    private var marks: [String: YAMLMark] = [:]
    /// For every item of `orgs`, `systems` and `sources`: its mark and those of its top-level fields.
    private var itemMarks: [String: [ItemMarks]] = [:]

    struct ItemMarks {
        var item: YAMLMark
        var fields: [(String, YAMLMark)]
    }

    private(set) var inventory = Inventory()

    /// Reads one item of a top-level list as soon as the stream has composed it, and validates it.
    mutating func read(list: String, index: Int, node: YAMLNode) {
        let path = "\(list)[\(index)]"
        marks = [:]
        record(node, path)
        itemMarks[list, default: []].append(ItemMarks(item: node.mark, fields: (node.mapping ?? []).compactMap { pair in
            pair.key.string.map { ($0, pair.value.mark) }
        }))
        let before = problems.count
        switch list {
        case "orgs":
            if let org = org(node, path: path) {
                inventory.orgs.append(org)
                if problems.count == before { report(issues: Validation.issues(in: org, path: path)) }
            }
        case "systems":
            if let system = system(node, path: path) {
                inventory.systems.append(system)
                if problems.count == before { report(issues: Validation.issues(in: system, path: path)) }
            }
        case "sources":
            if let source = source(node, path: path) {
                inventory.sources.append(source)
                if problems.count == before { report(issues: Validation.issues(in: source, path: path)) }
            }
        default:
            break  // an unknown top-level key, reported by `top`
        }
        marks = [:]
    }

    /// Checks the top-level mapping (streamed lists arrive empty here).
    mutating func top(_ root: YAMLNode?) {
        guard let root else { return }
        _ = fields(root, path: "", allowed: ["orgs", "systems", "sources"])
    }

    /// Whole-document checks: references between objects and duplicate keys.
    mutating func checkReferences() {
        guard problems.isEmpty else { return }
        report(issues: inventory.issues())
    }

    mutating func report(issues: [ValidationIssue]) {
        for issue in issues {
            let place = mark(for: issue.path)
            problems.append(FormatProblem(line: place.line, column: place.column, path: issue.path, message: issue.message))
        }
    }

    /// The position recorded for `path`, or its nearest recorded parent.
    func mark(for path: String) -> (line: Int, column: Int) {
        var candidate = path
        while !candidate.isEmpty {
            if let mark = marks[candidate] { return (mark.line, mark.column) }
            if let mark = itemMark(candidate) { return (mark.line, mark.column) }
            guard let cut = candidate.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            candidate = String(candidate[..<cut])
        }
        return (1, 1)
    }

    /// `sources[12].system` → the mark of that field of item 12; `sources[12]` → the item.
    private func itemMark(_ path: String) -> YAMLMark? {
        guard let open = path.firstIndex(of: "["), let close = path.firstIndex(of: "]"),
              let index = Int(path[path.index(after: open)..<close]),
              let items = itemMarks[String(path[..<open])], index < items.count else { return nil }
        let rest = path[path.index(after: close)...]
        if rest.isEmpty { return items[index].item }
        guard rest.hasPrefix("."), !rest.dropFirst().contains(where: { $0 == "." || $0 == "[" }) else { return nil }
        let field = String(rest.dropFirst())
        return items[index].fields.first { $0.0 == field }?.1
    }

    mutating func org(_ node: YAMLNode, path: String) -> Organisation? {
        guard let map = fields(node, path: path, allowed: ["id", "name", "kind", "parent", "contacts", "escalation_contact"]) else { return nil }
        let id = string(map, "id", path), name = string(map, "name", path)
        let kind = enumeration(map, "kind", path, OrgKind.self)
        guard let id, let name, let kind else { return nil }
        return Organisation(id: OrgID(id), name: name, kind: kind, parentID: string(map, "parent", path, required: false).map { OrgID($0) },
                            contacts: strings(map, "contacts", path), escalationContact: string(map, "escalation_contact", path, required: false))
    }

    mutating func system(_ node: YAMLNode, path: String) -> ProtectedSystem? {
        guard let map = fields(node, path: path, allowed: ["id", "name", "owner_org", "criticality", "internet_facing", "tags", "description"]) else { return nil }
        let id = string(map, "id", path), name = string(map, "name", path), owner = string(map, "owner_org", path)
        let criticality = map["criticality"] == nil ? .medium : enumeration(map, "criticality", path, Criticality.self)
        guard let id, let name, let owner, let criticality else { return nil }
        return ProtectedSystem(id: SystemID(id), name: name, ownerOrgID: OrgID(owner), criticality: criticality,
                               isInternetFacing: bool(map, "internet_facing", path) ?? false, tags: strings(map, "tags", path),
                               description: string(map, "description", path, required: false))
    }

    mutating func source(_ node: YAMLNode, path: String) -> LogSource? {
        let allowed: Set = ["system", "name", "log_type", "product", "format", "custodian_org", "retention_tiers",
                            "access_procedure", "fields", "clock", "volume_gb_per_day", "notes"]
        guard let map = fields(node, path: path, allowed: allowed) else { return nil }
        let system = string(map, "system", path), name = string(map, "name", path)
        let logType = string(map, "log_type", path), custodian = string(map, "custodian_org", path)
        let tiers = list(map["retention_tiers"], path: "\(path).retention_tiers") { reader, node, path in reader.tier(node, path: path) }
        var clock = Clock()
        if let clockNode = map["clock"], let clockMap = fields(clockNode, path: "\(path).clock", allowed: ["ntp_synced", "timezone"]) {
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

    mutating func tier(_ node: YAMLNode, path: String) -> RetentionTier? {
        guard let map = fields(node, path: path, allowed: ["medium", "days", "searchable", "retrieval_hours"]) else { return nil }
        guard let mediumCode = string(map, "medium", path), let days = integer(map, "days", path) else { return nil }
        switch Validation.medium(mediumCode, path: "\(path).medium") {
        case .failure(let issue):
            report(map["medium"]!, path: issue.path, issue.message)
            return nil
        case .success(let medium):
            return RetentionTier(medium: medium, days: days, isSearchable: bool(map, "searchable", path) ?? medium.isSearchableByDefault,
                                 retrievalHours: number(map, "retrieval_hours", path))
        }
    }

    mutating func accessProcedure(_ node: YAMLNode, path: String) -> AccessProcedure? {
        guard let map = fields(node, path: path, allowed: ["contact", "approvals", "steps", "lead_time_hours", "delivery"]) else { return nil }
        return AccessProcedure(contact: string(map, "contact", path, required: false), approvals: strings(map, "approvals", path),
                               steps: string(map, "steps", path, required: false), leadTimeHours: number(map, "lead_time_hours", path),
                               delivery: map["delivery"] == nil ? nil : enumeration(map, "delivery", path, DeliveryMethod.self))
    }

    // MARK: Primitive readers

    /// A mapping's entries by key, reporting keys that are not `allowed` (typos must not pass silently).
    mutating func fields(_ node: YAMLNode, path: String, allowed: Set<String>) -> [String: YAMLNode]? {
        record(node, path)
        guard let mapping = node.mapping else {
            report(node, path: path, "expected a mapping of fields")
            return nil
        }
        var result: [String: YAMLNode] = [:]
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            let fieldPath = path.isEmpty ? key : "\(path).\(key)"
            guard result[key] == nil else {
                report(keyNode, path: fieldPath, "duplicate key '\(key)'")
                continue
            }
            guard allowed.contains(key) else {
                report(keyNode, path: fieldPath, Validation.unknownMessage("field", key, allowed.sorted()))
                continue
            }
            record(value, fieldPath)
            result[key] = value
        }
        return result
    }

    mutating func list<T>(_ node: YAMLNode?, path: String, _ element: (inout NodeReader, YAMLNode, String) -> T?) -> [T] {
        guard let node else { return [] }
        if node.isNull { return [] }
        guard let sequence = node.sequence else {
            report(node, path: path, "expected a list")
            return []
        }
        return sequence.enumerated().compactMap { index, item in
            let itemPath = "\(path)[\(index)]"
            record(item, itemPath)
            return element(&self, item, itemPath)
        }
    }

    mutating func string(_ map: [String: YAMLNode], _ key: String, _ path: String, required: Bool = true) -> String? {
        let fieldPath = path.isEmpty ? key : "\(path).\(key)"
        guard let node = map[key], !node.isNull else {
            if required { report(map.values.first, path: fieldPath, "missing required field '\(key)'", at: path) }
            return nil
        }
        guard let value = node.string else {
            report(node, path: fieldPath, "expected text")
            return nil
        }
        return value
    }

    mutating func strings(_ map: [String: YAMLNode], _ key: String, _ path: String) -> [String] {
        let fieldPath = path.isEmpty ? key : "\(path).\(key)"
        return list(map[key], path: fieldPath) { reader, node, itemPath in
            guard let value = node.string else { reader.report(node, path: itemPath, "expected text"); return nil }
            return value
        }
    }

    mutating func integer(_ map: [String: YAMLNode], _ key: String, _ path: String) -> Int? {
        guard let node = map[key] else {
            report(nil, path: "\(path).\(key)", "missing required field '\(key)'", at: path)
            return nil
        }
        guard let value = node.int else {
            report(node, path: "\(path).\(key)", "expected a whole number, got '\(node.string ?? "")'")
            return nil
        }
        return value
    }

    mutating func number(_ map: [String: YAMLNode], _ key: String, _ path: String) -> Double? {
        guard let node = map[key], !node.isNull else { return nil }
        guard let value = node.double else {
            report(node, path: "\(path).\(key)", "expected a number, got '\(node.string ?? "")'")
            return nil
        }
        return value
    }

    mutating func bool(_ map: [String: YAMLNode], _ key: String, _ path: String) -> Bool? {
        guard let node = map[key], !node.isNull else { return nil }
        guard let value = node.bool else {
            report(node, path: "\(path).\(key)", "expected true or false, got '\(node.string ?? "")'")
            return nil
        }
        return value
    }

    mutating func enumeration<E: RawRepresentable & CaseIterable>(_ map: [String: YAMLNode], _ key: String, _ path: String, _ type: E.Type) -> E?
    where E.RawValue == String {
        guard let raw = string(map, key, path) else { return nil }
        if let value = E(rawValue: raw) { return value }
        report(map[key], path: "\(path).\(key)", Validation.unknownMessage(key.replacingOccurrences(of: "_", with: " "), raw, E.allCases.map(\.rawValue)))
        return nil
    }

    // MARK: Problems and positions

    mutating func record(_ node: YAMLNode, _ path: String) {
        if marks[path] == nil { marks[path] = node.mark }
    }

    /// Records a problem at `node`, or at the mark of `parentPath` when the node is missing.
    mutating func report(_ node: YAMLNode?, path: String, _ message: String, at parentPath: String? = nil) {
        var position = node.map { (line: $0.mark.line, column: $0.mark.column) }
        if let parentPath { position = self.mark(for: parentPath) }
        let place = position ?? self.mark(for: path)
        problems.append(FormatProblem(line: place.line, column: place.column, path: path, message: message))
    }
}
