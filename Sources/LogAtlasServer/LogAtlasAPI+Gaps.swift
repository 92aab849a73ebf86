import Foundation
import LogAtlasCore
import LogAtlasFormats
import OpenAPIRuntime

/// Policies and gap reports. A report is computed from the inventory the caller may see, so a custodian's
/// report holds findings for its own organisations' systems only.
extension LogAtlasAPI {
    func listPolicies(_ input: Operations.ListPolicies.Input) async throws -> Operations.ListPolicies.Output {
        let all = try await catalogue(as: try RequestPrincipal.required())
        return .ok(.init(body: .json(all.map { Self.summary($0.policy, origin: $0.origin) })))
    }

    static func summary(_ policy: Policy, origin: String) -> Components.Schemas.PolicySummary {
        .init(id: policy.id, title: policy.title, version: policy.version, citation: policy.citation,
              status: .init(rawValue: policy.status.rawValue)!, requirements: policy.requirements.count, origin: .init(rawValue: origin))
    }

    /// Built-in policies plus the uploaded ones, each with where it came from.
    func catalogue(as caller: Principal) async throws -> [(policy: Policy, origin: String)] {
        let uploaded = try await policyStore.uploaded(as: caller).compactMap { stored -> (Policy, String)? in
            // Validated on upload; a file that no longer loads (after a format change) is left out rather than failing every report.
            (try? PolicyYAML.decode(stored.yaml, file: "\(stored.id).yaml")).map { ($0, "uploaded") }
        }
        return builtInPolicies + uploaded
    }

    func uploadPolicy(_ input: Operations.UploadPolicy.Input) async throws -> Operations.UploadPolicy.Output {
        let body = switch input.body { case .yaml(let body): body }
        let caller = try RequestPrincipal.required()
        guard caller.mayManagePolicies else { throw PolicyError.forbidden("only admins upload policies") }
        let id = input.path.policyId
        let yaml = try FormatError.text(of: try await Data(collecting: body, upTo: 1_000_000), file: "\(id).yaml")
        let policy = try PolicyYAML.decode(yaml, file: "\(id).yaml")
        guard policy.id == id else {
            throw PolicyError.invalid([ValidationIssue(path: "id", message: "the file's id is '\(policy.id)', the path says '\(id)'")])
        }
        if builtInPolicies.contains(where: { $0.policy.id == id }) { throw PolicyError.builtIn(id: id) }
        _ = try await policyStore.save(id: id, yaml: yaml, as: caller)
        return .ok(.init(body: .json(Self.summary(policy, origin: "uploaded"))))
    }

    func deletePolicy(_ input: Operations.DeletePolicy.Input) async throws -> Operations.DeletePolicy.Output {
        let caller = try RequestPrincipal.required()
        guard caller.mayManagePolicies else { throw PolicyError.forbidden("only admins delete policies") }
        if builtInPolicies.contains(where: { $0.policy.id == input.path.policyId }) { throw PolicyError.builtIn(id: input.path.policyId) }
        try await policyStore.delete(id: input.path.policyId, as: caller)
        return .noContent(.init())
    }

