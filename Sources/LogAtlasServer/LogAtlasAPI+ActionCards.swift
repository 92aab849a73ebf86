import Foundation
import LogAtlasCore
import LogAtlasFormats
import OpenAPIRuntime

/// Action cards: who acts for which system, per incident type and severity; printable in English and Japanese.
extension LogAtlasAPI {
    func listActionCards(_ input: Operations.ListActionCards.Input) async throws -> Operations.ListActionCards.Output {
        let cards = try await actionCards.cards(as: try RequestPrincipal.required())
        return .ok(.init(body: .json(.init(items: cards.map(APIMapping.actionCard)))))
    }

    func setOrgActionCard(_ input: Operations.SetOrgActionCard.Input) async throws -> Operations.SetOrgActionCard.Output {
        let body = switch input.body { case .json(let body): body }
        let card = try await actionCards.save(body.entries.map(APIMapping.entry), org: OrgID(input.path.orgId), system: nil, ifVersion: body.version,
                                              as: try RequestPrincipal.required(), now: clock())
        return .ok(.init(body: .json(APIMapping.actionCard(card))))
    }

    func setSystemActionCard(_ input: Operations.SetSystemActionCard.Input) async throws -> Operations.SetSystemActionCard.Output {
        let body = switch input.body { case .json(let body): body }
        let card = try await actionCards.save(body.entries.map(APIMapping.entry), org: nil, system: SystemID(input.path.systemId),
                                              ifVersion: body.version, as: try RequestPrincipal.required(), now: clock())
        return .ok(.init(body: .json(APIMapping.actionCard(card))))
    }

    func getSystemActionCard(_ input: Operations.GetSystemActionCard.Input) async throws -> Operations.GetSystemActionCard.Output {
        let card = try await actionCards.resolved(SystemID(input.path.systemId), as: try RequestPrincipal.required())
        let language = ActionCardRenderer.Language(rawValue: input.query.lang?.rawValue ?? "en") ?? .en
        switch input.query.format ?? .json {
        case .json:
            return .ok(.init(body: .json(.init(system: card.system.id.rawValue, name: card.system.name, org: card.system.ownerOrgID.rawValue,
                                               cells: card.cells.map { cell in
                                                   .init(incidentType: cell.incidentType.rawValue, severity: .init(rawValue: cell.severity.rawValue)!,
                                                         responsible: cell.entry.responsible, contact: cell.entry.contact,
                                                         firstActions: cell.entry.firstActions, logTypes: cell.entry.logTypes,
                                                         fromDefaults: cell.fromDefaults)
                                               }))))
        case .md: return .ok(.init(body: .textMarkdown(HTTPBody(ActionCardRenderer.markdown(card, language: language, now: clock())))))
        case .html: return .ok(.init(body: .html(HTTPBody(ActionCardRenderer.html(card, language: language, now: clock())))))
        }
    }
}

extension APIMapping {
    static func entry(_ body: Components.Schemas.ActionCardEntry) -> ActionCardEntry {
        ActionCardEntry(incidentTypes: (body.incidentTypes ?? []).compactMap { IncidentType(rawValue: $0.rawValue) },
                        severities: (body.severities ?? []).compactMap { Priority(rawValue: $0.rawValue) }, responsible: body.responsible,
                        contact: body.contact, firstActions: body.firstActions ?? [], logTypes: body.logTypes ?? [])
    }

    static func actionCard(_ card: ActionCard) -> Components.Schemas.ActionCard {
        .init(org: card.orgID.rawValue, system: card.systemID?.rawValue, entries: card.entries.map { entry in
            .init(incidentTypes: entry.incidentTypes.map { .init(rawValue: $0.rawValue)! }, severities: entry.severities.map { .init(rawValue: $0.rawValue)! },
                  responsible: entry.responsible, contact: entry.contact, firstActions: entry.firstActions, logTypes: entry.logTypes)
        }, version: card.version, updatedBy: card.updatedBy, updatedAt: card.updatedAt)
    }
}
