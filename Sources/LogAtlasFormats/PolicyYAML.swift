import Foundation
import LogAtlasCore
import Yams

/// Requirement catalogues as YAML (`policies/shipped/*.yaml`). A file is loaded whole or not at all: every problem
/// is reported with its line and column.
public enum PolicyYAML {
    public static func decode(_ text: String, file: String = "policy.yaml") throws -> Policy {
        try NodeReader.document(text, file: file, emptyMessage: "empty policy file") { reader, root in reader.policy(root) }
    }

    /// `decode` of a file's bytes: bytes that are not UTF-8 are a problem at 1:1; a byte order mark is skipped.
    public static func decode(_ data: Data, file: String) throws -> Policy {
        try decode(try FormatError.text(of: data, file: file), file: file)
    }
}

extension NodeReader {
    static let policyFields: Set<String> = ["id", "title", "version", "citation", "status", "requirements"]
    static let requirementFields: Set<String> = ["id", "title", "clause", "applies_to", "log_types", "min_retention_days",
                                                 "min_searchable_days", "max_retrieval_hours", "retrieval_window_days",
                                                 "required_fields", "clock_sync", "max_attestation_age_days", "incident_types", "weight",
                                                 "max_access_hours", "responsible_contact", "drilled_within_days"]
    static let systemSelectorFields: Set<String> = ["internet_facing", "min_criticality", "tags", "org_kinds"]

    /// A policy document: its header and requirements, each requirement read and checked on its own, and
    /// requirement ids checked to be unique.
    mutating func policy(_ root: Node) -> Policy? {
        guard let map = fields(root, path: "", allowed: Self.policyFields) else { return nil }
        var requirements: [Requirement] = []
        for (index, node) in (map["requirements"]?.items ?? []).enumerated() {
            guard let requirement = requirement(node, path: "requirements[\(index)]") else { continue }
            if requirements.contains(where: { $0.id == requirement.id }) {
                report(issues: [ValidationIssue(path: "requirements[\(index)].id", message: "duplicate requirement id '\(requirement.id)'")])
            }
            requirements.append(requirement)
        }
        let id = string(map, "id", ""), title = string(map, "title", ""), version = string(map, "version", "")
        let citation = string(map, "citation", ""), status = enumeration(map, "status", "", PolicyStatus.self)
        if let list = map["requirements"], list.items == nil, !list.isNull { report(list, path: "requirements", "expected a list") }
        if requirements.isEmpty, problems.isEmpty { report(map["requirements"] ?? root, path: "requirements", "a policy needs at least one requirement") }
        guard let id, let title, let version, let citation, let status else { return nil }
        return Policy(id: id, title: title, version: version, citation: citation, status: status, requirements: requirements)
    }

    mutating func requirement(_ node: Node, path: String) -> Requirement? {
        guard let map = fields(node, path: path, allowed: Self.requirementFields) else { return nil }
        let id = string(map, "id", path), title = string(map, "title", path), clause = string(map, "clause", path)
        let selector = map["applies_to"].flatMap { self.selector($0, path: "\(path).applies_to") }
        if map["applies_to"] == nil { report(node, path: "\(path).applies_to", "missing required field 'applies_to'") }
        let contact = map["responsible_contact"].flatMap { responsibleContact($0, path: "\(path).responsible_contact") }
        // A requirement about the action card alone needs no log type.
        let rule = map["log_types"].flatMap { logTypeRule($0, path: "\(path).log_types") }
            ?? (map["log_types"] == nil && map["responsible_contact"] != nil ? .anyOf([]) : nil)
        if map["log_types"] == nil, map["responsible_contact"] == nil { report(node, path: "\(path).log_types", "missing required field 'log_types'") }
        let days = ["min_retention_days", "min_searchable_days", "retrieval_window_days", "max_attestation_age_days", "drilled_within_days"].map { key -> Int? in
            guard map[key] != nil else { return nil }
            guard let value = integer(map, key, path) else { return nil }
            if !(0...Validation.maxRetentionDays).contains(value) {
                report(map[key], path: "\(path).\(key)", "days must be between 0 and \(Validation.maxRetentionDays), got \(value)")
            }
            return value
        }
        let hours = number(map, "max_retrieval_hours", path)
        if let hours, hours < 0 { report(map["max_retrieval_hours"], path: "\(path).max_retrieval_hours", "hours must be zero or more") }
        let weight = number(map, "weight", path) ?? 1
        if weight <= 0 { report(map["weight"], path: "\(path).weight", "weight must be more than zero") }
        let incidents = incidentTypes(map, path)
        for (index, field) in strings(map, "required_fields", path).enumerated() where !Validation.isFieldName(field) {
            report(map["required_fields"]?.items?[index], path: "\(path).required_fields[\(index)]", "'\(field)' is not a normalised field name")
        }
        let access = map["max_access_hours"].map { accessHours($0, path: "\(path).max_access_hours") } ?? [:]
        guard let id, let title, let clause, let selector, let rule else { return nil }
        return Requirement(id: id, title: title, clause: clause, appliesTo: selector, logTypes: rule, minRetentionDays: days[0],
                           minSearchableDays: days[1], maxRetrievalHours: hours, retrievalWindowDays: days[2],
                           requiredFields: strings(map, "required_fields", path), clockSync: bool(map, "clock_sync", path) ?? false,
                           maxAttestationAgeDays: days[3], incidentTypes: incidents, weight: weight, maxAccessHours: access,
                           responsibleContact: contact, drilledWithinDays: days[4])
    }

