import Foundation
import LogAtlasCore
import OpenAPIRuntime

/// Retrieval drills: schedules the CSIRT sets, drills the SLA job files and judges.
extension LogAtlasAPI {
    func listDrills(_ input: Operations.ListDrills.Input) async throws -> Operations.ListDrills.Output {
        let caller = try RequestPrincipal.required(), now = clock()
        let schedules = try await drills.schedules(as: caller), filed = try await drills.drills(as: caller)
        return .ok(.init(body: .json(.init(schedules: schedules.map { APIMapping.drillSchedule($0, now: now) }, drills: filed.map(APIMapping.drill)))))
    }

    func scheduleDrills(_ input: Operations.ScheduleDrills.Input) async throws -> Operations.ScheduleDrills.Output {
        let body = switch input.body { case .json(let body): body }
        var issues: [ValidationIssue] = []
        let sources = (body.sources ?? []).enumerated().compactMap { index, raw -> LogSourceID? in
            guard let id = UUID(uuidString: raw) else { issues.append(.init(path: "sources[\(index)]", message: "not a source id")); return nil }
            return LogSourceID(id)
        }
        guard issues.isEmpty else { throw RequestError.invalid(issues) }
        let schedule = DrillSchedule(custodianOrgID: OrgID(body.custodianOrg), csirtOrgID: OrgID(body.csirtOrg), sourceIDs: sources,
                                     everyDays: body.everyDays, windowHours: body.windowHours ?? 1, createdBy: "", createdAt: clock())
        let stored = try await drills.schedule(schedule, as: try RequestPrincipal.required())
        return .created(.init(body: .json(APIMapping.drillSchedule(stored, now: clock()))))
    }
}

extension APIMapping {
    static func drillSchedule(_ schedule: DrillSchedule, now: Date) -> Components.Schemas.DrillSchedule {
        .init(id: schedule.id.uuidString.lowercased(), custodianOrg: schedule.custodianOrgID.rawValue, csirtOrg: schedule.csirtOrgID.rawValue,
              sources: schedule.sourceIDs.map(\.description), everyDays: schedule.everyDays, windowHours: schedule.windowHours,
              createdBy: schedule.createdBy, createdAt: schedule.createdAt, nextDue: schedule.nextDue(after: now))
    }

    static func drill(_ drill: Drill) -> Components.Schemas.Drill {
        .init(id: drill.id.uuidString.lowercased(), scheduleId: drill.scheduleID.uuidString.lowercased(), period: drill.period,
              sourceId: drill.target.sourceID.description, tier: drill.target.tierIndex, medium: drill.target.medium.rawValue,
              tierDays: drill.target.tierDays, window: .init(from: drill.target.window.from, to: drill.target.window.to),
              expectedHours: drill.target.expectedHours, requestId: drill.requestID?.description, itemId: drill.itemID?.description,
              filedAt: drill.filedAt, outcome: .init(rawValue: drill.outcome.rawValue)!, reason: drill.reason, judgedAt: drill.judgedAt)
    }
}
