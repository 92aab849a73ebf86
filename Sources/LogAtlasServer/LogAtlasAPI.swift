import Foundation
import LogAtlasCore
import LogAtlasFormats
import OpenAPIRuntime

/// The handlers of `openapi.yaml`: thin translations between HTTP and the repositories.
struct LogAtlasAPI: APIProtocol {
    let inventory: any InventoryRepository
    /// The requirement catalogues from the binary and the configured folder; uploaded ones come from `policyStore`.
    let builtInPolicies: [(policy: Policy, origin: String)]
    let policyStore: any PolicyRepository
    let gapReports: any GapReportRepository
    let requests: any RequestRepository
    let artifactStore: any ArtifactStore
    let broker: BrokerSettings
    let webhooks: any WebhookRepository
    let agreements: any AgreementRepository
    let observedGaps: any ObservedGapRepository
    let heartbeats: any HeartbeatRepository
    let actionCards: any ActionCardRepository
    let drills: any DrillRepository
    let guestLinks: GuestLinkIssuer
    /// Whether the database is reachable and migrated.
    let readiness: @Sendable () async -> Bool
    let clock: @Sendable () -> Date

    /// Where uploads go, the same for the console.
    var evidence: EvidenceIntake {
        EvidenceIntake(requests: requests, artifactStore: artifactStore, maxBytes: broker.maxArtifactBytes, clock: clock)
    }

    func health(_ input: Operations.Health.Input) async throws -> Operations.Health.Output {
        .ok(.init(body: .json(.init(status: "up"))))
    }

    func ready(_ input: Operations.Ready.Input) async throws -> Operations.Ready.Output {
        await readiness() ? .ok(.init(body: .json(.init(status: "ready"))))
            : .serviceUnavailable(.init(body: .json(.init(status: "not ready", detail: "database unreachable or not migrated"))))
    }

    func me(_ input: Operations.Me.Input) async throws -> Operations.Me.Output {
        let caller = try RequestPrincipal.required()
        return .ok(.init(body: .json(.init(name: caller.name, role: .init(rawValue: caller.role.rawValue)!,
                                           orgs: caller.orgIDs.map(\.rawValue).sorted()))))
    }

    func taxonomy(_ input: Operations.Taxonomy.Input) async throws -> Operations.Taxonomy.Output {
        let logTypes = Taxonomy.logTypes.map { type in
            Components.Schemas.Taxonomy.LogTypesPayloadPayload(
                code: type.code, title: type.title, attackDataComponents: type.attackDataComponents,
                attackDataSources: type.attackDataSources,
                sigma: type.sigma.map { .init(product: $0.product, service: $0.service, category: $0.category) })
        }
        let media = StorageMedium.allCases.map {
            Components.Schemas.Taxonomy.MediaPayloadPayload(code: $0.rawValue, defaultRetrievalHours: $0.defaultRetrievalHours,
                                                            searchableByDefault: $0.isSearchableByDefault, basis: $0.defaultBasis)
        }
        return .ok(.init(body: .json(.init(attackVersion: Taxonomy.attackVersion, sigmaVersion: Taxonomy.sigmaVersion,
                                           logTypes: logTypes, media: media))))
    }

    // MARK: Organisations

    func listOrgs(_ input: Operations.ListOrgs.Input) async throws -> Operations.ListOrgs.Output {
        let page = try await inventory.orgs(as: try RequestPrincipal.required(), page: try APIMapping.page(after: input.query.cursor, limit: input.query.limit))
        return .ok(.init(body: .json(.init(items: page.items.map(APIMapping.org), nextCursor: page.nextCursor, total: page.total))))
    }

    func createOrg(_ input: Operations.CreateOrg.Input) async throws -> Operations.CreateOrg.Output {
        let body = switch input.body { case .json(let body): body }
        let org = try await inventory.create(APIMapping.org(body), as: try RequestPrincipal.required())
        return .created(.init(headers: .init(eTag: APIMapping.etag(org.version)), body: .json(APIMapping.org(org))))
    }

    func getOrg(_ input: Operations.GetOrg.Input) async throws -> Operations.GetOrg.Output {
        let org = try await inventory.org(OrgID(input.path.orgId), as: try RequestPrincipal.required())
        return .ok(.init(headers: .init(eTag: APIMapping.etag(org.version)), body: .json(APIMapping.org(org))))
    }

