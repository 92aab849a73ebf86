/// One thing wrong with an input, with the path of the field it concerns (`retention_tiers[1].medium`).
public struct ValidationIssue: Hashable, Sendable, Error, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// Errors of the inventory domain; the store and server translate everything else into these.
public enum InventoryError: Error, Equatable, Sendable {
    /// The object does not exist, or the caller may not see it (the two are never told apart).
    case notFound(kind: String, id: String)
    /// The input breaks one or more rules; nothing was changed.
    case invalid([ValidationIssue])
    /// `If-Match` named a version that is no longer current.
    case versionConflict(kind: String, id: String, currentVersion: Int)
    /// Another object already has this key.
    case duplicate(kind: String, key: String)
    /// Other objects still depend on this one (e.g. an organisation that still owns systems).
    case inUse(kind: String, id: String, detail: String)
    /// The caller's role does not allow the action at all.
    case forbidden(String)
}
