import Foundation
import LogAtlasCore
import OpenAPIRuntime

/// Retrieval requests: filing (and its preview), lists, the item lifecycle and the comment thread.
extension LogAtlasAPI {
    func previewRequest(_ input: Operations.PreviewRequest.Input) async throws -> Operations.PreviewRequest.Output {
        let body = switch input.body { case .json(let body): body }
        return .ok(.init(body: .json(try await previewed(body))))
    }

    func fileRequest(_ input: Operations.FileRequest.Input) async throws -> Operations.FileRequest.Output {
        let body = switch input.body { case .json(let body): body }
        return .created(.init(body: .json(try await filed(body))))
    }

    /// The prediction for a draft, as the caller (the handler and `RetrievalRequestJSONMiddleware` share it).
    func previewed(_ body: Components.Schemas.RequestDraft) async throws -> Components.Schemas.RetrievalRequest {
        let caller = try RequestPrincipal.required()
        let now = clock()
        let plan = try await requests.preview(try APIMapping.draft(body), sla: broker.sla, now: now, as: caller)
        return APIMapping.request(plan.request, caller: caller, now: now, retention: nil)
    }

    /// Files a draft as the caller and returns the stored request.
    func filed(_ body: Components.Schemas.RequestDraft) async throws -> Components.Schemas.RetrievalRequest {
        let caller = try RequestPrincipal.required()
        let now = clock()
        let plan = try await requests.file(try APIMapping.draft(body), sla: broker.sla, now: now, as: caller)
        return APIMapping.request(plan.request, caller: caller, now: now, events: [], retention: broker.retention)
    }

    func listRequests(_ input: Operations.ListRequests.Input) async throws -> Operations.ListRequests.Output {
        let caller = try RequestPrincipal.required()
        let query = input.query
        let filter = RequestFilter(state: query.state.flatMap { ItemState(rawValue: $0.rawValue) },
                                   priority: query.priority.flatMap { Priority(rawValue: $0.rawValue) },
                                   org: query.org.map { OrgID($0) }, overdueOnly: query.overdue ?? false)
        let now = clock()
        let page = try await requests.requests(matching: filter, now: now, as: caller, page: try APIMapping.page(after: query.cursor, limit: query.limit))
        return .ok(.init(body: .json(.init(items: page.items.map { APIMapping.request($0, caller: caller, now: now, retention: broker.retention) },
                                           nextCursor: page.nextCursor, total: page.total))))
    }

    func getRequest(_ input: Operations.GetRequest.Input) async throws -> Operations.GetRequest.Output {
        let caller = try RequestPrincipal.required()
        let id = RequestID(try APIMapping.uuid(input.path.requestId, kind: "request"))
        let request = try await requests.request(id, as: caller)
        let events = try await requests.history(of: id, as: caller)
        return .ok(.init(body: .json(APIMapping.request(request, caller: caller, now: clock(), events: events, retention: broker.retention))))
    }

    func transitionItem(_ input: Operations.TransitionItem.Input) async throws -> Operations.TransitionItem.Output {
        let body = switch input.body { case .json(let body): body }
        let caller = try RequestPrincipal.required()
        let requestID = RequestID(try APIMapping.uuid(input.path.requestId, kind: "request"))
        let itemID = RequestItemID(try APIMapping.uuid(input.path.itemId, kind: "request item"))
        let now = clock()
        let item = try await requests.transition(ItemAction(rawValue: body.action.rawValue)!, item: itemID, of: requestID,
                                                 note: body.note, deliverDue: body.deliverDue, as: caller, now: now)
        let request = try await requests.request(requestID, as: caller)
        return .ok(.init(body: .json(APIMapping.item(item: item, requesterOrg: request.requesterOrgID, caller: caller, now: now))))
    }

    func listComments(_ input: Operations.ListComments.Input) async throws -> Operations.ListComments.Output {
        let id = RequestID(try APIMapping.uuid(input.path.requestId, kind: "request"))
        return .ok(.init(body: .json(try await requests.comments(on: id, as: try RequestPrincipal.required()).map(APIMapping.comment))))
    }

    func addComment(_ input: Operations.AddComment.Input) async throws -> Operations.AddComment.Output {
        let body = switch input.body { case .json(let body): body }
        let id = RequestID(try APIMapping.uuid(input.path.requestId, kind: "request"))
        let comment = try await requests.addComment(body.body, addressedTo: body.to.map { OrgID($0) }, on: id,
                                                    as: try RequestPrincipal.required(), now: clock())
        return .created(.init(body: .json(APIMapping.comment(comment))))
    }
}

extension LogAtlasAPI {
    func friction(_ input: Operations.Friction.Input) async throws -> Operations.Friction.Output {
        let report = try await requests.friction(org: input.query.org.map { OrgID($0) }, now: clock(), as: try RequestPrincipal.required())
        func distribution(_ value: Distribution?) -> Components.Schemas.Distribution? {
            value.map { .init(count: $0.count, medianHours: $0.medianHours, p90Hours: $0.p90Hours) }
        }
        return .ok(.init(body: .json(.init(
            orgs: report.orgs.map {
                .init(org: $0.orgID.rawValue, items: $0.items, acknowledge: distribution($0.acknowledge), deliver: distribution($0.deliver),
                      judged: $0.judged, breached: $0.breached, breachRate: $0.breachRate)
            },
            sources: report.sources.map {
                .init(source: $0.sourceID.description, name: $0.name, custodianOrg: $0.custodianOrgID.rawValue,
                      declaredLeadTimeHours: $0.declaredLeadHours, measured: distribution($0.measured))
            }))))
    }
}