    func updateOrg(_ input: Operations.UpdateOrg.Input) async throws -> Operations.UpdateOrg.Output {
        let patch = switch input.body { case .json(let patch): patch }
        let caller = try RequestPrincipal.required()
        try requireEditor(caller)
        let org = try await inventory.updateOrg(OrgID(input.path.orgId), ifVersion: try APIMapping.version(ifMatch: input.headers.ifMatch),
                                                as: caller) { APIMapping.apply(patch, to: &$0) }
        return .ok(.init(headers: .init(eTag: APIMapping.etag(org.version)), body: .json(APIMapping.org(org))))
    }

    func deleteOrg(_ input: Operations.DeleteOrg.Input) async throws -> Operations.DeleteOrg.Output {
        let caller = try RequestPrincipal.required()
        try requireEditor(caller)
        try await inventory.deleteOrg(OrgID(input.path.orgId), ifVersion: try APIMapping.version(ifMatch: input.headers.ifMatch), as: caller)
        return .noContent(.init())
    }

    // MARK: Systems

    func listSystems(_ input: Operations.ListSystems.Input) async throws -> Operations.ListSystems.Output {
        let filter = SystemFilter(org: input.query.org.map { OrgID($0) }, text: input.query.q)
        let page = try await inventory.systems(matching: filter, as: try RequestPrincipal.required(),
                                               page: try APIMapping.page(after: input.query.cursor, limit: input.query.limit))
        return .ok(.init(body: .json(.init(items: page.items.map(APIMapping.system), nextCursor: page.nextCursor, total: page.total))))
    }

    func createSystem(_ input: Operations.CreateSystem.Input) async throws -> Operations.CreateSystem.Output {
        let body = switch input.body { case .json(let body): body }
        let caller = try RequestPrincipal.required()
        try requireEditor(caller)
        let system = try await inventory.create(APIMapping.system(body), as: caller)
        return .created(.init(headers: .init(eTag: APIMapping.etag(system.version)), body: .json(APIMapping.system(system))))
    }

    func getSystem(_ input: Operations.GetSystem.Input) async throws -> Operations.GetSystem.Output {
        let system = try await inventory.system(SystemID(input.path.systemId), as: try RequestPrincipal.required())
        return .ok(.init(headers: .init(eTag: APIMapping.etag(system.version)), body: .json(APIMapping.system(system))))
    }

    func updateSystem(_ input: Operations.UpdateSystem.Input) async throws -> Operations.UpdateSystem.Output {
        let patch = switch input.body { case .json(let patch): patch }
        let caller = try RequestPrincipal.required()
        try requireEditor(caller)
        let system = try await inventory.updateSystem(SystemID(input.path.systemId), ifVersion: try APIMapping.version(ifMatch: input.headers.ifMatch),
                                                      as: caller) { APIMapping.apply(patch, to: &$0) }
        return .ok(.init(headers: .init(eTag: APIMapping.etag(system.version)), body: .json(APIMapping.system(system))))
    }

    func deleteSystem(_ input: Operations.DeleteSystem.Input) async throws -> Operations.DeleteSystem.Output {
        let caller = try RequestPrincipal.required()
        try requireEditor(caller)
        try await inventory.deleteSystem(SystemID(input.path.systemId), ifVersion: try APIMapping.version(ifMatch: input.headers.ifMatch), as: caller)
        return .noContent(.init())
    }

    // MARK: Sources

    func listSources(_ input: Operations.ListSources.Input) async throws -> Operations.ListSources.Output {
        var medium: StorageMedium?
        if let raw = input.query.medium {
            medium = try Validation.medium(raw, path: "medium").mapError { InventoryError.invalid([$0]) }.get()
        }
        let filter = SourceFilter(org: input.query.org.map { OrgID($0) }, system: input.query.system.map { SystemID($0) },
                                  logType: input.query.logType, medium: medium, text: input.query.q)
        let page = try await inventory.sources(matching: filter, as: try RequestPrincipal.required(),
                                               page: try APIMapping.page(after: input.query.cursor, limit: input.query.limit))
        let now = clock()
        return .ok(.init(body: .json(.init(items: page.items.map { APIMapping.source($0, now: now) }, nextCursor: page.nextCursor, total: page.total))))
    }

