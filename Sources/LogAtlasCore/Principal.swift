/// A LogAtlas role, as in the design brief's role table.
public enum Role: String, CaseIterable, Sendable, Codable {
    case admin, csirt, custodian, auditor
}

/// The authenticated caller of an operation.
public struct Principal: Hashable, Sendable {
    public var userID: UserID
    public var name: String
    public var role: Role
    /// Organisations the caller is a member of.
    public var orgIDs: Set<OrgID>

    public init(userID: UserID, name: String, role: Role, orgIDs: Set<OrgID>) {
        self.userID = userID
        self.name = name
        self.role = role
        self.orgIDs = orgIDs
    }

    /// The built-in principal for maintenance commands run on the server host (`logatlas apply`, `demo`).
    public static func system(named name: String = "system") -> Principal {
        Principal(userID: UserID(), name: name, role: .admin, orgIDs: [])
    }
}

/// What a caller wants to do with an inventory object.
public enum InventoryAction: String, Sendable, CaseIterable {
    case read, create, update, delete
}

/// Authorisation decisions for the inventory. The database's row-level security enforces the same rules again.
extension Principal {
    /// Whether the caller sees every organisation's inventory.
    public var seesAllOrgs: Bool { role != .custodian }

    /// Whether the caller may do `action` to an organisation record.
    public func may(_ action: InventoryAction, org: OrgID) -> Bool {
        switch role {
        case .admin: true
        case .csirt, .auditor: action == .read
        case .custodian: action == .read && orgIDs.contains(org)
        }
    }

    /// Whether the caller may do `action` to a system owned by `owner`.
    public func may(_ action: InventoryAction, systemOwnedBy owner: OrgID) -> Bool {
        switch role {
        case .admin: true
        case .csirt, .auditor: action == .read
        case .custodian: orgIDs.contains(owner)
        }
    }

    /// Whether the caller may do `action` to a source held by `custodian` on a system owned by `systemOwner`.
    public func may(_ action: InventoryAction, sourceHeldBy custodian: OrgID, systemOwner: OrgID) -> Bool {
        switch role {
        case .admin: true
        case .csirt, .auditor: action == .read
        case .custodian: orgIDs.contains(custodian) || orgIDs.contains(systemOwner)
        }
    }

    /// Whether the role may change the inventory at all (used to answer 403 before looking anything up).
    public var mayEditInventory: Bool { role == .admin || role == .custodian }
}

/// Resolves a bearer token to the principal it stands for.
public protocol TokenAuthenticator: Sendable {
    /// The principal, or `nil` for an unknown, revoked or expired token.
    func principal(forToken secret: String) async throws -> Principal?
}
