import Foundation

/// How long a console session lasts: it ends after `idle` without a request and at the latest `absolute` after
/// sign-in, whichever comes first.
public struct ConsoleSessionPolicy: Hashable, Sendable {
    public var idle: TimeInterval
    public var absolute: TimeInterval

    public init(idle: TimeInterval = 8 * 3_600, absolute: TimeInterval = 7 * 86_400) {
        self.idle = idle
        self.absolute = absolute
    }

    /// Whether a session signed in at `created` and last used at `lastSeen` is still valid at `now`.
    public func isValid(created: Date, lastSeen: Date, now: Date) -> Bool {
        now.timeIntervalSince(lastSeen) < idle && now.timeIntervalSince(created) < absolute
    }

    /// How stale the recorded last use may get before a request records it again: the idle timeout is kept to the
    /// minute without a database write on every page view.
    public static let lastSeenResolution: TimeInterval = 60

    /// Whether a request at `now` records itself as the session's last use.
    public func recordsUse(lastSeen: Date, now: Date) -> Bool {
        now.timeIntervalSince(lastSeen) >= Self.lastSeenResolution
    }
}

/// Throttling of console sign-in: after `limit` failures in `window` for one user name, or from one address, further
/// attempts are refused (429) until the oldest failure leaves the window. Success does not reset the count, so an
/// attacker who knows one password cannot use it to keep guessing another.
public struct SignInThrottle: Hashable, Sendable {
    public var limit: Int
    public var window: TimeInterval

    public init(limit: Int = 10, window: TimeInterval = 600) {
        self.limit = limit
        self.window = window
    }

    /// The earliest failure that still counts at `now`.
    public func windowStart(now: Date) -> Date { now.addingTimeInterval(-window) }

    /// Whether a sign-in with these counts of recent failures is refused.
    public func refuses(failuresForUser: Int, failuresFromAddress: Int) -> Bool {
        failuresForUser >= limit || failuresFromAddress >= limit
    }
}

extension Principal {
    /// Whether the caller may see the console's list of users and organisations (the admin home).
    public var mayManageUsers: Bool { role == .admin }

    /// Whether the caller may read the audit trail in the console (auditors and admins).
    public var mayReadAuditTrail: Bool { role == .auditor || role == .admin }
}
