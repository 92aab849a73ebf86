import Crypto
import Foundation
import LogAtlasCore
import Synchronization

/// Remembers resolved tokens for a few seconds so that a burst of requests costs one database lookup.
/// A revoked token therefore stops working within `lifetime` (5 s), not instantly. Keys are the tokens'
/// SHA-256 hashes, so the cache holds no secret.
final class CachingAuthenticator: TokenAuthenticator {
    private struct Entry {
        let principal: Principal?
        let expires: Date
    }

    private let wrapped: any TokenAuthenticator
    private let lifetime: Duration
    private let capacity: Int
    private let clock: @Sendable () -> Date
    private let entries = Mutex<[SHA256.Digest: Entry]>([:])

    /// `clock` is the application's (tests move it instead of waiting).
    init(_ wrapped: any TokenAuthenticator, lifetime: Duration = .seconds(5), capacity: Int = 10_000,
         clock: @escaping @Sendable () -> Date = Date.init) {
        self.wrapped = wrapped
        self.lifetime = lifetime
        self.capacity = capacity
        self.clock = clock
    }

    func principal(forToken secret: String) async throws -> Principal? {
        let key = SHA256.hash(data: Data(secret.utf8))
        let now = clock()
        if let entry = entries.withLock({ $0[key] }), entry.expires > now { return entry.principal }
        let principal = try await wrapped.principal(forToken: secret)
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(principal: principal, expires: now.addingTimeInterval(Double(lifetime.components.seconds)
                                                                                      + Double(lifetime.components.attoseconds) / 1e18))
        }
        return principal
    }
}
