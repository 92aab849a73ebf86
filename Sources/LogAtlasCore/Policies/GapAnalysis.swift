import Foundation

/// Evaluates requirements against an inventory. Pure and deterministic: the same policies and inventory
/// give the same findings in the same order, whatever the order of the input.
public enum GapAnalysis {
    /// Every finding for every requirement of `policies` and every target it selects; `agreements` are the standing
    /// retrieval agreements that may speed up access (`max_access_hours`).
    /// With a `severity`, the findings are those of an incident of that severity: only its access limits apply.
    /// Each open `observed` gap on a system of the inventory adds a finding of its own (policy `observed`) and marks the
    /// catalogue findings on that system and log type that are not met as observed in its incident.
    /// A source whose latest probe `heartbeats` say is silent falls short of every requirement it counts for.
    public static func findings(for policies: [Policy], in inventory: Inventory, now: Date, agreements: [RetrievalAgreement] = [],
                                severity: Priority? = nil, observed: [ObservedGap] = [], heartbeats: [Heartbeat] = [],
                                actionCards: [ActionCard] = [], lastDrilled: [LogSourceID: Date] = [:]) -> [Finding] {
        var access = AccessContext(agreements: agreements.filter { $0.status(now: now) == .active },
                                   systemTags: Dictionary(inventory.systems.map { ($0.id, $0.tags) }, uniquingKeysWith: { first, _ in first }),
                                   severity: severity)
        access.heartbeats = Dictionary(heartbeats.map { ($0.sourceID, $0) }, uniquingKeysWith: { $0.receivedAt > $1.receivedAt ? $0 : $1 })
        access.lastDrilled = lastDrilled
        for card in actionCards {
            if let system = card.systemID { access.systemCards[system] = card } else { access.orgCards[card.orgID] = card }
        }
        let orgKinds = Dictionary(inventory.orgs.map { ($0.id, $0.kind) }, uniquingKeysWith: { first, _ in first })
        let systems = inventory.systems.sorted { $0.id < $1.id }
        let orgs = inventory.orgs.sorted { $0.id < $1.id }
        let ownerOf = Dictionary(systems.map { ($0.id, $0.ownerOrgID) }, uniquingKeysWith: { first, _ in first })
        // Log types by number: a source's type is compared with a requirement's for every source of every target,
        // and numbers compare faster than texts. Types no requirement names are -1.
        var typeNumbers: [String: Int] = [:]
        for policy in policies {
            for requirement in policy.requirements {
                for type in requirement.logTypes.types where typeNumbers[type] == nil { typeNumbers[type] = typeNumbers.count }
            }
        }
        let gaps = observed.filter { $0.isOpen && ownerOf[$0.systemID] != nil }.sorted { ($0.incidentReference, $0.id.uuidString) < ($1.incidentReference, $1.id.uuidString) }
        for gap in gaps where typeNumbers[gap.logType] == nil { typeNumbers[gap.logType] = typeNumbers.count }
        // Sources are referred to by their index: copying a source copies a dozen texts and lists.
        var sourcesBySystem: [SystemID: [Int]] = [:], sourcesByOrg: [OrgID: [Int]] = [:], sourcesHeldBy: [OrgID: [Int]] = [:]
        var sourceTypes = [Int](repeating: -1, count: inventory.sources.count)
        for index in inventory.sources.indices {
            let systemID = inventory.sources[index].systemID   // not `for source in`: that copies every source
            sourcesBySystem[systemID, default: []].append(index)
            if let owner = ownerOf[systemID] { sourcesByOrg[owner, default: []].append(index) }
            sourcesHeldBy[inventory.sources[index].custodianOrgID, default: []].append(index)
            if let number = typeNumbers[inventory.sources[index].logType] { sourceTypes[index] = number }
        }
        let ownerKinds = systems.map { orgKinds[$0.ownerOrgID] }
        // Every (requirement, target) pair, in the order of the result.
        var jobs: [(requirement: RequirementBox, groups: TypeGroups, policyID: String, target: Target, sources: [Int], gap: ObservedGap?)] = []
        for policy in policies.sorted(by: { $0.id < $1.id }) {
            for requirement in policy.requirements.sorted(by: { $0.id < $1.id }) {
                let box = RequirementBox(requirement)
                let groups = TypeGroups(requirement.logTypes, numbers: typeNumbers)
                switch requirement.appliesTo.scope {
                case .systems:
                    for (position, system) in systems.enumerated() where requirement.appliesTo.selects(system, ownerKind: ownerKinds[position]) {
                        jobs.append((box, groups, policy.id, Target(kind: .system, id: system.id.rawValue, orgID: system.ownerOrgID),
                                     sourcesBySystem[system.id] ?? [], nil))
                    }
                case .orgs:
                    for org in orgs where requirement.appliesTo.selects(org) {
                        let owned = sourcesByOrg[org.id] ?? [], held = sourcesHeldBy[org.id] ?? []
                        let counted = switch requirement.appliesTo.orgSources {
                        case .owned: owned
                        case .held: held
                        case .ownedOrHeld: Array(Set(owned).union(held)).sorted()
                        }
                        jobs.append((box, groups, policy.id, Target(kind: .org, id: org.id.rawValue, orgID: org.id), counted, nil))
                    }
                }
            }
        }
        for gap in gaps {
            let requirement = gap.requirement(now: now), onSystem = sourcesBySystem[gap.systemID] ?? []
            // The source that fell short is judged when it is still there; else whichever source of the type is best.
            let named = gap.sourceID.map { id in onSystem.filter { inventory.sources[$0].id == id } } ?? []
            jobs.append((RequirementBox(requirement), TypeGroups(requirement.logTypes, numbers: typeNumbers), ObservedGap.policyID,
                         Target(kind: .system, id: gap.systemID.rawValue, orgID: ownerOf[gap.systemID]!), named.isEmpty ? onSystem : named, gap))
        }
        var findings = jobs.map { job in
            var finding = evaluate(job.requirement, groups: job.groups, of: job.policyID, on: job.target, sources: inventory.sources,
                                   types: sourceTypes, indices: job.sources, now: now, access: access)
            if let gap = job.gap {
                finding.observedGapID = gap.id
                finding.observedIn = [gap.incidentReference]
            }
            return finding
        }
        markObserved(&findings, by: gaps)
        return findings
    }

