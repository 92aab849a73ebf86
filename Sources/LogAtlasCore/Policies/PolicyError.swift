/// Errors of policies and gap reports.
public enum PolicyError: Error, Equatable, Sendable {
    /// No such policy or stored gap report, or the caller may not see it.
    case notFound(kind: String, id: String)
    /// The policy file or the report's parameters break one or more rules; nothing was changed.
    case invalid([ValidationIssue])
    /// A shipped or folder policy, which the API neither replaces nor deletes.
    case builtIn(id: String)
    /// The caller's role does not allow the action.
    case forbidden(String)
}
