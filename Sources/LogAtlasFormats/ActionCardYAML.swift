import Foundation
import LogAtlasCore
import Yams

/// The `action_cards` list of an inventory document:
///
/// ```yaml
/// action_cards:
///   - org: digital                    # the organisation's defaults
///     entries:
///       - {severities: [serious, critical], responsible: Web on-call, contact: "+81 3 5555 0101",
///          first_actions: [Isolate the host from the load balancer], log_types: [web.access]}
///   - system: public-web              # the system's own entries override the defaults cell by cell
///     entries: […]
/// ```
extension NodeReader {
    static let actionCardFields: Set<String> = ["org", "system", "entries"]
    static let actionCardEntryFields: Set<String> = ["incident_types", "severities", "responsible", "contact", "first_actions", "log_types"]

    mutating func actionCard(_ node: Node, path: String) -> ActionCard? {
        guard let map = fields(node, path: path, allowed: Self.actionCardFields) else { return nil }
        let org = string(map, "org", path, required: false), system = string(map, "system", path, required: false)
        if (org == nil) == (system == nil) {
            report(node, path: path, "name either the organisation (org: its defaults) or the system (system: its own card)")
            return nil
        }
        if let list = map["entries"], list.items == nil, !list.isNull { report(list, path: "\(path).entries", "expected a list") }
        var entries: [ActionCardEntry] = []
        for (index, item) in (map["entries"]?.items ?? []).enumerated() {
            if let entry = actionCardEntry(item, path: "\(path).entries[\(index)]") { entries.append(entry) }
        }
        // A system card's organisation is its system's owner, filled in once every system is read.
        return ActionCard(orgID: OrgID(org ?? ""), systemID: system.map { SystemID($0) }, entries: entries)
    }

    mutating func actionCardEntry(_ node: Node, path: String) -> ActionCardEntry? {
        guard let map = fields(node, path: path, allowed: Self.actionCardEntryFields) else { return nil }
        let responsible = string(map, "responsible", path), contact = string(map, "contact", path)
        let types = incidentTypes(map, path), severities = self.severities(map, path)
        guard let responsible, let contact else { return nil }
        return ActionCardEntry(incidentTypes: types, severities: severities, responsible: responsible, contact: contact,
                               firstActions: strings(map, "first_actions", path), logTypes: strings(map, "log_types", path))
    }

    /// `incident_types: [100, 300]`, each one of the action card's types.
    mutating func incidentTypes(_ map: Fields, _ path: String) -> [IncidentType] {
        choices(map, path, "incident_types", "incident type", IncidentType.allCases.map { String($0.rawValue) }) { $0.intValue.flatMap(IncidentType.init) }
    }

    /// `severities: [serious, critical]`.
    mutating func severities(_ map: Fields, _ path: String) -> [Priority] {
        choices(map, path, "severities", "severity", Priority.allCases.map(\.rawValue)) { $0.text.flatMap(Priority.init) }
    }

    /// A list under `key` whose items `value` reads; an item it cannot read is a problem naming the `allowed` ones.
    mutating func choices<T>(_ map: Fields, _ path: String, _ key: String, _ what: String, _ allowed: [String],
                             _ value: (Node) -> T?) -> [T] {
        list(map[key], path, key) { reader, node, itemPath -> T? in
            guard let parsed = value(node) else {
                reader.report(node, path: itemPath(), "\(what) is one of \(allowed.joined(separator: ", "))")
                return nil
            }
            return parsed
        }
    }
}
