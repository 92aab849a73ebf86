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

    /// Whether the caller may do `action` to an organisation record. A custodian reads its own organisations and
    /// those owning systems on which it holds sources (the clients of an outsourced vendor).
    public func may(_ action: InventoryAction, org: OrgID, holdingSourcesOfIt: Bool = false) -> Bool {
        switch role {
        case .admin: true
        case .csirt, .auditor: action == .read
        case .custodian: action == .read && (orgIDs.contains(org) || holdingSourcesOfIt)
        }
    }

    /// Whether the caller may do `action` to a system owned by `owner`. A custodian that holds sources on another
    /// organisation's system (an outsourced vendor) reads that system, and changes nothing of it.
    public func may(_ action: InventoryAction, systemOwnedBy owner: OrgID, holdingSourcesOnIt: Bool = false) -> Bool {
        switch role {
        case .admin: true
        case .csirt, .auditor: action == .read
        case .custodian: orgIDs.contains(owner) || (action == .read && holdingSourcesOnIt)
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

    /// Whether the caller may give an object to `org`: an admin to any, a custodian only to its own.
    public func mayAssign(to org: OrgID) -> Bool { role != .custodian || orgIDs.contains(org) }

    /// Whether the caller may learn that an organisation it is not a member of exists (custodians may not).
    public var mayLearnOfOtherOrgs: Bool { role != .custodian }

    /// Whether the caller may create, change or delete organisation records.
    public var mayManageOrgs: Bool { role == .admin }

    /// Whether the caller may upload and delete policies.
    public var mayManagePolicies: Bool { role == .admin }
}

/// Authorisation decisions for the retrieval broker's conversation and notifications.
extension Principal {
    /// Whether the caller may write on a request's comment thread (auditors read, they do not take part).
    public var mayComment: Bool { role != .auditor }

    /// Whether a comment of the caller must be addressed to one of its own organisations (custodians speak to the
    /// requester about their own items, never to the other custodians of the request).
    public var speaksOnlyForOwnOrgs: Bool { role == .custodian }

    /// Whether the caller may subscribe an organisation to notifications: an admin any, others their own;
    /// auditors subscribe as users only.
    public func maySubscribe(org: OrgID) -> Bool {
        switch role {
        case .admin: true
        case .auditor: false
        case .csirt, .custodian: orgIDs.contains(org)
        }
    }

    /// Whether the caller may subscribe the user `name`: itself, or anyone for an admin.
    public func maySubscribe(user name: String) -> Bool { role == .admin || name == self.name }
}

/// Resolves a bearer token to the principal it stands for.
public protocol TokenAuthenticator: Sendable {
    /// The principal, or `nil` for an unknown, revoked or expired token.
    func principal(forToken secret: String) async throws -> Principal?
}
