import Crypto
import Foundation
import LogAtlasCore
import PostgresNIO

/// A signed-in console session: who, and the token its forms must carry.
public struct ConsoleSession: Sendable {
    public let id: UUID
    public let principal: Principal
    public let csrfToken: String
    /// The language the user chose in the console, if any.
    public let language: String?
}

/// What a sign-in attempt came to.
public enum SignInResult: Sendable {
    /// Signed in: the cookie value (shown once, stored as a hash) and the session.
    case signedIn(secret: String, session: ConsoleSession)
    case wrongCredentials
    /// Too many recent failures for this user name or from this address.
    case throttled
}

/// Console passwords, sessions and sign-in throttling. Runs as the owner, like `IdentityStore`: these tables are not
/// reachable by the application role, and the caller is not known until the session is. Every sign-in, failed
/// sign-in, sign-out and password change is an audit event.
public struct ConsoleStore: Sendable {
    let database: Database
    let policy: ConsoleSessionPolicy
    let throttle: SignInThrottle
    let hasher: PasswordHasher

    public init(database: Database, policy: ConsoleSessionPolicy = ConsoleSessionPolicy(), throttle: SignInThrottle = SignInThrottle(),
                hasher: PasswordHasher = PasswordHasher()) {
        self.database = database
        self.policy = policy
        self.throttle = throttle
        self.hasher = hasher
    }

    /// Sets (or replaces) the console password of `userName`.
    public func setPassword(_ password: String, for userName: String, actor: String) async throws {
        guard password.count >= PasswordHasher.minimumLength else {
            throw IdentityError.invalid([ValidationIssue(path: "password", message: "at least \(PasswordHasher.minimumLength) characters")])
        }
        let hash = try await offload { try hasher.hash(password) }
        try await database.asOwner(actor: actor) { connection in
            var changed: UUID?
            for try await id in try await connection.checkedQuery("""
                INSERT INTO user_passwords (user_id, password_hash) SELECT id, \(hash) FROM users WHERE name = \(userName)
                ON CONFLICT (user_id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = now()
                RETURNING user_id
                """, logger: database.logger).decode(UUID.self) { changed = id }
            guard let changed else { throw IdentityError.notFound(kind: "user", id: userName) }
            try await connection.checkedQuery("SELECT audit_append(audit_actor(), 'user.password', 'user', \(changed.uuidString.lowercased()), NULL, NULL)",
                                       logger: database.logger)
        }
    }

    /// Checks a user name and password from `address` at `now`: a session on success, else why not. Failures are
    /// recorded and audited; while the user name or the address has `throttle.limit` recent failures, the password
    /// is not even checked.
    public func signIn(userName: String, password: String, address: String, now: Date) async throws -> SignInResult {
        let since = throttle.windowStart(now: now)
        let (byUser, byAddress, stored) = try await database.asOwner(actor: "console") { connection in
            let rows = try await connection.checkedQuery("""
                SELECT (SELECT count(*) FROM sign_in_failures WHERE user_name = \(userName) AND at > \(since)),
                       (SELECT count(*) FROM sign_in_failures WHERE address = \(address) AND at > \(since)),
                       (SELECT p.password_hash FROM user_passwords p JOIN users u ON u.id = p.user_id WHERE u.name = \(userName))
                """, logger: database.logger)
            for try await row in rows.decode((Int, Int, String?).self) { return row }
            return (0, 0, nil)
        }
        if throttle.refuses(failuresForUser: byUser, failuresFromAddress: byAddress) { return .throttled }
        // An unknown user costs a hash too, so that timing does not tell which names exist.
        let matches = try await offload { PasswordHasher.verify(password, against: stored ?? Self.decoy) && stored != nil }
        guard matches else {
            try await database.asOwner(actor: userName) { connection in
                try await connection.checkedQuery("""
                    WITH failed AS (INSERT INTO sign_in_failures (user_name, address, at) VALUES (\(userName), \(address), \(now)) RETURNING id)
                    SELECT audit_append(audit_actor(), 'console.sign_in_failed', 'address', \(address), NULL, NULL) FROM failed
                    """, logger: database.logger)
            }
            return .wrongCredentials
        }
        let (secret, session) = try await openSession(userName: userName, now: now)
        return .signedIn(secret: secret, session: session)
    }

    /// Starts a console session for `userName` (who has just proved who they are): the cookie's secret and the session.
    func openSession(userName: String, now: Date) async throws -> (secret: String, session: ConsoleSession) {
        let secret = TokenSecret.generate(), csrf = TokenSecret.generate()
        let id = try await database.asOwner(actor: userName) { connection in
            var created: UUID?
            for try await id in try await connection.checkedQuery("""
                INSERT INTO console_sessions (user_id, secret_hash, csrf_token, created_at, last_seen_at)
                SELECT id, decode(\(TokenSecret.hashHex(secret)), 'hex'), \(csrf), \(now), \(now) FROM users WHERE name = \(userName)
                RETURNING id
                """, logger: database.logger).decode(UUID.self) { created = id }
            guard let created else { throw IdentityError.notFound(kind: "user", id: userName) }
            try await connection.checkedQuery("SELECT audit_append(audit_actor(), 'console.sign_in', 'session', \(created.uuidString.lowercased()), NULL, NULL)",
                                       logger: database.logger)
            return created
        }
        guard let session = try await session(forSecret: secret, now: now), session.id == id else {
            throw IdentityError.notFound(kind: "session", id: id.uuidString)
        }
        return (secret, session)
    }