    /// Marks the catalogue findings that are not met on a system and log type an open gap concerns with its incident.
    static func markObserved(_ findings: inout [Finding], by gaps: [ObservedGap]) {
        guard !gaps.isEmpty else { return }
        let bySystem = Dictionary(grouping: gaps, by: \.systemID.rawValue)
        for index in findings.indices where findings[index].observedGapID == nil && findings[index].status != .met && findings[index].target.kind == .system {
            guard let onSystem = bySystem[findings[index].target.id] else { continue }
            let types = findings[index].requirement.logTypes.types
            let incidents = Set(onSystem.filter { types.contains($0.logType) }.map(\.incidentReference))
            findings[index].observedIn = incidents.sorted()
        }
    }

    /// A requirement's log types as groups of which one source each must be found (one group for "any of", one
    /// per type for "all of"), by name and by number.
    struct TypeGroups: Sendable {
        var names: [[String]]
        var numbers: [[Int]]

        init(_ rule: LogTypeRule, numbers typeNumbers: [String: Int]) {
            names = switch rule {
            case .anyOf(let types): types.isEmpty ? [] : [types]
            case .allOf(let types): types.map { [$0] }
            }
            numbers = names.map { group in group.map { typeNumbers[$0] ?? -1 } }
        }
    }

    /// `indices` are the target's sources in `sources` (which is never copied, nor are its elements); `types`
    /// holds each source's log type by the numbers of `groups`.
    static func evaluate(_ box: RequirementBox, groups: TypeGroups, of policyID: String, on target: Target, sources: [LogSource],
                         types sourceTypes: [Int], indices: [Int], now: Date, access: AccessContext) -> Finding {
        let requirement = box.value
        var shortfalls: [Shortfall] = [], shortfallTypes: [String] = [], counted: [LogSourceID] = [], missingTypes: [String] = []
        for (group, types) in zip(groups.numbers, groups.names) {
            var best: (index: Int, shortfalls: [Shortfall], severity: Double)?
            for index in indices where group.contains(sourceTypes[index]) {
                let candidate = Self.shortfalls(of: sources[index], for: requirement, now: now, access: access)
                let severity = candidate.reduce(0) { $0 + $1.severity }
                if let current = best,
                   !isBetter((candidate.count, severity), sources[index], than: (current.shortfalls.count, current.severity), sources[current.index]) {
                    continue
                }
                best = (index, candidate, severity)
            }
            guard let best else {
                missingTypes += types
                continue
            }
            counted.append(sources[best.index].id)
            shortfalls += best.shortfalls
            shortfallTypes += Array(repeating: sources[best.index].logType, count: best.shortfalls.count)
        }
        if let rule = requirement.responsibleContact, target.kind == .system {
            let system = SystemID(target.id)
            let card = ResolvedActionCard(system: ProtectedSystem(id: system, name: target.id, ownerOrgID: target.orgID),
                                          systemCard: access.systemCards[system], defaults: access.orgCards[target.orgID])
            let uncovered = card.uncovered(types: rule.incidentTypes, severities: rule.severities)
            if !uncovered.isEmpty {
                shortfalls.append(.noResponsibleContact(cells: uncovered.map { "\($0.0.rawValue)/\($0.1.rawValue)" }))
                shortfallTypes.append("")
            }
        }
        let status: FindingStatus
        if counted.isEmpty, !groups.names.isEmpty {
            status = .missing
            shortfalls.insert(.logTypesMissing(missingTypes), at: 0)   // the rest can only be the action card's
            shortfallTypes.insert(missingTypes.joined(separator: "|"), at: 0)
        } else {
            if !missingTypes.isEmpty {
                shortfalls.append(.logTypesMissing(missingTypes))
                shortfallTypes.append(missingTypes.joined(separator: "|"))
            }
            status = shortfalls.isEmpty ? .met : .partial
        }
        return Finding(policyID: policyID, requirement: box, target: target, status: status, shortfalls: shortfalls,
                       sourceIDs: counted, shortfallLogTypes: shortfallTypes)
    }