    func createSource(_ input: Operations.CreateSource.Input) async throws -> Operations.CreateSource.Output {
        let body = switch input.body { case .json(let body): body }
        let caller = try RequestPrincipal.required()
        try requireEditor(caller)
        let source = try await inventory.create(try APIMapping.source(body), as: caller)
        return .created(.init(headers: .init(eTag: APIMapping.etag(source.version)), body: .json(APIMapping.source(source, now: clock()))))
    }

    func getSource(_ input: Operations.GetSource.Input) async throws -> Operations.GetSource.Output {
        let source = try await inventory.source(try APIMapping.sourceID(input.path.sourceId), as: try RequestPrincipal.required())
        return .ok(.init(headers: .init(eTag: APIMapping.etag(source.version)), body: .json(APIMapping.source(source, now: clock()))))
    }

    func updateSource(_ input: Operations.UpdateSource.Input) async throws -> Operations.UpdateSource.Output {
        let patch = switch input.body { case .json(let patch): patch }
        let caller = try RequestPrincipal.required()
        try requireEditor(caller)
        let source = try await inventory.updateSource(try APIMapping.sourceID(input.path.sourceId),
                                                      ifVersion: try APIMapping.version(ifMatch: input.headers.ifMatch),
                                                      as: caller) { try APIMapping.apply(patch, to: &$0) }
        return .ok(.init(headers: .init(eTag: APIMapping.etag(source.version)), body: .json(APIMapping.source(source, now: clock()))))
    }

    func deleteSource(_ input: Operations.DeleteSource.Input) async throws -> Operations.DeleteSource.Output {
        let caller = try RequestPrincipal.required()
        try requireEditor(caller)
        try await inventory.deleteSource(try APIMapping.sourceID(input.path.sourceId),
                                         ifVersion: try APIMapping.version(ifMatch: input.headers.ifMatch), as: caller)
        return .noContent(.init())
    }

    func attestSource(_ input: Operations.AttestSource.Input) async throws -> Operations.AttestSource.Output {
        let body = switch input.body { case .json(let body): body }
        let caller = try RequestPrincipal.required()
        try requireEditor(caller)
        let source = try await inventory.attest(APIMapping.attestation(body), to: try APIMapping.sourceID(input.path.sourceId), as: caller)
        return .created(.init(headers: .init(eTag: APIMapping.etag(source.version)), body: .json(APIMapping.source(source, now: clock()))))
    }

    // MARK: Inventory as code

    func applyInventory(_ input: Operations.ApplyInventory.Input) async throws -> Operations.ApplyInventory.Output {
        let caller = try RequestPrincipal.required()
        try requireEditor(caller)
        let desired: Inventory, scope: ApplyScope
        switch input.body {
        case .yaml(let body):
            desired = try InventoryYAML.decode(try await Data(collecting: body, upTo: .max), file: "request body")
            scope = .everything
        case .csv(let body):
            let text = try FormatError.text(of: try await Data(collecting: body, upTo: .max), file: "request body")
            desired = Inventory(sources: try SourcesCSV.decode(text, file: "request body"))
            scope = .sourcesOnly
        }
        let dryRun = input.query.dryRun ?? false
        let diff = try await inventory.apply(desired, scope: scope, prune: input.query.prune ?? false, dryRun: dryRun, as: caller)
        return .ok(.init(body: .json(.init(dryRun: dryRun, orgs: APIMapping.changes(diff.orgs), systems: APIMapping.changes(diff.systems),
                                           sources: APIMapping.changes(diff.sources), actionCards: APIMapping.changes(diff.actionCards)))))
    }

    func exportInventory(_ input: Operations.ExportInventory.Input) async throws -> Operations.ExportInventory.Output {
        let exported = try await inventory.export(as: try RequestPrincipal.required())
        switch input.query.format ?? .yaml {
        case .yaml: return .ok(.init(body: .yaml(HTTPBody(InventoryYAML.encode(exported)))))
        case .csv: return .ok(.init(body: .csv(HTTPBody(SourcesCSV.encode(exported.sources)))))
        }
    }

    /// csirt and auditor read the inventory and change nothing: 403 before anything is looked up.
    private func requireEditor(_ caller: Principal) throws {
        guard caller.mayEditInventory else {
            throw InventoryError.forbidden("the \(caller.role.rawValue) role reads the inventory but does not change it")
        }
    }
}
