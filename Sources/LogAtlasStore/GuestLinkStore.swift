import Foundation
import LogAtlasCore
import PostgresNIO

/// Guest links, stored as the owner like console sessions: a guest has no account, and the link is looked up before
/// anyone is known. Callers decide who may create or revoke (`Principal.mayManageGuestLinks`); this stores, finds and
/// audits. The secret is kept as its SHA-256, the passphrase as a scrypt string.
public struct GuestLinkStore: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    /// Stores `link` for `secret`, with an optional passphrase.
    public func create(_ link: GuestLink, secret: String, passphrase: String?) async throws {
        let passphraseHash = try await passphrase.asyncMap { phrase in try await NIOThreadPool.singleton.runIfActive { try PasswordHasher().hash(phrase) } }
        try await database.asOwner(actor: link.createdBy) { connection in
            try await connection.checkedQuery("""
                INSERT INTO guest_links (id, request_id, item_id, custodian_org_id, secret_hash, passphrase_hash, created_by, created_at, expires_at)
                VALUES (\(link.id), \(link.requestID.rawValue), \(link.itemID.rawValue), \(link.custodianOrgID.rawValue),
                        decode(\(TokenSecret.hashHex(secret)), 'hex'), \(passphraseHash), \(link.createdBy), \(link.createdAt), \(link.expiresAt))
                """, logger: database.logger)
            try await connection.checkedQuery("""
                SELECT audit_append(audit_actor(), 'guest_link.create', 'guest-link', \(link.id.uuidString.lowercased()), NULL,
                                    jsonb_build_object('item', \(link.itemID.description), 'expires_at', \(Timestamp.format(link.expiresAt))))
                """, logger: database.logger)
        }
    }

    /// The links of an item, newest first.
    public func links(of item: RequestItemID) async throws -> [GuestLink] {
        try await database.query("SELECT \(unescaped: Self.columns) FROM guest_links WHERE item_id = \(item.rawValue) ORDER BY created_at DESC", decode).map(\.0)
    }

    /// Revokes a link of `item`; false when there is no such link (or it was revoked already).
    public func revoke(_ id: UUID, of item: RequestItemID, actor: String, now: Date) async throws -> Bool {
        try await database.asOwner(actor: actor) { connection in
            var revoked = false
            for try await _ in try await connection.checkedQuery("""
                UPDATE guest_links SET revoked_at = \(now) WHERE id = \(id) AND item_id = \(item.rawValue) AND revoked_at IS NULL RETURNING id
                """, logger: database.logger) { revoked = true }
            if revoked {
                try await connection.checkedQuery("SELECT audit_append(audit_actor(), 'guest_link.revoke', 'guest-link', \(id.uuidString.lowercased()), NULL, NULL)",
                                           logger: database.logger)
            }
            return revoked
        }
    }

    /// The link a secret stands for, usable or not, with its passphrase hash.
    public func link(forSecret secret: String) async throws -> (link: GuestLink, passphraseHash: String?)? {
        guard TokenSecret.isWellFormed(secret) else { return nil }
        return try await database.query("""
            SELECT \(unescaped: Self.columns) FROM guest_links WHERE secret_hash = decode(\(TokenSecret.hashHex(secret)), 'hex')
            """, decode).first
    }

    private static let columns = "id, request_id, item_id, custodian_org_id, created_by, created_at, expires_at, revoked_at, passphrase_hash"

    private func decode(_ rows: PostgresRowSequence) async throws -> [(GuestLink, String?)] {
        var links: [(GuestLink, String?)] = []
        for try await (id, request, item, org, by, created, expires, revoked, passphrase)
            in rows.decode((UUID, UUID, UUID, String, String, Date, Date, Date?, String?).self) {
            links.append((GuestLink(id: id, requestID: RequestID(request), itemID: RequestItemID(item), custodianOrgID: OrgID(org), createdBy: by,
                                    createdAt: created, expiresAt: expires, revokedAt: revoked, hasPassphrase: passphrase != nil), passphrase))
        }
        return links
    }
}

private extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