    /// Checks a guest link's passphrase, throttled like sign-in (failures count under the link's actor name and the
    /// address): true or false, or nil while throttled. Failures are audited.
    public func verifyGuestPassphrase(_ passphrase: String, against hash: String, link: GuestLink, address: String, now: Date) async throws -> Bool? {
        let since = throttle.windowStart(now: now), name = link.actorName
        let (byName, byAddress) = try await database.asOwner(actor: name) { connection in
            for try await row in try await connection.checkedQuery("""
                SELECT (SELECT count(*) FROM sign_in_failures WHERE user_name = \(name) AND at > \(since)),
                       (SELECT count(*) FROM sign_in_failures WHERE address = \(address) AND at > \(since))
                """, logger: database.logger).decode((Int, Int).self) { return row }
            return (0, 0)
        }
        if throttle.refuses(failuresForUser: byName, failuresFromAddress: byAddress) { return nil }
        if try await offload({ PasswordHasher.verify(passphrase, against: hash) }) { return true }
        try await database.asOwner(actor: name) { connection in
            try await connection.checkedQuery("""
                WITH failed AS (INSERT INTO sign_in_failures (user_name, address, at) VALUES (\(name), \(address), \(now)) RETURNING id)
                SELECT audit_append(audit_actor(), 'guest_link.passphrase_failed', 'guest-link', \(link.id.uuidString.lowercased()), NULL, NULL) FROM failed
                """, logger: database.logger)
        }
        return false
    }

    /// The session a cookie stands for at `now`, or `nil` for an unknown, ended or expired one. Marks it used.
    public func session(forSecret secret: String, now: Date) async throws -> ConsoleSession? {
        guard TokenSecret.isWellFormed(secret) else { return nil }
        let session = try await database.query("""
            SELECT s.id, s.csrf_token, s.created_at, s.last_seen_at, u.id, u.name, u.role, p.language,
                   coalesce(array_agg(m.org_id) FILTER (WHERE m.org_id IS NOT NULL), '{}')
            FROM console_sessions s JOIN users u ON u.id = s.user_id
            LEFT JOIN user_orgs m ON m.user_id = u.id LEFT JOIN console_preferences p ON p.user_id = u.id
            WHERE s.secret_hash = decode(\(TokenSecret.hashHex(secret)), 'hex') AND s.ended_at IS NULL
            GROUP BY s.id, u.id, p.language
            """) { rows -> (found: ConsoleSession, recordsUse: Bool)? in
            for try await (id, csrf, created, lastSeen, userID, name, role, language, orgs)
                in rows.decode((UUID, String, Date, Date, UUID, String, String, String?, [String]).self) {
                guard policy.isValid(created: created, lastSeen: lastSeen, now: now), let role = Role(rawValue: role) else { return nil }
                let principal = Principal(userID: UserID(userID), name: name, role: role, orgIDs: Set(orgs.map { OrgID($0) }))
                return (ConsoleSession(id: id, principal: principal, csrfToken: csrf, language: language), policy.recordsUse(lastSeen: lastSeen, now: now))
            }
            return nil
        }
        guard let (found, recordsUse) = session else { return nil }
        if recordsUse {
            try await database.execute("UPDATE console_sessions SET last_seen_at = \(now) WHERE id = \(found.id) AND last_seen_at < \(now)")
        }
        return found
    }

    /// Ends one session, or with `everywhere` every session of its user.
    public func signOut(_ session: ConsoleSession, everywhere: Bool, now: Date) async throws {
        try await database.asOwner(actor: session.principal.name) { connection in
            try await connection.checkedQuery("""
                WITH ended AS (
                    UPDATE console_sessions SET ended_at = \(now)
                    WHERE ended_at IS NULL AND (id = \(session.id) OR (\(everywhere) AND user_id = \(session.principal.userID.rawValue)))
                    RETURNING id)
                SELECT audit_append(audit_actor(), 'console.sign_out', 'session', id::text, NULL, NULL) FROM ended
                """, logger: database.logger)
        }
    }

    /// Remembers the console language of the session's user.
    public func setLanguage(_ language: String, for session: ConsoleSession) async throws {
        try await database.asOwner(actor: session.principal.name) { connection in
            try await connection.checkedQuery("""
                INSERT INTO console_preferences (user_id, language) VALUES (\(session.principal.userID.rawValue), \(language))
                ON CONFLICT (user_id) DO UPDATE SET language = excluded.language
                """, logger: database.logger)
        }
    }

    /// A valid hash of a password nobody has, verified when the user name is unknown.
    static let decoy = "scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

    /// scrypt takes a tenth of a second of CPU: it runs on NIO's blocking pool, not on a cooperative thread.
    private func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }
}
