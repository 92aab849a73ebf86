import Foundation

/// Persistence of the inventory, scoped to the caller. Implementations enforce visibility: an object the
/// caller may not see is reported as `InventoryError.notFound`, exactly like one that does not exist.
public protocol InventoryRepository: Sendable {
    func orgs(as caller: Principal, page: PageRequest) async throws -> Page<Organisation>
    func org(_ id: OrgID, as caller: Principal) async throws -> Organisation
    func create(_ org: Organisation, as caller: Principal) async throws -> Organisation
    func updateOrg(_ id: OrgID, ifVersion: Int?, as caller: Principal,
                   _ change: @Sendable (inout Organisation) throws -> Void) async throws -> Organisation
    func deleteOrg(_ id: OrgID, ifVersion: Int?, as caller: Principal) async throws

    func systems(matching filter: SystemFilter, as caller: Principal, page: PageRequest) async throws -> Page<ProtectedSystem>
    func system(_ id: SystemID, as caller: Principal) async throws -> ProtectedSystem
    func create(_ system: ProtectedSystem, as caller: Principal) async throws -> ProtectedSystem
    func updateSystem(_ id: SystemID, ifVersion: Int?, as caller: Principal,
                      _ change: @Sendable (inout ProtectedSystem) throws -> Void) async throws -> ProtectedSystem
    func deleteSystem(_ id: SystemID, ifVersion: Int?, as caller: Principal) async throws

    func sources(matching filter: SourceFilter, as caller: Principal, page: PageRequest) async throws -> Page<LogSource>
    func source(_ id: LogSourceID, as caller: Principal) async throws -> LogSource
    func create(_ source: LogSource, as caller: Principal) async throws -> LogSource
    func updateSource(_ id: LogSourceID, ifVersion: Int?, as caller: Principal,
                      _ change: @Sendable (inout LogSource) throws -> Void) async throws -> LogSource
    func deleteSource(_ id: LogSourceID, ifVersion: Int?, as caller: Principal) async throws
    func attest(_ attestation: Attestation, to id: LogSourceID, as caller: Principal) async throws -> LogSource

    /// Brings the caller's visible inventory to `desired` in one transaction (or only computes the diff).
    @discardableResult
    func apply(_ desired: Inventory, scope: ApplyScope, prune: Bool, dryRun: Bool, as caller: Principal) async throws -> InventoryDiff
    /// Everything the caller may see.
    func export(as caller: Principal) async throws -> Inventory
}

/// What an applied document speaks for.
public enum ApplyScope: Sendable {
    /// Organisations, systems and sources (a YAML inventory).
    case everything
    /// Sources only; organisations and systems stay as they are (a CSV of sources).
    case sourcesOnly
}
