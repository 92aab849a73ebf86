import Foundation
import LogAtlasCore
import OpenAPIRuntime

/// Gaps learned from incidents: recorded by the CSIRT, findings of every gap report until one shows them met.
extension LogAtlasAPI {
    func listObservedGaps(_ input: Operations.ListObservedGaps.Input) async throws -> Operations.ListObservedGaps.Output {
        let filter = ObservedGapFilter(open: input.query.status.map { $0 == .open }, systemID: input.query.system.map { SystemID($0) },
                                       incidentReference: input.query.incident)
        let gaps = try await observedGaps.gaps(matching: filter, as: try RequestPrincipal.required())
        return .ok(.init(body: .json(.init(items: gaps.map { APIMapping.observedGap($0, now: clock()) }))))
    }

    func recordObservedGap(_ input: Operations.RecordObservedGap.Input) async throws -> Operations.RecordObservedGap.Output {
        let body = switch input.body { case .json(let body): body }
        var issues: [ValidationIssue] = []
        func uuid(_ raw: String?, _ path: String) -> UUID? {
            guard let raw else { return nil }
            guard let id = UUID(uuidString: raw) else {
                issues.append(.init(path: path, message: "not a UUID"))
                return nil
            }
            return id
        }
        let draft = ObservedGapDraft(
            incidentReference: body.incidentReference, requestID: uuid(body.requestId, "request_id").map { RequestID($0) },
            itemID: uuid(body.itemId, "item_id").map { RequestItemID($0) }, sourceID: uuid(body.sourceId, "source_id").map { LogSourceID($0) },
            systemID: body.systemId.map { SystemID($0) }, logType: body.logType, kind: ObservedGapKind(rawValue: body.kind.rawValue)!,
            neededDays: body.neededDays, neededHours: body.neededHours, fields: body.fields ?? [], note: body.note ?? "")
        guard issues.isEmpty else { throw ObservedGapError.invalid(issues) }
        let gap = try await observedGaps.record(draft, as: try RequestPrincipal.required(), now: clock())
        return .created(.init(body: .json(APIMapping.observedGap(gap, now: clock()))))
    }

    func getObservedGap(_ input: Operations.GetObservedGap.Input) async throws -> Operations.GetObservedGap.Output {
        let gap = try await observedGaps.gap(try Self.observedGapID(input.path.gapId), as: try RequestPrincipal.required())
        return .ok(.init(body: .json(APIMapping.observedGap(gap, now: clock()))))
    }

    func closeObservedGap(_ input: Operations.CloseObservedGap.Input) async throws -> Operations.CloseObservedGap.Output {
        let body = switch input.body { case .json(let body): body }
        let gap = try await observedGaps.close(try Self.observedGapID(input.path.gapId), reason: body.reason,
                                               as: try RequestPrincipal.required(), now: clock())
        return .ok(.init(body: .json(APIMapping.observedGap(gap, now: clock()))))
    }

    /// A path segment that is not a UUID names no gap.
    static func observedGapID(_ raw: String) throws -> UUID {
        guard let id = UUID(uuidString: raw) else { throw ObservedGapError.notFound(kind: "observed gap", id: raw) }
        return id
    }
}

extension APIMapping {
    static func observedGap(_ gap: ObservedGap, now: Date) -> Components.Schemas.ObservedGap {
        .init(id: gap.id.uuidString.lowercased(), incidentReference: gap.incidentReference, system: gap.systemID.rawValue,
              org: gap.systemOwnerOrgID.rawValue, logType: gap.logType, sourceId: gap.sourceID?.description,
              kind: .init(rawValue: gap.kind.rawValue)!, neededDays: gap.neededDays, neededHours: gap.neededHours, fields: gap.fields,
              note: gap.note, requestId: gap.requestID?.description, itemId: gap.itemID?.description, incidentType: gap.incidentType?.rawValue,
              recordedBy: gap.recordedBy, recordedAt: gap.recordedAt, status: gap.isOpen ? .open : .closed,
              requirement: "\(ObservedGap.policyID)/\(gap.requirement(now: now).id)", closedBy: gap.closure?.by, closedAt: gap.closure?.at,
              closeReason: gap.closure?.reason, closedByReport: gap.closure?.reportID?.uuidString.lowercased())
    }
}
