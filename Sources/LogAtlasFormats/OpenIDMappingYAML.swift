import Foundation
import LogAtlasCore
import Yams

/// The sign-in rules of `logatlas serve --oidc-mapping FILE`:
///
/// ```yaml
/// username_claims: [preferred_username, email]   # the first present names the user (this is the default)
/// groups_claim: groups                           # default
/// rules:                                         # the first rule whose group the person is in decides
///   - group: csirt
///     role: csirt
///     create_users: true
///   - group: vendor-a-admins
///     role: custodian
///     orgs: [vendor-a]
/// ```
///
/// Read whole or not at all, every problem with its line and column, like inventories and policies.
public enum OpenIDMappingYAML {
    public static func decode(_ text: String, file: String = "oidc-mapping.yaml") throws -> OpenIDMapping {
        try NodeReader.document(text, file: file, emptyMessage: "empty sign-in mapping") { reader, root in reader.openIDMapping(root) }
    }

    public static func decode(_ data: Data, file: String) throws -> OpenIDMapping {
        try decode(try FormatError.text(of: data, file: file), file: file)
    }
}

extension NodeReader {
    static let openIDMappingFields: Set<String> = ["username_claims", "groups_claim", "rules"]
    static let openIDRuleFields: Set<String> = ["group", "role", "orgs", "create_users"]

    mutating func openIDMapping(_ root: Node) -> OpenIDMapping? {
        guard let map = fields(root, path: "", allowed: Self.openIDMappingFields) else { return nil }
        let rules: [OpenIDMapping.Rule] = list(map["rules"], "", "rules") { reader, node, itemPath in
            let path = itemPath()
            guard let rule = reader.fields(node, path: path, allowed: Self.openIDRuleFields) else { return nil }
            let group = reader.string(rule, "group", path, required: false)
            let role = reader.enumeration(rule, "role", path, Role.self)
            let orgs = reader.strings(rule, "orgs", path).map { OrgID($0) }
            let creates = reader.bool(rule, "create_users", path) ?? false
            return role.map { OpenIDMapping.Rule(group: group, role: $0, orgs: orgs, createsUsers: creates) }
        }
        var mapping = OpenIDMapping(rules: rules)
        if map["username_claims"] != nil { mapping.usernameClaims = strings(map, "username_claims", "") }
        if let groups = string(map, "groups_claim", "", required: false) { mapping.groupsClaim = groups }
        if map["rules"] == nil { report(root, path: "rules", "missing required field 'rules'") }
        guard problems.isEmpty else { return nil }
        report(issues: mapping.issues())
        return problems.isEmpty ? mapping : nil
    }
}
