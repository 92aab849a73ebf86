import Foundation
import LogAtlasCore
import LogAtlasStore

/// Makes, lists and revokes guest links, for the API and the console alike: the item is looked up as the caller
/// (not found when the caller does not see it), then `Principal.mayManageGuestLinks` decides (forbidden otherwise).
struct GuestLinkIssuer: Sendable {
    let requests: any RequestRepository
    let store: GuestLinkStore
    let clock: @Sendable () -> Date

    /// A new link and its secret (shown once).
    func create(item itemID: RequestItemID, of requestID: RequestID, days: Int, passphrase: String?, as caller: Principal) async throws -> (GuestLink, secret: String) {
        let item = try await manageable(itemID, of: requestID, as: caller)
        var issues = GuestLink.validate(lifetimeDays: days)
        if let passphrase {
            if passphrase.count < PasswordHasher.minimumLength {
                issues.append(ValidationIssue(path: "passphrase", message: "at least \(PasswordHasher.minimumLength) characters"))
            }
            issues += Validation.controlIssues(passphrase, path: "passphrase")
        }
        guard issues.isEmpty else { throw RequestError.invalid(issues) }
        let now = clock(), secret = TokenSecret.generate()
        let link = GuestLink(requestID: requestID, itemID: item.id, custodianOrgID: item.custodianOrgID, createdBy: caller.name, createdAt: now,
                             expiresAt: now.addingTimeInterval(Double(days) * 86_400), hasPassphrase: passphrase != nil)
        try await store.create(link, secret: secret, passphrase: passphrase)
        return (link, secret)
    }

    func links(of itemID: RequestItemID, of requestID: RequestID, as caller: Principal) async throws -> [GuestLink] {
        try await store.links(of: try await manageable(itemID, of: requestID, as: caller).id)
    }

    func revoke(_ id: UUID, of itemID: RequestItemID, of requestID: RequestID, as caller: Principal) async throws {
        let item = try await manageable(itemID, of: requestID, as: caller)
        guard try await store.revoke(id, of: item.id, actor: caller.name, now: clock()) else {
            throw RequestError.notFound(kind: "guest link", id: id.uuidString.lowercased())
        }
    }

    private func manageable(_ itemID: RequestItemID, of requestID: RequestID, as caller: Principal) async throws -> RequestItem {
        guard let item = try await requests.request(requestID, as: caller).items.first(where: { $0.id == itemID }) else {
            throw RequestError.notFound(kind: "request item", id: itemID.description)
        }
        guard caller.mayManageGuestLinks(forItemHeldBy: item.custodianOrgID) else {
            throw RequestError.forbidden("only the item's custodians and admins make or revoke guest links")
        }
        return item
    }
}
