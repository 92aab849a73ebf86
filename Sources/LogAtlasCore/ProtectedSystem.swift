/// How much harm an incident on a system does; requirements select systems by it.
public enum Criticality: String, CaseIterable, Comparable, Sendable, Codable {
    case low, medium, high, critical

    /// Order from `low` to `critical`.
    public var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// What is protected, e.g. the public web system (web server + mail relay + FTP/SSH).
public struct ProtectedSystem: Hashable, Sendable {
    public var id: SystemID
    public var name: String
    public var ownerOrgID: OrgID
    public var criticality: Criticality
    public var isInternetFacing: Bool
    public var tags: [String]
    public var description: String?
    public var version: Int

    public init(id: SystemID, name: String, ownerOrgID: OrgID, criticality: Criticality = .medium,
                isInternetFacing: Bool = false, tags: [String] = [], description: String? = nil, version: Int = 1) {
        self.id = id
        self.name = name
        self.ownerOrgID = ownerOrgID
        self.criticality = criticality
        self.isInternetFacing = isInternetFacing
        self.tags = tags
        self.description = description
        self.version = version
    }
}
