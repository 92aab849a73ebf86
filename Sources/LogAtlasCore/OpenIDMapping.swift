import Foundation

/// Who a person signed in by the organisation's OpenID Connect provider is in LogAtlas. The operator writes the rules
/// (`logatlas serve --oidc-mapping FILE`); they turn the claims of a verified ID token into a user name, a role and
/// organisation memberships. The first rule that matches decides; a person no rule matches is refused, even one
/// LogAtlas already knows, so that removing someone from the provider's group ends their access at the next sign-in.
public struct OpenIDMapping: Hashable, Sendable {
    /// The claim whose text is the LogAtlas user name (`preferred_username` by default, else `email`).
    public var usernameClaims: [String]
    /// The claim that lists the person's groups (text or a list of text).
    public var groupsClaim: String
    public var rules: [Rule]

    public struct Rule: Hashable, Sendable {
        /// Matches when the groups claim contains this group; `nil` matches everyone the provider signs in.
        public var group: String?
        public var role: Role
        public var orgs: [OrgID]
        /// Whether a person LogAtlas does not know yet gets an account on first sign-in under this rule. Without
        /// it, an administrator creates the user first (`logatlas user add`), and the provider only signs them in.
        public var createsUsers: Bool

        public init(group: String?, role: Role, orgs: [OrgID] = [], createsUsers: Bool = false) {
            self.group = group
            self.role = role
            self.orgs = orgs
            self.createsUsers = createsUsers
        }
    }

    public init(usernameClaims: [String] = ["preferred_username", "email"], groupsClaim: String = "groups", rules: [Rule]) {
        self.usernameClaims = usernameClaims
        self.groupsClaim = groupsClaim
        self.rules = rules
    }

    /// The LogAtlas account for a verified identity: the user name from the first username claim present, and the
    /// role and organisations of the first rule the groups match.
    public func account(for claims: OpenIDClaims) -> Result<OpenIDAccount, OpenIDRefusal> {
        guard let name = usernameClaims.lazy.compactMap({ claims.texts[$0]?.first }).first else {
            return .failure(.noUserName(claims: usernameClaims))
        }
        guard Self.isValidUserName(name) else { return .failure(.invalidUserName(name)) }
        let groups = Set(claims.texts[groupsClaim] ?? [])
        guard let rule = rules.first(where: { $0.group.map(groups.contains) ?? true }) else { return .failure(.noRule(user: name)) }
        return .success(OpenIDAccount(userName: name, role: rule.role, orgs: rule.orgs, mayCreate: rule.createsUsers))
    }

    /// LogAtlas user names: 1 to 100 of letters, digits and `._@-` (an e-mail address fits).
    public static func isValidUserName(_ name: String) -> Bool {
        (1...100).contains(name.count) && name.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._@-".unicodeScalars.contains(scalar))
        }
    }

    /// Problems of a mapping as written, by field path (the file reader adds positions).
    public func issues() -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if rules.isEmpty { issues.append(ValidationIssue(path: "rules", message: "a mapping needs at least one rule")) }
        if usernameClaims.isEmpty { issues.append(ValidationIssue(path: "username_claims", message: "name at least one claim")) }
        for (index, rule) in rules.enumerated() where rule.role == .custodian && rule.orgs.isEmpty {
            issues.append(ValidationIssue(path: "rules[\(index)].orgs", message: "a custodian rule names the organisations it holds logs for"))
        }
        return issues
    }
}

/// The claims of a verified ID token that the mapping reads: the issuer and subject (the person's stable identity at
/// the provider) and every claim whose value is text or a list of text.
public struct OpenIDClaims: Hashable, Sendable {
    public var issuer: String
    public var subject: String
    public var texts: [String: [String]]

    public init(issuer: String, subject: String, texts: [String: [String]]) {
        self.issuer = issuer
        self.subject = subject
        self.texts = texts
    }
}

/// What a mapping rule gives a person.
public struct OpenIDAccount: Hashable, Sendable {
    public var userName: String
    public var role: Role
    public var orgs: [OrgID]
    /// Whether an unknown person may be created as this user.
    public var mayCreate: Bool

    public init(userName: String, role: Role, orgs: [OrgID], mayCreate: Bool) {
        self.userName = userName
        self.role = role
        self.orgs = orgs
        self.mayCreate = mayCreate
    }
}

/// Why an OpenID sign-in was refused, in words for the audit trail and the person.
public enum OpenIDRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    /// The ID token failed verification (signature, issuer, audience, expiry, nonce) or the exchange failed.
    case invalidToken(String)
    case noUserName(claims: [String])
    case invalidUserName(String)
    /// No rule of the mapping matches the person's groups.
    case noRule(user: String)
    /// The person is unknown and the matching rule does not create users.
    case unknownUser(String)
    /// The matching rule names organisations LogAtlas does not have.
    case unknownOrganisations([String])
    /// A user of this name is already linked to another person at the same provider.
    case linkedToAnotherPerson(String)
    /// The sign-in was not started here, was answered twice or took too long.
    case unknownState

    public var description: String {
        switch self {
        case .invalidToken(let why): "the identity provider's answer was refused: \(why)"
        case .noUserName(let claims): "the ID token has none of the claims \(claims.joined(separator: ", ")) to name the user"
        case .invalidUserName(let name): "'\(name)' is not a valid user name"
        case .noRule(let user): "no sign-in rule admits \(user)"
        case .unknownUser(let user): "\(user) has no LogAtlas account and the sign-in rule does not create one"
        case .unknownOrganisations(let orgs): "the sign-in rule names unknown organisations \(orgs.joined(separator: ", "))"
        case .linkedToAnotherPerson(let user): "the user \(user) belongs to another person at this identity provider"
        case .unknownState: "the sign-in was not started here or has expired"
        }
    }
}
