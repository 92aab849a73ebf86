/// Errors of webhook subscriptions.
public enum WebhookError: Error, Equatable, Sendable {
    /// No such subscription, or the caller may not see it.
    case notFound(id: String)
    /// The subscription breaks one or more rules (URL, events, whose it is); nothing was changed.
    case invalid([ValidationIssue])
}
