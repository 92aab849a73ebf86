import Foundation
import LogAtlasCore
import LogAtlasFormats
import OpenAPIRuntime

/// Policies and gap reports. A report is computed from the inventory the caller may see, so a custodian's
/// report holds findings for its own organisations' systems only.
extension LogAtlasAPI {
    func listPolicies(_ input: Operations.ListPolicies.Input) async throws -> Operations.ListPolicies.Output {
        _ = try RequestPrincipal.required()
        return .ok(.init(body: .json(policies.map { policy in
            .init(id: policy.id, title: policy.title, version: policy.version, citation: policy.citation,
                  status: .init(rawValue: policy.status.rawValue)!, requirements: policy.requirements.count)
        })))
    }

    func getPolicy(_ input: Operations.GetPolicy.Input) async throws -> Operations.GetPolicy.Output {
        _ = try RequestPrincipal.required()
        guard let policy = policies.first(where: { $0.id == input.path.policyId }) else {
            throw InventoryError.notFound(kind: "policy", id: input.path.policyId)
        }
        return .ok(.init(body: .json(.init(
            id: policy.id, title: policy.title, version: policy.version, citation: policy.citation,
            status: .init(rawValue: policy.status.rawValue)!,
            requirements: policy.requirements.map { requirement in
                .init(id: requirement.id, title: requirement.title, clause: requirement.clause,
                      appliesTo: Self.describe(requirement.appliesTo),
                      logTypes: {
                          switch requirement.logTypes {
                          case .anyOf(let types): .init(anyOf: types)
                          case .allOf(let types): .init(allOf: types)
                          }
                      }(),
                      minRetentionDays: requirement.minRetentionDays, minSearchableDays: requirement.minSearchableDays,
                      maxRetrievalHours: requirement.maxRetrievalHours, retrievalWindowDays: requirement.retrievalWindowDays,
                      requiredFields: requirement.requiredFields, clockSync: requirement.clockSync,
                      maxAttestationAgeDays: requirement.maxAttestationAgeDays,
                      incidentTypes: requirement.incidentTypes.map(\.rawValue), weight: requirement.weight)
            }))))
    }

    func createGapReport(_ input: Operations.CreateGapReport.Input) async throws -> Operations.CreateGapReport.Output {
        let caller = try RequestPrincipal.required()
        let query = input.query
        let selected = try selectPolicies(query.policy)
        let inventory = try await self.inventory.export(as: caller)
        var findings = GapAnalysis.findings(for: selected, in: inventory, now: clock())
        if let org = query.org { findings.removeAll { $0.target.orgID != OrgID(org) } }
        if let system = query.system { findings.removeAll { !($0.target.kind == .system && $0.target.id == system) } }
        let stored = try await gapReports.save(findings, policies: selected.map(\.id).sorted(), orgFilter: query.org,
                                               systemFilter: query.system, as: caller)
        let report = GapReport(findings: stored.findings, inventory: inventory)
        let id = stored.id.uuidString.lowercased()
        switch input.query.format ?? .json {
        case .json: return .ok(.init(body: .json(APIMapping.gapReport(report, id: id))))
        case .csv: return .ok(.init(body: .csv(HTTPBody(try GapReportFormat.csv.render(report)))))
        case .md: return .ok(.init(body: .textMarkdown(HTTPBody(try GapReportFormat.md.render(report)))))
        case .html: return .ok(.init(body: .html(HTTPBody(try GapReportFormat.html.render(report)))))
        }
    }

    func readiness(_ input: Operations.Readiness.Input) async throws -> Operations.Readiness.Output {
        let caller = try RequestPrincipal.required()
        let selected = try selectPolicies(input.query.policy)
        let inventory = try await self.inventory.export(as: caller)
        var findings = GapAnalysis.findings(for: selected, in: inventory, now: clock())
        if let org = input.query.org { findings.removeAll { $0.target.orgID != OrgID(org) } }
        let report = GapReport(findings: findings, inventory: inventory)
        return .ok(.init(body: .json(.init(cells: APIMapping.gapReport(report, id: nil).readiness.map {
            .init(system: $0.system, incidentType: $0.incidentType, readiness: .init(rawValue: $0.readiness.rawValue)!, limiting: $0.limiting)
        }))))
    }

    func getGapReport(_ input: Operations.GetGapReport.Input) async throws -> Operations.GetGapReport.Output {
        let stored = try await gapReports.report(try Self.reportID(input.path.reportId), as: try RequestPrincipal.required())
        let report = GapReport(findings: stored.findings, inventory: Inventory(systems: stored.systems))
        switch input.query.format ?? .json {
        case .json: return .ok(.init(body: .json(APIMapping.gapReport(report, id: input.path.reportId))))
        case .csv: return .ok(.init(body: .csv(HTTPBody(try GapReportFormat.csv.render(report)))))
        case .md: return .ok(.init(body: .textMarkdown(HTTPBody(try GapReportFormat.md.render(report)))))
        case .html: return .ok(.init(body: .html(HTTPBody(try GapReportFormat.html.render(report)))))
        }
    }

    func diffGapReports(_ input: Operations.DiffGapReports.Input) async throws -> Operations.DiffGapReports.Output {
        let caller = try RequestPrincipal.required()
        let newer = try await gapReports.report(try Self.reportID(input.path.reportId), as: caller)
        let older = try await gapReports.report(try Self.reportID(input.query.against), as: caller)
        let diff = GapDiff(from: older.findings, to: newer.findings)
        func changes(_ list: [GapDiff.Change]) -> [Components.Schemas.GapChange] {
            list.map { .init(key: $0.key, before: $0.before.flatMap { .init(rawValue: $0.rawValue) }, after: $0.after.flatMap { .init(rawValue: $0.rawValue) }) }
        }
        return .ok(.init(body: .json(.init(report: input.path.reportId, against: input.query.against, improved: changes(diff.improved),
                                           regressed: changes(diff.regressed), added: changes(diff.added), removed: changes(diff.removed)))))
    }

    static func reportID(_ raw: String) throws -> UUID {
        guard let id = UUID(uuidString: raw) else { throw InventoryError.notFound(kind: "gap report", id: raw) }
        return id
    }


    /// The named policies, or every current one; an unknown ID is a 422 naming the closest.
    private func selectPolicies(_ ids: [String]?) throws -> [Policy] {
        guard let ids, !ids.isEmpty else { return policies.filter { $0.status == .current } }
        var issues: [ValidationIssue] = []
        let selected = ids.enumerated().compactMap { index, id -> Policy? in
            if let policy = policies.first(where: { $0.id == id }) { return policy }
            issues.append(ValidationIssue(path: "policy[\(index)]", message: Validation.unknownMessage("policy", id, policies.map(\.id))))
            return nil
        }
        if !issues.isEmpty { throw InventoryError.invalid(issues) }
        return selected
    }

    static func describe(_ selector: TargetSelector) -> String {
        var parts: [String] = []
        if let internetFacing = selector.internetFacing { parts.append(internetFacing ? "internet-facing" : "internal") }
        if let criticality = selector.minCriticality { parts.append("criticality ≥ \(criticality.rawValue)") }
        if !selector.tags.isEmpty { parts.append("tagged \(selector.tags.joined(separator: " or "))") }
        if !selector.orgKinds.isEmpty { parts.append("of \(selector.orgKinds.map(\.rawValue).joined(separator: "/")) organisations") }
        let what = selector.scope == .systems ? "systems" : "organisations"
        return parts.isEmpty ? "every \(what == "systems" ? "system" : "organisation")" : "\(what): \(parts.joined(separator: ", "))"
    }
}
