import Foundation

/// Evaluates requirements against an inventory. Pure and deterministic: the same policies and inventory
/// give the same findings in the same order, whatever the order of the input.
public enum GapAnalysis {
    /// Every finding for every requirement of `policies` and every target it selects.
    public static func findings(for policies: [Policy], in inventory: Inventory, now: Date) -> [Finding] {
        let orgKinds = Dictionary(inventory.orgs.map { ($0.id, $0.kind) }, uniquingKeysWith: { first, _ in first })
        let systems = inventory.systems.sorted { $0.id < $1.id }
        let ownerOf = Dictionary(systems.map { ($0.id, $0.ownerOrgID) }, uniquingKeysWith: { first, _ in first })
        let sourcesBySystem = Dictionary(grouping: inventory.sources, by: \.systemID)
        let sourcesByOrg = Dictionary(grouping: inventory.sources.filter { ownerOf[$0.systemID] != nil }) { ownerOf[$0.systemID]! }
        var findings: [Finding] = []
        for policy in policies.sorted(by: { $0.id < $1.id }) {
            for requirement in policy.requirements.sorted(by: { $0.id < $1.id }) {
                switch requirement.appliesTo.scope {
                case .systems:
                    for system in systems where requirement.appliesTo.selects(system, ownerKind: orgKinds[system.ownerOrgID]) {
                        let target = Target(kind: .system, id: system.id.rawValue, orgID: system.ownerOrgID)
                        findings.append(evaluate(requirement, of: policy.id, on: target, sources: sourcesBySystem[system.id] ?? [], now: now))
                    }
                case .orgs:
                    for org in inventory.orgs.sorted(by: { $0.id < $1.id }) where requirement.appliesTo.selects(org) {
                        let target = Target(kind: .org, id: org.id.rawValue, orgID: org.id)
                        findings.append(evaluate(requirement, of: policy.id, on: target, sources: sourcesByOrg[org.id] ?? [], now: now))
                    }
                }
            }
        }
        return findings
    }

    /// One requirement against one target's sources.
    static func evaluate(_ requirement: Requirement, of policyID: String, on target: Target, sources: [LogSource], now: Date) -> Finding {
        let groups: [[String]] = switch requirement.logTypes {
        case .anyOf(let types): [types]
        case .allOf(let types): types.map { [$0] }
        }
        var shortfalls: [Shortfall] = [], shortfallTypes: [String] = [], counted: [LogSourceID] = [], missingTypes: [String] = []
        for types in groups {
            let candidates = sources.filter { types.contains($0.logType) }
            guard let best = candidates.map({ (source: $0, shortfalls: Self.shortfalls(of: $0, for: requirement, now: now)) })
                .min(by: { rank($0.shortfalls, $0.source) < rank($1.shortfalls, $1.source) }) else {
                missingTypes += types
                continue
            }
            counted.append(best.source.id)
            shortfalls += best.shortfalls
            shortfallTypes += Array(repeating: best.source.logType, count: best.shortfalls.count)
        }
        let status: FindingStatus
        if counted.isEmpty {
            status = .missing
            shortfalls = [.logTypesMissing(missingTypes)]
            shortfallTypes = [missingTypes.joined(separator: "|")]
        } else {
            if !missingTypes.isEmpty {
                shortfalls.append(.logTypesMissing(missingTypes))
                shortfallTypes.append(missingTypes.joined(separator: "|"))
            }
            status = shortfalls.isEmpty ? .met : .partial
        }
        return Finding(policyID: policyID, requirement: requirement, target: target, status: status, shortfalls: shortfalls,
                       sourceIDs: counted, shortfallLogTypes: shortfallTypes)
    }

    /// Orders candidate sources: fewer and smaller shortfalls first; ties broken by name for determinism.
    static func rank(_ shortfalls: [Shortfall], _ source: LogSource) -> (Int, Double, String) {
        (shortfalls.count, shortfalls.map(\.severity).reduce(0, +), source.key.description)
    }

    /// How `source` falls short of `requirement`. Declared retention counts unless an attestation contradicts it.
    public static func shortfalls(of source: LogSource, for requirement: Requirement, now: Date) -> [Shortfall] {
        let coverage = Coverage(of: source, now: now, maxAttestationAgeDays: requirement.maxAttestationAgeDays ?? Coverage.defaultMaxAttestationAgeDays)
        let isDrift = coverage.attestationStatus == .drift
        let covered = isDrift ? min(coverage.coveredDays, coverage.attestedDays ?? 0) : coverage.coveredDays
        var shortfalls: [Shortfall] = []
        // A retrieval limit for the last W days implies holding W days: the retention need is the larger of the two.
        let window = requirement.retrievalWindowDays ?? requirement.minRetentionDays ?? 1
        let need = max(requirement.minRetentionDays ?? 0, requirement.maxRetrievalHours == nil ? 0 : window)
        if need > 0, covered < need {
            shortfalls.append(.retention(have: covered, need: need, attested: isDrift))
        }
        if let need = requirement.minSearchableDays, min(coverage.searchableDays, covered) < need {
            shortfalls.append(.searchable(have: min(coverage.searchableDays, covered), need: need))
        }
        if let limit = requirement.maxRetrievalHours, let measured = source.measuredLeadTime, measured.isConclusive {
            // Enough delivered requests: judge on what retrieval really took, not on the declaration.
            if measured.medianHours > limit {
                shortfalls.append(.measuredRetrieval(hours: measured.medianHours, limit: limit, samples: measured.samples))
            }
        } else if let limit = requirement.maxRetrievalHours {
            // The slowest tier that must be reached to get everything held up to `window` days old.
            let reach = min(window, covered)
            if let slowest = coverage.retrievalWindows.filter({ $0.fromDays < reach }).max(by: { $0.hours < $1.hours }), slowest.hours > limit {
                shortfalls.append(.retrieval(hours: slowest.hours, limit: limit, medium: slowest.medium, windowDays: window))
            }
        }
        let missingFields = requirement.requiredFields.filter { !source.fields.contains($0) }
        if !missingFields.isEmpty { shortfalls.append(.fieldsMissing(missingFields)) }
        if requirement.clockSync, !source.clock.isNTPSynced { shortfalls.append(.clockNotSynchronised) }
        if isDrift {
            shortfalls.append(.attestationDrift(declared: coverage.coveredDays, attested: coverage.attestedDays ?? 0))
        } else if let limit = requirement.maxAttestationAgeDays {
            if let attestation = source.latestAttestation {
                let age = Int(now.timeIntervalSince(attestation.checkedAt) / 86_400)
                if age > limit { shortfalls.append(.attestationStale(ageDays: age, limit: limit)) }
            } else {
                shortfalls.append(.attestationMissing)
            }
        }
        return shortfalls
    }
}