    /// Fewer and smaller shortfalls first; ties broken by the source's key, for determinism (spelled out only for a tie).
    static func isBetter(_ rank: (Int, Double), _ source: LogSource, than other: (Int, Double), _ otherSource: LogSource) -> Bool {
        if rank != other { return rank < other }
        return source.key.description < otherSource.key.description
    }

    /// The standing agreements in force and the tags their scopes may name.
    public struct AccessContext: Sendable {
        /// The agreements, by the custodian organisation that gave them (a source is judged against its custodian's only).
        public var agreements: [OrgID: [RetrievalAgreement]]
        public var systemTags: [SystemID: [String]]
        /// The incident severity judged; nil: every severity a requirement bounds.
        public var severity: Priority?
        /// The latest probe heartbeat of each probed source.
        public var heartbeats: [LogSourceID: Heartbeat] = [:]
        /// When each source last passed a retrieval drill.
        public var lastDrilled: [LogSourceID: Date] = [:]
        /// Action cards: systems' own and organisations' defaults.
        public var systemCards: [SystemID: ActionCard] = [:]
        public var orgCards: [OrgID: ActionCard] = [:]

        public init(agreements: [RetrievalAgreement] = [], systemTags: [SystemID: [String]] = [:], severity: Priority? = nil) {
            self.agreements = Dictionary(grouping: agreements, by: \.custodianOrgID)
            self.systemTags = systemTags
            self.severity = severity
        }
    }

