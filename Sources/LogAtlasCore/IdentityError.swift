/// Errors of users and tokens (the maintenance commands).
public enum IdentityError: Error, Equatable, Sendable {
    /// No such user or token.
    case notFound(kind: String, id: String)
    /// The user or token breaks one or more rules; nothing was changed.
    case invalid([ValidationIssue])
}

/// Input no area can accept: a list cursor or an identifier this server never issues.
public enum InputError: Error, Equatable, Sendable {
    /// Not an identifier of this kind: answered as "not found", as an unknown one would be.
    case unknownID(kind: String, id: String)
    /// A malformed parameter.
    case invalid([ValidationIssue])
}
