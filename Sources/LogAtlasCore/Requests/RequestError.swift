import Foundation

/// Errors of the retrieval broker beyond the inventory's (which it reuses for not-found, invalid and forbidden).
public enum RequestError: Error, Hashable, Sendable {
    /// The state machine refused the action.
    case refused(TransitionRefusal)
    /// Another transition changed the item first; the caller's action was not applied.
    case conflict(item: RequestItemID, current: ItemState)
    /// The uploaded bytes do not match the digest the client announced.
    case digestMismatch(expected: String, actual: String)
    /// The upload is larger than the configured maximum.
    case tooLarge(limit: Int64)
    /// No such request, item or artifact, or the caller may not see it (the two are never told apart).
    case notFound(kind: String, id: String)
    /// The draft, comment or hand-over breaks one or more rules; nothing was changed.
    case invalid([ValidationIssue])
    /// The caller's role does not allow the action at all.
    case forbidden(String)
    /// The artifact's content was deleted by the evidence retention; its record stays.
    case purged(ArtifactID, at: Date)
}
