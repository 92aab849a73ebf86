import Foundation

/// A link that lets a custodian without an account answer one item: valid until it expires (at most 14 days after
/// it was made) or is revoked, optionally behind a passphrase. The link is the actor of everything done through it.
public struct GuestLink: Hashable, Sendable {
    public var id: UUID
    public var requestID: RequestID
    public var itemID: RequestItemID
    public var custodianOrgID: OrgID
    public var createdBy: String
    public var createdAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?
    public var hasPassphrase: Bool

    public init(id: UUID = UUID(), requestID: RequestID, itemID: RequestItemID, custodianOrgID: OrgID, createdBy: String, createdAt: Date,
                expiresAt: Date, revokedAt: Date? = nil, hasPassphrase: Bool) {
        self.id = id
        self.requestID = requestID
        self.itemID = itemID
        self.custodianOrgID = custodianOrgID
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.hasPassphrase = hasPassphrase
    }

    /// The longest a link may live.
    public static let maximumLifetime: TimeInterval = 14 * 86_400

    public func isUsable(now: Date) -> Bool { revokedAt == nil && now < expiresAt }

    /// The name the audit trail records for actions taken through the link.
    public var actorName: String { "guest-link:\(id.uuidString.lowercased().prefix(8))" }

    /// Who acts through the link: its item's custodian organisation, for that item only (the console shows and
    /// acts on `itemID` alone; row-level security limits the principal to the organisation's items as for any
    /// custodian).
    public var principal: Principal {
        Principal(userID: UserID(id), name: actorName, role: .custodian, orgIDs: [custodianOrgID])
    }

    /// The actions a guest may take: the custodian's side of the item, nothing else.
    public static let actions: Set<ItemAction> = [.acknowledge, .approve, .reject, .start, .deliver, .askInfo, .proposeDueDate]

    /// Whether the link allows `action` on `item` (always its own item; never another one of the same organisation).
    public func permits(_ action: ItemAction, on item: RequestItemID) -> Bool { item == itemID && Self.actions.contains(action) }

    /// A requested lifetime, or why it is refused.
    public static func validate(lifetimeDays: Int) -> [ValidationIssue] {
        (1...14).contains(lifetimeDays) ? [] : [ValidationIssue(path: "expires_in_days", message: "between 1 and 14 days")]
    }
}

extension Principal {
    /// Whether the caller may make or revoke a guest link for an item held by `custodian`: that organisation's
    /// custodians and admins (the CSIRT cannot hand out the custodian's side).
    public func mayManageGuestLinks(forItemHeldBy custodian: OrgID) -> Bool {
        role == .admin || (role == .custodian && orgIDs.contains(custodian))
    }
}
