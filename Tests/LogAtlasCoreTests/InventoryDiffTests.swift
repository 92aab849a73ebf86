import LogAtlasCore
import Testing

@Suite("Inventory diff")
struct InventoryDiffTests {
    static let org = Organisation(id: OrgID("a"), name: "A", kind: .department)
    static let system = ProtectedSystem(id: SystemID("s"), name: "S", ownerOrgID: OrgID("a"))
    static func source(_ name: String, days: Int = 30) -> LogSource {
        LogSource(systemID: SystemID("s"), name: name, logType: "network.dns", custodianOrgID: OrgID("a"),
                  retentionTiers: [RetentionTier(medium: .siem, days: days, isSearchable: true)])
    }

    @Test func classifiesEveryObject() {
        let current = Inventory(orgs: [Self.org], systems: [Self.system], sources: [Self.source("dns"), Self.source("proxy"), Self.source("old")])
        var changedDNS = Self.source("dns", days: 90)
        changedDNS.version = 7
        let desired = Inventory(orgs: [Self.org], systems: [Self.system], sources: [changedDNS, Self.source("proxy"), Self.source("new")])
        let diff = InventoryDiff(from: current, to: desired, prune: true)
        #expect(diff.sources.created.map(\.name) == ["new"])
        #expect(diff.sources.updated.map(\.name) == ["dns"])
        #expect(diff.sources.unchanged.map(\.name) == ["proxy"])
        #expect(diff.sources.deleted.map(\.name) == ["old"])
        #expect(diff.orgs.unchanged == [OrgID("a")] && diff.orgs.created.isEmpty)
        // An updated source keeps the identity it has in the database.
        #expect(diff.sourcesToWrite.first { $0.name == "dns" }?.id == current.sources[0].id)
        #expect(diff.sourceIDsToDelete(in: current) == [current.sources[2].id])
    }

    @Test func withoutPruneNothingIsDeleted() {
        let current = Inventory(orgs: [Self.org], systems: [Self.system], sources: [Self.source("old")])
        let diff = InventoryDiff(from: current, to: Inventory(orgs: [Self.org], systems: [Self.system]), prune: false)
        #expect(diff.isEmpty)
        #expect(diff.sources.deleted.isEmpty)
    }

    @Test func applyingTheSameTwiceIsEmpty() {
        let inventory = Inventory(orgs: [Self.org], systems: [Self.system], sources: [Self.source("dns")])
        #expect(InventoryDiff(from: inventory, to: inventory, prune: true).isEmpty)
    }
}
