import LogAtlasCore

/// The gap report in the shape `openapi.yaml` declares (the CLI's JSON has the same fields).
extension APIMapping {
    static func gapReport(_ report: GapReport, id: String?) -> Components.Schemas.GapReport {
        func score(_ score: GapReport.Score) -> Components.Schemas.Score {
            .init(percent: score.percent, met: score.met, partial: score.partial, missing: score.missing)
        }
        return .init(
            id: id, overall: score(report.overall),
            byPolicy: .init(additionalProperties: report.byPolicy.mapValues(score)),
            byOrg: .init(additionalProperties: Dictionary(uniqueKeysWithValues: report.byOrg.map { ($0.rawValue, score($1)) })),
            bySystem: .init(additionalProperties: Dictionary(uniqueKeysWithValues: report.bySystem.map { ($0.rawValue, score($1)) })),
            byIncidentType: .init(additionalProperties: Dictionary(uniqueKeysWithValues: report.byIncidentType.map { (String($0.rawValue), score($1)) })),
            readiness: report.readiness.map { cell in
                .init(system: cell.system.rawValue, incidentType: cell.incidentType.rawValue, readiness: .init(rawValue: cell.readiness.rawValue)!,
                      limiting: cell.limiting.map { "\($0.policyID)/\($0.requirement.id): \($0.shortfalls.map(\.description).joined(separator: "; "))" })
            },
            remediation: report.remediation.map { .init(action: $0.action, impact: $0.impact, serves: $0.serves, observedIn: $0.observedIn.isEmpty ? nil : $0.observedIn) },
            findings: report.findings.map { finding in
                .init(policy: finding.policyID, requirement: finding.requirement.id, clause: finding.requirement.clause,
                      targetKind: .init(rawValue: finding.target.kind.rawValue)!, target: finding.target.id, org: finding.target.orgID.rawValue,
                      status: .init(rawValue: finding.status.rawValue)!, shortfalls: finding.shortfalls.map(\.description),
                      sourceIds: finding.sourceIDs.map(\.description), incidentTypes: finding.requirement.incidentTypes.map(\.rawValue),
                      weight: finding.requirement.weight, observedIn: finding.observedIn.isEmpty ? nil : finding.observedIn,
                      observedGap: finding.observedGapID?.uuidString.lowercased())
            })
    }
}