    /// How `source` falls short of `requirement`. Declared retention counts unless an attestation contradicts it.
    public static func shortfalls(of source: LogSource, for requirement: Requirement, now: Date,
                                  access: AccessContext = AccessContext()) -> [Shortfall] {
        let coverage = Coverage(of: source, now: now, maxAttestationAgeDays: requirement.maxAttestationAgeDays ?? Coverage.defaultMaxAttestationAgeDays)
        let isDrift = coverage.attestationStatus == .drift
        let covered = isDrift ? min(coverage.coveredDays, coverage.attestedDays ?? 0) : coverage.coveredDays
        var shortfalls: [Shortfall] = []
        // A retrieval limit for the last W days implies holding W days: the retention need is the larger of the two.
        // Without a window (nor a required retention) the limit covers everything the source holds.
        let statedWindow = requirement.retrievalWindowDays ?? requirement.minRetentionDays
        let window = statedWindow ?? covered
        let need = max(requirement.minRetentionDays ?? 0, requirement.maxRetrievalHours == nil ? 0 : statedWindow ?? 0)
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
            // The slowest tier that must be reached to get everything held up to `window` days old, and the access
            // procedure's lead time, which comes on top of any medium (as in the feasibility prediction).
            let reach = min(window, covered)
            let lead = source.accessProcedure?.leadTimeHours ?? 0
            if let slowest = coverage.retrievalWindows.filter({ $0.fromDays < reach }).max(by: { $0.hours < $1.hours }) {
                if slowest.hours > limit, slowest.hours >= lead {
                    shortfalls.append(.retrieval(hours: slowest.hours, limit: limit, medium: slowest.medium, windowDays: window))
                } else if lead > limit {
                    shortfalls.append(.accessLeadTime(hours: lead, limit: limit, approvals: source.accessProcedure?.approvals.count ?? 0))
                }
            }
        }
        for (severity, limit) in requirement.maxAccessHours.isEmpty ? [] : requirement.maxAccessHours.sorted(by: { $0.key > $1.key })
        where access.severity == nil || access.severity == severity {
            if let shortfall = accessShortfall(of: source, severity: severity, limit: limit, incidentTypes: requirement.incidentTypes,
                                               access: access, now: now) {
                shortfalls.append(shortfall)
            }
        }
        if let limit = requirement.drilledWithinDays {
            let days = access.lastDrilled[source.id].map { Int(now.timeIntervalSince($0) / 86_400) }
            if days.map({ $0 > limit }) ?? true { shortfalls.append(.notDrilled(daysAgo: days, limit: limit)) }
        }
        if let heartbeat = access.heartbeats[source.id], let hours = heartbeat.silence(now: now) {
            shortfalls.append(.silent(hours: hours, expectedHours: heartbeat.report.expectedIntervalHours))
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

extension GapAnalysis {
    /// Whether obtaining `source`'s logs in an incident of `severity` can take longer than `limit` hours. Fast
    /// enough when the CSIRT searches a searchable tier itself (delivery `search-access`), else when a standing
    /// agreement for that severity and the requirement's incident types promises it in time; else the declared
    /// lead time (the measured median once conclusive) decides.
    static func accessShortfall(of source: LogSource, severity: Priority, limit: Double, incidentTypes: [IncidentType],
                                access: AccessContext, now: Date) -> Shortfall? {
        let procedure = source.accessProcedure
        if procedure?.delivery == .searchAccess, source.retentionTiers.contains(where: \.isSearchable) { return nil }
        let promise = (access.agreements[source.custodianOrgID] ?? []).filter {
            $0.promises(source, systemTags: access.systemTags[source.systemID] ?? [], severity: severity, incidentTypes: incidentTypes, now: now)
        }.map(\.terms.promisedLeadHours).min()
        if let promise, promise <= limit { return nil }
        let declared: Double
        if let measured = source.measuredLeadTime, measured.isConclusive {
            declared = measured.medianHours
        } else {
            let lead = procedure?.leadTimeHours ?? 0
            declared = source.retentionTiers.map { max($0.effectiveRetrievalHours, lead) }.min() ?? lead
        }
        if promise == nil, declared <= limit { return nil }
        return .access(hours: promise ?? declared, limit: limit, severity: severity, approvals: procedure?.approvals.count ?? 0, agreementHours: promise)
    }

    /// The one path of every gap report — the server's, its readiness matrix and both of `logatlas gaps`: the
    /// selected policies evaluated on the inventory the caller may see, the findings narrowed to an organisation
    /// or a system when asked, and rolled up.
    public static func report(for policies: [Policy], in inventory: Inventory, org: OrgID? = nil, system: SystemID? = nil,
                              now: Date, agreements: [RetrievalAgreement] = [], severity: Priority? = nil, observed: [ObservedGap] = [],
                              heartbeats: [Heartbeat] = [], actionCards: [ActionCard] = [], lastDrilled: [LogSourceID: Date] = [:]) -> GapReport {
        var findings = self.findings(for: policies, in: inventory, now: now, agreements: agreements, severity: severity, observed: observed,
                                     heartbeats: heartbeats, actionCards: actionCards, lastDrilled: lastDrilled)
        if let org { findings.removeAll { $0.target.orgID != org } }
        if let system { findings.removeAll { !($0.target.kind == .system && $0.target.id == system.rawValue) } }
        return GapReport(findings: findings, inventory: inventory)
    }

    /// The policies named by `ids` from `catalogue`, or every current one when none is named; an unknown ID is a
    /// validation issue at `policy[index]` naming the closest known one.
    public static func select(_ ids: [String]?, from catalogue: [Policy]) throws -> [Policy] {
        guard let ids, !ids.isEmpty else { return catalogue.filter { $0.status == .current } }
        var issues: [ValidationIssue] = []
        let selected = ids.enumerated().compactMap { index, id -> Policy? in
            if let policy = catalogue.first(where: { $0.id == id }) { return policy }
            issues.append(ValidationIssue(path: "policy[\(index)]", message: Validation.unknownMessage("policy", id, catalogue.map(\.id))))
            return nil
        }
        if !issues.isEmpty { throw PolicyError.invalid(issues) }
        return selected
    }
}