    /// `{incident_types: [100, 300], severities: [serious, critical]}` (each empty or absent: all): the action-card
    /// cells that must name who acts and how to reach them.
    mutating func responsibleContact(_ node: Node, path: String) -> ResponsibleContactRule? {
        guard let map = fields(node, path: path, allowed: ["incident_types", "severities"]) else { return nil }
        return ResponsibleContactRule(incidentTypes: incidentTypes(map, path), severities: severities(map, path))
    }

    /// `{critical: 24, serious: 72}`: the most hours obtaining the logs may take at each severity.
    mutating func accessHours(_ node: Node, path: String) -> [Priority: Double] {
        guard let map = fields(node, path: path, allowed: Set(Priority.allCases.map(\.rawValue))) else { return [:] }
        var hours: [Priority: Double] = [:]
        for severity in Priority.allCases {
            guard let value = number(map, severity.rawValue, path) else { continue }
            if value < 0 { report(map[severity.rawValue], path: "\(path).\(severity.rawValue)", "hours must be zero or more") }
            else { hours[severity] = value }
        }
        return hours
    }

    /// `every_org`, `{orgs: {org_kinds: […], sources: owned|held|owned_or_held}}` or
    /// `{systems: {internet_facing, min_criticality, tags, org_kinds}}`.
    mutating func selector(_ node: Node, path: String) -> TargetSelector? {
        if node.text == "every_org" { return TargetSelector(scope: .orgs) }
        if node.text == "every_system" { return TargetSelector(scope: .systems) }
        guard let map = fields(node, path: path, allowed: ["systems", "orgs"]) else { return nil }
        if let systems = map["systems"] {
            if systems.isNull { return TargetSelector(scope: .systems) }
            guard let conditions = fields(systems, path: "\(path).systems", allowed: Self.systemSelectorFields) else { return nil }
            let criticality = conditions["min_criticality"] == nil ? nil : enumeration(conditions, "min_criticality", "\(path).systems", Criticality.self)
            return TargetSelector(scope: .systems, internetFacing: bool(conditions, "internet_facing", "\(path).systems"),
                                  minCriticality: criticality, tags: strings(conditions, "tags", "\(path).systems"),
                                  orgKinds: orgKinds(conditions, "\(path).systems"))
        }
        if let orgs = map["orgs"] {
            if orgs.isNull { return TargetSelector(scope: .orgs) }
            guard let conditions = fields(orgs, path: "\(path).orgs", allowed: ["org_kinds", "sources"]) else { return nil }
            let sources = conditions["sources"] == nil ? .owned : enumeration(conditions, "sources", "\(path).orgs", TargetSelector.OrgSources.self)
            return TargetSelector(scope: .orgs, orgKinds: orgKinds(conditions, "\(path).orgs"), orgSources: sources ?? .owned)
        }
        report(node, path: path, "say every_org, every_system, {systems: …} or {orgs: …}")
        return nil
    }

    mutating func orgKinds(_ map: Fields, _ path: String) -> [OrgKind] {
        strings(map, "org_kinds", path).enumerated().compactMap { index, raw in
            if let kind = OrgKind(rawValue: raw) { return kind }
            report(map["org_kinds"]?.items?[index], path: "\(path).org_kinds[\(index)]",
                   Validation.unknownMessage("organisation kind", raw, OrgKind.allCases.map(\.rawValue)))
            return nil
        }
    }

    mutating func logTypeRule(_ node: Node, path: String) -> LogTypeRule? {
        guard let map = fields(node, path: path, allowed: ["any_of", "all_of"]) else { return nil }
        let key = map["any_of"] != nil ? "any_of" : "all_of"
        let types = strings(map, key, path)
        guard !types.isEmpty else {
            report(node, path: path, "name at least one log type under any_of or all_of")
            return nil
        }
        for (index, type) in types.enumerated() {
            for issue in Validation.logTypeIssues(type, path: "\(path).\(key)[\(index)]") {
                report(map[key]?.items?[index], path: issue.path, issue.message)
            }
        }
        return key == "any_of" ? .anyOf(types) : .allOf(types)
    }
}
