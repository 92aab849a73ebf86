/// What an organisation is to the group: a department, a subsidiary, an outsourced vendor or the CSIRT.
public enum OrgKind: String, CaseIterable, Sendable, Codable {
    case department, subsidiary, vendor, csirt
}

/// An organisation that owns systems or holds logs.
public struct Organisation: Hashable, Sendable {
    public var id: OrgID
    public var name: String
    public var kind: OrgKind
    public var parentID: OrgID?
    public var contacts: [String]
    /// Who is told when one of this organisation's request items is overdue.
    public var escalationContact: String?
    /// Optimistic-locking version; the ETag is derived from it.
    public var version: Int

    public init(id: OrgID, name: String, kind: OrgKind, parentID: OrgID? = nil, contacts: [String] = [],
                escalationContact: String? = nil, version: Int = 1) {
        self.id = id
        self.name = name
        self.kind = kind
        self.parentID = parentID
        self.contacts = contacts
        self.escalationContact = escalationContact
        self.version = version
    }
}
