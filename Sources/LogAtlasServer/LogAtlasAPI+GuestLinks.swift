import Foundation
import LogAtlasCore
import OpenAPIRuntime

/// Guest links: made and revoked by the item's custodians (and admins), used in the console under `/guest/`.
extension LogAtlasAPI {
    func createGuestLink(_ input: Operations.CreateGuestLink.Input) async throws -> Operations.CreateGuestLink.Output {
        let body = switch input.body { case .json(let body): body }
        let (requestID, itemID) = try ids(input.path.requestId, input.path.itemId)
        let (link, secret) = try await guestLinks.create(item: itemID, of: requestID, days: body.expiresInDays, passphrase: body.passphrase,
                                                         as: try RequestPrincipal.required())
        return .created(.init(body: .json(.init(link: APIMapping.guestLink(link, now: clock()), path: "/guest/\(secret)"))))
    }

    func listGuestLinks(_ input: Operations.ListGuestLinks.Input) async throws -> Operations.ListGuestLinks.Output {
        let (requestID, itemID) = try ids(input.path.requestId, input.path.itemId)
        let links = try await guestLinks.links(of: itemID, of: requestID, as: try RequestPrincipal.required())
        let now = clock()
        return .ok(.init(body: .json(links.map { APIMapping.guestLink($0, now: now) })))
    }

    func revokeGuestLink(_ input: Operations.RevokeGuestLink.Input) async throws -> Operations.RevokeGuestLink.Output {
        let (requestID, itemID) = try ids(input.path.requestId, input.path.itemId)
        try await guestLinks.revoke(try APIMapping.uuid(input.path.linkId, kind: "guest link"), of: itemID, of: requestID,
                                    as: try RequestPrincipal.required())
        return .noContent(.init())
    }

    private func ids(_ request: String, _ item: String) throws -> (RequestID, RequestItemID) {
        (RequestID(try APIMapping.uuid(request, kind: "request")), RequestItemID(try APIMapping.uuid(item, kind: "request item")))
    }
}

extension APIMapping {
    static func guestLink(_ link: GuestLink, now: Date) -> Components.Schemas.GuestLink {
        .init(id: link.id.uuidString.lowercased(), request: link.requestID.description, item: link.itemID.description,
              custodianOrg: link.custodianOrgID.rawValue, createdBy: link.createdBy, createdAt: link.createdAt, expiresAt: link.expiresAt,
              revokedAt: link.revokedAt, hasPassphrase: link.hasPassphrase, usable: link.isUsable(now: now))
    }
}
