import Foundation
import LogAtlasCore
import LogAtlasStore
import OpenAPIRuntime

/// Guest links: made and revoked by the item's custodians (and admins), used in the console under `/guest/`.
extension LogAtlasAPI {
    func createGuestLink(_ input: Operations.CreateGuestLink.Input) async throws -> Operations.CreateGuestLink.Output {
        let body = switch input.body { case .json(let body): body }
        let caller = try RequestPrincipal.required()
        let (requestID, item) = try await guestLinkItem(input.path.requestId, input.path.itemId, as: caller)
        var issues = GuestLink.validate(lifetimeDays: body.expiresInDays)
        if let passphrase = body.passphrase {
            if passphrase.count < 12 { issues.append(ValidationIssue(path: "passphrase", message: "at least 12 characters")) }
            issues += Validation.controlIssues(passphrase, path: "passphrase")
        }
        guard issues.isEmpty else { throw RequestError.invalid(issues) }
        let now = clock(), secret = TokenSecret.generate()
        let link = GuestLink(requestID: requestID, itemID: item.id, custodianOrgID: item.custodianOrgID, createdBy: caller.name, createdAt: now,
                             expiresAt: now.addingTimeInterval(Double(body.expiresInDays) * 86_400), hasPassphrase: body.passphrase != nil)
        try await guestLinks.create(link, secret: secret, passphrase: body.passphrase)
        return .created(.init(body: .json(.init(link: APIMapping.guestLink(link, now: now), path: "/guest/\(secret)"))))
    }

    func listGuestLinks(_ input: Operations.ListGuestLinks.Input) async throws -> Operations.ListGuestLinks.Output {
        let caller = try RequestPrincipal.required()
        let (_, item) = try await guestLinkItem(input.path.requestId, input.path.itemId, as: caller)
        let now = clock()
        return .ok(.init(body: .json(try await guestLinks.links(of: item.id).map { APIMapping.guestLink($0, now: now) })))
    }

    func revokeGuestLink(_ input: Operations.RevokeGuestLink.Input) async throws -> Operations.RevokeGuestLink.Output {
        let caller = try RequestPrincipal.required()
        let (_, item) = try await guestLinkItem(input.path.requestId, input.path.itemId, as: caller)
        let id = try APIMapping.uuid(input.path.linkId, kind: "guest link")
        guard try await guestLinks.revoke(id, of: item.id, actor: caller.name, now: clock()) else {
            throw RequestError.notFound(kind: "guest link", id: input.path.linkId)
        }
        return .noContent(.init())
    }

    /// The item a guest-link operation is about, as the caller sees it (404 when it does not), once the caller may
    /// manage its links (403 otherwise).
    private func guestLinkItem(_ requestID: String, _ itemID: String, as caller: Principal) async throws -> (RequestID, RequestItem) {
        let request = RequestID(try APIMapping.uuid(requestID, kind: "request"))
        let itemID = RequestItemID(try APIMapping.uuid(itemID, kind: "request item"))
        guard let item = try await requests.request(request, as: caller).items.first(where: { $0.id == itemID }) else {
            throw RequestError.notFound(kind: "request item", id: itemID.description)
        }
        guard caller.mayManageGuestLinks(forItemHeldBy: item.custodianOrgID) else {
            throw RequestError.forbidden("only the item's custodians and admins make or revoke guest links")
        }
        return (request, item)
    }
}

extension APIMapping {
    static func guestLink(_ link: GuestLink, now: Date) -> Components.Schemas.GuestLink {
        .init(id: link.id.uuidString.lowercased(), request: link.requestID.description, item: link.itemID.description,
              custodianOrg: link.custodianOrgID.rawValue, createdBy: link.createdBy, createdAt: link.createdAt, expiresAt: link.expiresAt,
              revokedAt: link.revokedAt, hasPassphrase: link.hasPassphrase, usable: link.isUsable(now: now))
    }
}