    func getPolicy(_ input: Operations.GetPolicy.Input) async throws -> Operations.GetPolicy.Output {
        let policies = try await catalogue(as: try RequestPrincipal.required()).map(\.policy)
        guard let policy = policies.first(where: { $0.id == input.path.policyId }) else {
            throw PolicyError.notFound(kind: "policy", id: input.path.policyId)
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
                      maxRetrievalHours: requirement.maxRetrievalHours,
                      maxAccessHours: requirement.maxAccessHours.isEmpty ? nil : .init(
                          informational: requirement.maxAccessHours[.informational], medium: requirement.maxAccessHours[.medium],
                          serious: requirement.maxAccessHours[.serious], critical: requirement.maxAccessHours[.critical]),
                      retrievalWindowDays: requirement.retrievalWindowDays,
                      requiredFields: requirement.requiredFields, clockSync: requirement.clockSync,
                      maxAttestationAgeDays: requirement.maxAttestationAgeDays,
                      incidentTypes: requirement.incidentTypes.map(\.rawValue), weight: requirement.weight,
                      responsibleContact: requirement.responsibleContact.map {
                          .init(incidentTypes: $0.incidentTypes.map(\.rawValue), severities: $0.severities.map(\.rawValue))
                      })
            }))))
    }

    func createGapReport(_ input: Operations.CreateGapReport.Input) async throws -> Operations.CreateGapReport.Output {
        let query = input.query
        let (report, id) = try await runGapReport(policies: query.policy, org: query.org, system: query.system, as: try RequestPrincipal.required())
        switch query.format ?? .json {
        case .json: return .ok(.init(body: .json(APIMapping.gapReport(report, id: id))))
        case .csv: return .ok(.init(body: .csv(HTTPBody(GapReportRenderer.csv(report)))))
        case .md: return .ok(.init(body: .textMarkdown(HTTPBody(GapReportRenderer.markdown(report)))))
        case .html: return .ok(.init(body: .html(HTTPBody(GapReportHTML.render(report)))))
        }
    }

    /// Evaluates the policies (every current one by default) against the inventory the caller may see and stores
    /// the run; returns the report and the stored run's id.
    func runGapReport(policies: [String]?, org: String?, system: String?, as caller: Principal) async throws -> (GapReport, String) {
        let (report, selected) = try await gapReport(policies: policies, org: org, system: system, as: caller)
        let stored = try await gapReports.save(report.findings, policies: selected.map(\.id).sorted(), orgFilter: org, systemFilter: system,
                                               as: caller)
        // An observed gap stays open until a run shows the requirement it implies met: this one, when it does.
        let met = report.findings.filter { $0.status == .met }.compactMap(\.observedGapID)
        _ = try await observedGaps.closeMet(met, by: stored.id, as: caller, now: clock())
        return (report, stored.id.uuidString.lowercased())
    }

    /// The report of the selected policies on the inventory `caller` may see (`GapAnalysis.report`).
    func gapReport(policies: [String]?, org: String?, system: String?, severity: Priority? = nil, as caller: Principal) async throws -> (GapReport, [Policy]) {
        let selected = try GapAnalysis.select(policies, from: try await catalogue(as: caller).map(\.policy))
        let inventory = try await self.inventory.export(as: caller)
        let agreements = selected.contains { $0.requirements.contains { !$0.maxAccessHours.isEmpty } }
            ? try await self.agreements.agreements(custodian: nil, csirt: nil, as: caller) : []
        let observed = try await observedGaps.gaps(matching: ObservedGapFilter(open: true), as: caller)
        let report = GapAnalysis.report(for: selected, in: inventory, org: org.map { OrgID($0) }, system: system.map { SystemID($0) }, now: clock(),
                                        agreements: agreements, severity: severity, observed: observed,
                                        heartbeats: try await heartbeats.latest(as: caller),
                                        actionCards: selected.contains { $0.requirements.contains { $0.responsibleContact != nil } }
                                            ? try await actionCards.cards(as: caller) : [],
                                        lastDrilled: selected.contains { $0.requirements.contains { $0.drilledWithinDays != nil } }
                                            ? try await drills.lastPassed(as: caller) : [:])
        return (report, selected)
    }

    func readiness(_ input: Operations.Readiness.Input) async throws -> Operations.Readiness.Output {
        let severity = input.query.severity.map { Priority(rawValue: $0.rawValue)! }
        let (report, _) = try await gapReport(policies: input.query.policy, org: input.query.org, system: nil, severity: severity,
                                              as: try RequestPrincipal.required())
        return .ok(.init(body: .json(.init(severity: input.query.severity.map { .init(rawValue: $0.rawValue)! }, cells: APIMapping.gapReport(report, id: nil).readiness.map {
            .init(system: $0.system, incidentType: $0.incidentType, readiness: .init(rawValue: $0.readiness.rawValue)!, limiting: $0.limiting)
        }))))
    }

    /// How many stored runs per policy the trend draws.
    static let trendRuns = 30

    func trend(policy: String?, org: String?, as caller: Principal) async throws -> [TrendPoint] {
        try await gapReports.trend(policy: policy, org: org, limit: Self.trendRuns, as: caller)
    }

    func readinessTrend(_ input: Operations.ReadinessTrend.Input) async throws -> Operations.ReadinessTrend.Output {
        let points = try await trend(policy: input.query.policy, org: input.query.org, as: try RequestPrincipal.required())
        return .ok(.init(body: .json(.init(points: points.map {
            .init(policy: $0.policyID, reportId: $0.reportID.uuidString.lowercased(), createdAt: $0.createdAt, score: $0.score.percent,
                  met: $0.score.met, partial: $0.score.partial, missing: $0.score.missing)
        }))))
    }

    func getGapReport(_ input: Operations.GetGapReport.Input) async throws -> Operations.GetGapReport.Output {
        let report = try await storedGapReport(input.path.reportId)
        switch input.query.format ?? .json {
        case .json: return .ok(.init(body: .json(APIMapping.gapReport(report, id: input.path.reportId))))
        case .csv: return .ok(.init(body: .csv(HTTPBody(GapReportRenderer.csv(report)))))
        case .md: return .ok(.init(body: .textMarkdown(HTTPBody(GapReportRenderer.markdown(report)))))
        case .html: return .ok(.init(body: .html(HTTPBody(GapReportHTML.render(report)))))
        }
    }

    /// A stored run as the caller may see it (a custodian: its own organisations' findings).
    func storedGapReport(_ id: String) async throws -> GapReport {
        let stored = try await gapReports.report(try Self.reportID(id), as: try RequestPrincipal.required())
        return GapReport(findings: stored.findings, inventory: Inventory(systems: stored.systems))
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
        guard let id = UUID(uuidString: raw) else { throw PolicyError.notFound(kind: "gap report", id: raw) }
        return id
    }


    static func describe(_ selector: TargetSelector) -> String {
        var parts: [String] = []
        if let internetFacing = selector.internetFacing { parts.append(internetFacing ? "internet-facing" : "internal") }
        if let criticality = selector.minCriticality { parts.append("criticality ≥ \(criticality.rawValue)") }
        if !selector.tags.isEmpty { parts.append("tagged \(selector.tags.joined(separator: " or "))") }
        if !selector.orgKinds.isEmpty { parts.append("of \(selector.orgKinds.map(\.rawValue).joined(separator: "/")) organisations") }
        if selector.scope == .orgs, selector.orgSources != .owned {
            parts.append(selector.orgSources == .held ? "counting the sources they hold" : "counting the sources of their systems and those they hold")
        }
        let what = selector.scope == .systems ? "systems" : "organisations"
        return parts.isEmpty ? "every \(what == "systems" ? "system" : "organisation")" : "\(what): \(parts.joined(separator: ", "))"
    }
}
