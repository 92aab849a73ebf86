/// One page of a list, with an opaque cursor for the next page and the total the caller may see.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var nextCursor: String?
    public var total: Int

    public init(items: [Item], nextCursor: String?, total: Int) {
        self.items = items
        self.nextCursor = nextCursor
        self.total = total
    }
}

/// Filters for listing log sources.
public struct SourceFilter: Sendable, Hashable {
    /// Sources held by, or on a system owned by, this organisation.
    public var org: OrgID?
    public var system: SystemID?
    public var logType: String?
    /// Sources with at least one tier on this medium.
    public var medium: StorageMedium?
    /// Case-insensitive text over name, product and notes.
    public var text: String?

    public init(org: OrgID? = nil, system: SystemID? = nil, logType: String? = nil, medium: StorageMedium? = nil, text: String? = nil) {
        self.org = org
        self.system = system
        self.logType = logType
        self.medium = medium
        self.text = text
    }
}

/// Filters for listing systems.
public struct SystemFilter: Sendable, Hashable {
    public var org: OrgID?
    public var text: String?
    public init(org: OrgID? = nil, text: String? = nil) {
        self.org = org
        self.text = text
    }
}

/// Where a page starts and how long it is.
public struct PageRequest: Sendable, Hashable {
    public static let defaultLimit = 50
    public static let maxLimit = 500
    public var after: String?
    public var limit: Int
    public init(after: String? = nil, limit: Int? = nil) {
        self.after = after
        self.limit = min(max(limit ?? Self.defaultLimit, 1), Self.maxLimit)
    }
}
