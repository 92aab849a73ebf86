import Crypto
import Foundation
import LogAtlasCore
import PostgresNIO

/// A newly created API token: the secret is shown once and only its hash is stored.
public struct IssuedToken: Sendable {
    public let id: UUID
    public let secret: String
    public let prefix: String
    public let expiresAt: Date?
}

/// Users, their organisations, and API tokens. Runs as the owner: these tables are not reachable by the app role.
public struct IdentityStore: TokenAuthenticator {
    let database: Database

    public init(database: Database) { self.database = database }

    /// Creates a user with a role and organisation memberships.
    @discardableResult
    public func addUser(named name: String, role: Role, orgs: [OrgID], actor: String) async throws -> UserID {
        try await database.asOwner(actor: actor) { connection in
            var id: UUID?
            for try await value in try await connection.checkedQuery(
                "INSERT INTO users (name, role) VALUES (\(name), \(role.rawValue)) RETURNING id", logger: database.logger
            ).decode(UUID.self) { id = value }
            guard let id else { throw IdentityError.invalid([ValidationIssue(path: "name", message: "user not created")]) }
            if !orgs.isEmpty {
                let rows = try await connection.checkedQuery("""
                    INSERT INTO user_orgs (user_id, org_id) SELECT \(id), o FROM unnest(\(orgs.map(\.rawValue))::text[]) AS o
                    JOIN orgs ON orgs.id = o RETURNING org_id
                    """, logger: database.logger)
                var count = 0
                for try await _ in rows { count += 1 }
                guard count == orgs.count else {
                    throw IdentityError.invalid([ValidationIssue(path: "orgs", message: "unknown organisation among \(orgs.map(\.rawValue).joined(separator: ", "))")])
                }
            }
            return UserID(id)
        }
    }

    /// Sets where `userName` is reached by e-mail (nil: nowhere) and, when given, the language of their e-mail and
    /// console (`en` or `ja`). Audited as a change of the user.
    public func setContact(of userName: String, email: String?, language: String?, actor: String) async throws {
        if let email, !Self.isMailAddress(email) {
            throw IdentityError.invalid([ValidationIssue(path: "email", message: "an e-mail address such as soc@vendor.example")])
        }
        if let language, !["en", "ja"].contains(language) {
            throw IdentityError.invalid([ValidationIssue(path: "language", message: "en or ja")])
        }
        try await database.asOwner(actor: actor) { connection in
            var id: UUID?
            for try await value in try await connection.checkedQuery("UPDATE users SET email = \(email) WHERE name = \(userName) RETURNING id",
                                                              logger: database.logger).decode(UUID.self) { id = value }
            guard let id else { throw IdentityError.notFound(kind: "user", id: userName) }
            if let language {
                try await connection.checkedQuery("""
                    INSERT INTO console_preferences (user_id, language) VALUES (\(id), \(language))
                    ON CONFLICT (user_id) DO UPDATE SET language = excluded.language
                    """, logger: database.logger)
            }
        }
    }

    /// What the schema accepts as an address: one `@`, no spaces or angle brackets, at most 254 characters.
    public static func isMailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return text.count <= 254 && parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" })
    }

    /// Issues a bearer token for `userName`, valid for `lifetime` (or forever).
    public func createToken(for userName: String, lifetime: Duration?, actor: String, now: Date = Date()) async throws -> IssuedToken {
        let secret = TokenSecret.generate()
        let expiresAt = lifetime.map { now.addingTimeInterval(TimeInterval($0.components.seconds)) }
        let prefix = String(secret.prefix(10))
        return try await database.asOwner(actor: actor) { connection in
            let rows = try await connection.checkedQuery("""
                INSERT INTO api_tokens (user_id, token_hash, prefix, expires_at)
                SELECT id, decode(\(TokenSecret.hashHex(secret)), 'hex'), \(prefix), \(expiresAt) FROM users WHERE name = \(userName)
                RETURNING id
                """, logger: database.logger)
            for try await id in rows.decode(UUID.self) {
                return IssuedToken(id: id, secret: secret, prefix: prefix, expiresAt: expiresAt)
            }
            throw IdentityError.notFound(kind: "user", id: userName)
        }
    }

    /// Revokes the token with this ID or prefix; returns how many were revoked.
    @discardableResult
    public func revokeToken(_ idOrPrefix: String, actor: String) async throws -> Int {
        let id = UUID(uuidString: idOrPrefix)
        return try await database.asOwner(actor: actor) { connection in
            let rows = try await connection.checkedQuery("""
                UPDATE api_tokens SET revoked_at = now()
                WHERE revoked_at IS NULL AND (id = \(id) OR prefix = \(idOrPrefix))
                RETURNING id
                """, logger: database.logger)
            var count = 0
            for try await _ in rows { count += 1 }
            return count
        }
    }

    /// Every user with role and organisations, by name (the console's admin home).
    public func users() async throws -> [Principal] {
        try await database.query("""
            SELECT u.id, u.name, u.role, coalesce(array_agg(m.org_id ORDER BY m.org_id) FILTER (WHERE m.org_id IS NOT NULL), '{}')
            FROM users u LEFT JOIN user_orgs m ON m.user_id = u.id GROUP BY u.id ORDER BY u.name
            """) { rows in
            var users: [Principal] = []
            for try await (id, name, role, orgs) in rows.decode((UUID, String, String, [String]).self) {
                guard let role = Role(rawValue: role) else { continue }
                users.append(Principal(userID: UserID(id), name: name, role: role, orgIDs: Set(orgs.map { OrgID($0) })))
            }
            return users
        }
    }

    /// The principal a bearer token stands for, or `nil` for an unknown, revoked or expired token.
    public func principal(forToken secret: String) async throws -> Principal? {
        guard TokenSecret.isWellFormed(secret) else { return nil }
        return try await database.query("""
            SELECT u.id, u.name, u.role, coalesce(array_agg(m.org_id) FILTER (WHERE m.org_id IS NOT NULL), '{}') AS orgs
            FROM api_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN user_orgs m ON m.user_id = u.id
            WHERE t.token_hash = decode(\(TokenSecret.hashHex(secret)), 'hex') AND t.revoked_at IS NULL
              AND (t.expires_at IS NULL OR t.expires_at > now())
            GROUP BY u.id, u.name, u.role
            """) { rows in
            for try await (id, name, role, orgs) in rows.decode((UUID, String, String, [String]).self) {
                guard let role = Role(rawValue: role) else { return nil }
                return Principal(userID: UserID(id), name: name, role: role, orgIDs: Set(orgs.map { OrgID($0) }))
            }
            return nil
        }
    }
}

/// Token format: `la_` followed by 43 base64url characters (32 random bytes).
public enum TokenSecret {
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "la_" + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// SHA-256 of the token, hex-encoded: what the database stores.
    public static func hashHex(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func isWellFormed(_ secret: String) -> Bool { secret.hasPrefix("la_") && (20...100).contains(secret.count) }
}
