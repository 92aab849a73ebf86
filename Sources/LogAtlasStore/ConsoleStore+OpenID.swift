import Foundation
import LogAtlasCore
import PostgresNIO

/// Console sign-in through an OpenID Connect provider: the pending sign-ins (state, nonce, PKCE verifier) and the
/// link between a person at the provider (issuer, subject) and a LogAtlas user. The ID token is verified before any
/// of this runs; these functions only decide who the verified person is here.
extension ConsoleStore {
    /// How long a person has at the provider between leaving LogAtlas and coming back.
    public static let openIDSignInLifetime: TimeInterval = 600

    /// Records a sign-in leaving for the provider: `state` is known by its hash only. Sign-ins nobody finished are
    /// dropped here as well.
    public func beginOpenIDSignIn(state: String, nonce: String, codeVerifier: String, now: Date) async throws {
        let stale = now.addingTimeInterval(-Self.openIDSignInLifetime)
        try await database.asOwner(actor: "console") { connection in
            try await connection.checkedQuery("DELETE FROM openid_logins WHERE created_at < \(stale)", logger: database.logger)
            try await connection.checkedQuery("""
                INSERT INTO openid_logins (state_hash, nonce, code_verifier, created_at)
                VALUES (decode(\(TokenSecret.hashHex(state)), 'hex'), \(nonce), \(codeVerifier), \(now))
                """, logger: database.logger)
        }
    }

    /// The nonce and code verifier of the sign-in `state` names, taken once; `nil` when it is unknown, used or stale.
    public func takeOpenIDSignIn(state: String, now: Date) async throws -> (nonce: String, codeVerifier: String)? {
        let stale = now.addingTimeInterval(-Self.openIDSignInLifetime)
        return try await database.asOwner(actor: "console") { connection in
            let rows = try await connection.checkedQuery("""
                DELETE FROM openid_logins WHERE state_hash = decode(\(TokenSecret.hashHex(state)), 'hex')
                RETURNING nonce, code_verifier, created_at
                """, logger: database.logger)
            for try await (nonce, verifier, created) in rows.decode((String, String, Date).self) where created > stale {
                return (nonce, verifier)
            }
            return nil
        }
    }

    /// Signs in the person a verified ID token names, as the mapping's `account` says. The person is found by their
    /// identity at the provider, else by user name (a user an administrator created first, linked now), else created
    /// when the rule allows it. The user's role and organisations follow the rule at every sign-in. One transaction:
    /// a refusal changes nothing.
    public func signIn(openID claims: OpenIDClaims, account: OpenIDAccount, now: Date)
        async throws -> Result<(secret: String, session: ConsoleSession), OpenIDRefusal>
    {
        let orgs = account.orgs.map(\.rawValue)
        let outcome: Result<String, OpenIDRefusal> = try await database.asOwner(actor: account.userName) { connection in
            var unknown: [String] = []
            for try await org in try await connection.checkedQuery("SELECT o FROM unnest(\(orgs)::text[]) AS o WHERE o NOT IN (SELECT id FROM orgs)",
                                                            logger: database.logger).decode(String.self) { unknown.append(org) }
            if !unknown.isEmpty { return .failure(.unknownOrganisations(unknown)) }
            var user: (id: UUID, name: String, linked: Bool)?
            for try await (id, name) in try await connection.checkedQuery("""
                SELECT u.id, u.name FROM user_identities i JOIN users u ON u.id = i.user_id
                WHERE i.issuer = \(claims.issuer) AND i.subject = \(claims.subject)
                """, logger: database.logger).decode((UUID, String).self) { user = (id, name, true) }
            if user == nil {
                for try await (id, otherPerson) in try await connection.checkedQuery("""
                    SELECT u.id, EXISTS (SELECT 1 FROM user_identities i WHERE i.user_id = u.id AND i.issuer = \(claims.issuer))
                    FROM users u WHERE u.name = \(account.userName)
                    """, logger: database.logger).decode((UUID, Bool).self) {
                    // The name is someone else's at this provider (names can be reassigned; subjects are not).
                    if otherPerson { return .failure(.linkedToAnotherPerson(account.userName)) }
                    user = (id, account.userName, false)
                }
            }
            if user == nil {
                guard account.mayCreate else { return .failure(.unknownUser(account.userName)) }
                for try await id in try await connection.checkedQuery(
                    "INSERT INTO users (name, role) VALUES (\(account.userName), \(account.role.rawValue)) RETURNING id", logger: database.logger
                ).decode(UUID.self) { user = (id, account.userName, false) }
            }
            guard let user else { return .failure(.unknownUser(account.userName)) }
            if !user.linked {
                try await connection.checkedQuery("INSERT INTO user_identities (issuer, subject, user_id) VALUES (\(claims.issuer), \(claims.subject), \(user.id))",
                                           logger: database.logger)
            }
            try await connection.checkedQuery("UPDATE users SET role = \(account.role.rawValue) WHERE id = \(user.id) AND role <> \(account.role.rawValue)",
                                       logger: database.logger)
            // The provider's address reaches the person by e-mail.
            if let email = claims.texts["email"]?.first, IdentityStore.isMailAddress(email) {
                try await connection.checkedQuery("UPDATE users SET email = \(email) WHERE id = \(user.id) AND email IS DISTINCT FROM \(email)",
                                           logger: database.logger)
            }
            var changed = false
            for try await _ in try await connection.checkedQuery("""
                WITH removed AS (DELETE FROM user_orgs WHERE user_id = \(user.id) AND NOT org_id = ANY (\(orgs)::text[]) RETURNING org_id),
                     added AS (INSERT INTO user_orgs (user_id, org_id) SELECT \(user.id), o FROM unnest(\(orgs)::text[]) AS o
                               ON CONFLICT DO NOTHING RETURNING org_id)
                SELECT org_id FROM removed UNION ALL SELECT org_id FROM added
                """, logger: database.logger) { changed = true }
            if changed {
                try await connection.checkedQuery("SELECT audit_append(audit_actor(), 'user.orgs', 'user', \(user.id.uuidString.lowercased()), NULL, NULL)",
                                           logger: database.logger)
            }
            return .success(user.name)
        }
        switch outcome {
        case .failure(let refusal):
            try await recordOpenIDRefusal(refusal, subject: claims.subject)
            return .failure(refusal)
        case .success(let name):
            let (secret, session) = try await openSession(userName: name, now: now)
            return .success((secret, session))
        }
    }

    /// Audits a sign-in through the provider that was refused (the reason goes to the log; the trail records who).
    public func recordOpenIDRefusal(_ refusal: OpenIDRefusal, subject: String?) async throws {
        try await database.asOwner(actor: subject.map { "openid:\($0)" } ?? "openid") { connection in
            try await connection.checkedQuery("SELECT audit_append(audit_actor(), 'console.sign_in_failed', 'openid', \(subject ?? ""), NULL, NULL)",
                                       logger: database.logger)
        }
    }
}
