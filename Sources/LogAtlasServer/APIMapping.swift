import Foundation
import LogAtlasCore

/// Conversions between the generated OpenAPI types and the core domain.
enum APIMapping {
    static func etag(_ version: Int) -> String { "\"\(version)\"" }

    /// The version an `If-Match` header names; `nil` for none or `*`.
    static func version(ifMatch: String?) throws -> Int? {
        guard let raw = ifMatch?.trimmingCharacters(in: .whitespaces), !raw.isEmpty, raw != "*" else { return nil }
        let stripped = raw.replacingOccurrences(of: "W/", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard let version = Int(stripped) else {
            throw Problem(status: 412, title: "Precondition Failed", detail: "If-Match \(raw) is not an ETag this server issued")
        }
        return version
    }

    /// The page a list asks for; a `limit` outside 1–500 is refused (400), not quietly capped.
    static func page(after cursor: String?, limit: Int?) throws -> PageRequest {
        if let limit, !(1...PageRequest.maxLimit).contains(limit) {
            throw Problem(status: 400, title: "Bad Request", detail: "query parameter limit: must be between 1 and \(PageRequest.maxLimit), got \(limit)",
                          errors: [.init(path: "query.limit", message: "between 1 and \(PageRequest.maxLimit)")])
        }
        return PageRequest(after: cursor, limit: limit)
    }

    static func sourceID(_ raw: String) throws -> LogSourceID {
        guard let uuid = UUID(uuidString: raw) else { throw InputError.unknownID(kind: "source", id: raw) }
        return LogSourceID(uuid)
    }

    // MARK: Organisations

    static func org(_ org: Organisation) -> Components.Schemas.Organisation {
        .init(id: org.id.rawValue, name: org.name, kind: .init(rawValue: org.kind.rawValue)!, parent: org.parentID?.rawValue,
              contacts: org.contacts, escalationContact: org.escalationContact, version: org.version)
    }

    static func org(_ input: Components.Schemas.OrganisationInput) -> Organisation {
        Organisation(id: OrgID(input.id), name: input.name, kind: OrgKind(rawValue: input.kind.rawValue)!,
                     parentID: input.parent.map { OrgID($0) }, contacts: input.contacts ?? [], escalationContact: input.escalationContact)
    }

    static func apply(_ patch: Components.Schemas.OrganisationPatch, to org: inout Organisation) {
        if let name = patch.name { org.name = name }
        if let kind = patch.kind { org.kind = OrgKind(rawValue: kind.rawValue)! }
        if let parent = patch.parent { org.parentID = parent.isEmpty ? nil : OrgID(parent) }
        if let contacts = patch.contacts { org.contacts = contacts }
        if let contact = patch.escalationContact { org.escalationContact = contact.isEmpty ? nil : contact }
    }

    // MARK: Systems

    static func system(_ system: ProtectedSystem) -> Components.Schemas.System {
        .init(id: system.id.rawValue, name: system.name, ownerOrg: system.ownerOrgID.rawValue,
              criticality: .init(rawValue: system.criticality.rawValue)!, internetFacing: system.isInternetFacing,
              tags: system.tags, description: system.description, version: system.version)
    }

    static func system(_ input: Components.Schemas.SystemInput) -> ProtectedSystem {
        ProtectedSystem(id: SystemID(input.id), name: input.name, ownerOrgID: OrgID(input.ownerOrg),
                        criticality: input.criticality.flatMap { Criticality(rawValue: $0.rawValue) } ?? .medium,
                        isInternetFacing: input.internetFacing ?? false, tags: input.tags ?? [], description: input.description)
    }

    static func apply(_ patch: Components.Schemas.SystemPatch, to system: inout ProtectedSystem) {
        if let name = patch.name { system.name = name }
        if let owner = patch.ownerOrg { system.ownerOrgID = OrgID(owner) }
        if let criticality = patch.criticality { system.criticality = Criticality(rawValue: criticality.rawValue)! }
        if let internetFacing = patch.internetFacing { system.isInternetFacing = internetFacing }
        if let tags = patch.tags { system.tags = tags }
        if let description = patch.description { system.description = description.isEmpty ? nil : description }
    }

    // MARK: Sources

    static func source(_ source: LogSource, now: Date) -> Components.Schemas.LogSource {
        let coverage = Coverage(of: source, now: now)
        return .init(
            id: source.id.description, system: source.systemID.rawValue, name: source.name, logType: source.logType,
            product: source.product, format: source.format, custodianOrg: source.custodianOrgID.rawValue,
            retentionTiers: source.retentionTiers.map(tier), accessProcedure: source.accessProcedure.map(access),
            fields: source.fields, clock: .init(ntpSynced: source.clock.isNTPSynced, timezone: source.clock.timezone),
            volumeGbPerDay: source.volumeGBPerDay, notes: source.notes, version: source.version,
            coveredDays: coverage.coveredDays, searchableDays: coverage.searchableDays,
            fastestRetrievalHours: coverage.retrievalWindows.map {
                .init(fromDays: $0.fromDays, toDays: $0.toDays, hours: $0.hours, medium: $0.medium.rawValue)
            },
            attestationStatus: .init(rawValue: coverage.attestationStatus.rawValue)!, attestedDays: coverage.attestedDays,
            latestAttestation: source.latestAttestation.map(attestation),
            measuredLeadTimeHours: source.measuredLeadTime?.medianHours, measuredLeadTimeP90Hours: source.measuredLeadTime?.p90Hours,
            measuredLeadTimeSamples: source.measuredLeadTime?.samples)
    }

    static func tier(_ tier: RetentionTier) -> Components.Schemas.RetentionTier {
        .init(medium: tier.medium.rawValue, days: tier.days, searchable: tier.isSearchable, retrievalHours: tier.retrievalHours)
    }

    static func access(_ access: AccessProcedure) -> Components.Schemas.AccessProcedure {
        .init(contact: access.contact, approvals: access.approvals, steps: access.steps, leadTimeHours: access.leadTimeHours,
              delivery: access.delivery.flatMap { .init(rawValue: $0.rawValue) })
    }

    static func attestation(_ attestation: Attestation) -> Components.Schemas.Attestation {
        .init(oldestRecordAt: attestation.oldestRecordAt, checkedAt: attestation.checkedAt, checkedBy: attestation.checkedBy, method: attestation.method)
    }

    static func attestation(_ input: Components.Schemas.Attestation) -> Attestation {
        Attestation(oldestRecordAt: input.oldestRecordAt, checkedAt: input.checkedAt, checkedBy: input.checkedBy, method: input.method)
    }

    /// A source from the API; every problem is reported at once (a bad medium does not hide a bad log type).
    static func source(_ input: Components.Schemas.LogSourceInput) throws -> LogSource {
        let (tiers, tierIssues) = readTiers(input.retentionTiers ?? [])
        let source = LogSource(systemID: SystemID(input.system), name: input.name, logType: input.logType, product: input.product,
                               format: input.format, custodianOrgID: OrgID(input.custodianOrg),
                               retentionTiers: tiers, accessProcedure: input.accessProcedure.map(access),
                               fields: input.fields ?? [], clock: Clock(isNTPSynced: input.clock?.ntpSynced ?? false, timezone: input.clock?.timezone),
                               volumeGBPerDay: input.volumeGbPerDay, notes: input.notes)
        if !tierIssues.isEmpty { throw InventoryError.invalid(Validation.issues(in: source) + tierIssues) }
        return source
    }

    static func apply(_ patch: Components.Schemas.LogSourcePatch, to source: inout LogSource) throws {
        if let system = patch.system { source.systemID = SystemID(system) }
        if let name = patch.name { source.name = name }
        if let logType = patch.logType { source.logType = logType }
        if let product = patch.product { source.product = product.isEmpty ? nil : product }
        if let format = patch.format { source.format = format.isEmpty ? nil : format }
        if let custodian = patch.custodianOrg { source.custodianOrgID = OrgID(custodian) }
        if let tiers = patch.retentionTiers { source.retentionTiers = try self.tiers(tiers) }
        if let access = patch.accessProcedure { source.accessProcedure = self.access(access) }
        if let fields = patch.fields { source.fields = fields }
        if let clock = patch.clock {
            source.clock = Clock(isNTPSynced: clock.ntpSynced ?? source.clock.isNTPSynced, timezone: clock.timezone ?? source.clock.timezone)
        }
        if let volume = patch.volumeGbPerDay { source.volumeGBPerDay = volume }
        if let notes = patch.notes { source.notes = notes.isEmpty ? nil : notes }
    }

    static func access(_ input: Components.Schemas.AccessProcedure) -> AccessProcedure {
        AccessProcedure(contact: input.contact, approvals: input.approvals ?? [], steps: input.steps, leadTimeHours: input.leadTimeHours,
                        delivery: input.delivery.flatMap { DeliveryMethod(rawValue: $0.rawValue) })
    }

    /// Tiers from the API, naming the closest valid medium for a mistyped one.
    static func tiers(_ inputs: [Components.Schemas.RetentionTier]) throws -> [RetentionTier] {
        let (tiers, issues) = readTiers(inputs)
        if !issues.isEmpty { throw InventoryError.invalid(issues) }
        return tiers
    }

    /// The readable tiers and an issue for each unreadable one.
    static func readTiers(_ inputs: [Components.Schemas.RetentionTier]) -> ([RetentionTier], [ValidationIssue]) {
        var issues: [ValidationIssue] = []
        let tiers = inputs.enumerated().compactMap { index, input -> RetentionTier? in
            switch Validation.medium(input.medium, path: "retention_tiers[\(index)].medium") {
            case .failure(let issue):
                issues.append(issue)
                return nil
            case .success(let medium):
                return RetentionTier(medium: medium, days: input.days, isSearchable: input.searchable ?? medium.isSearchableByDefault,
                                     retrievalHours: input.retrievalHours)
            }
        }
        return (tiers, issues)
    }

    // MARK: Diff

    static func changes<Key>(_ changes: InventoryDiff.Changes<Key>) -> Components.Schemas.Changes {
        .init(created: changes.created.map { "\($0)" }, updated: changes.updated.map { "\($0)" },
              unchanged: changes.unchanged.count, deleted: changes.deleted.map { "\($0)" })
    }
}
