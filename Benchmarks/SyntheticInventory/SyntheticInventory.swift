import Foundation
import LogAtlasCore

/// A deterministic synthetic inventory for benchmarks: one organisation per 100 sources, one system per
/// 10 sources, every source with realistic tiers, fields and access procedures.
public enum SyntheticInventory {
    /// An inventory of `sourceCount` sources.
    public static func make(sources sourceCount: Int) -> Inventory {
        let orgCount = max(1, sourceCount / 100), systemCount = max(1, sourceCount / 10)
        let kinds: [OrgKind] = [.department, .subsidiary, .vendor]
        let orgs = (0..<orgCount).map { index in
            Organisation(id: OrgID(String(format: "org-%05d", index)), name: "Organisation \(index)", kind: kinds[index % kinds.count],
                         contacts: ["soc@org\(index).example"])
        }
        let systems = (0..<systemCount).map { index in
            ProtectedSystem(id: SystemID(String(format: "sys-%06d", index)), name: "System \(index)", ownerOrgID: orgs[index % orgCount].id,
                            criticality: Criticality.allCases[index % 4], isInternetFacing: index % 5 == 0, tags: ["synthetic"])
        }
        let types = Taxonomy.logTypeCodes
        let tierSets: [[RetentionTier]] = [
            [RetentionTier(medium: .siem, days: 90, isSearchable: true, retrievalHours: 1), RetentionTier(medium: .nas, days: 365, isSearchable: false)],
            [RetentionTier(medium: .deviceLocal, days: 7, isSearchable: false)],
            [RetentionTier(medium: .logServer, days: 30, isSearchable: true), RetentionTier(medium: .tape, days: 2555, isSearchable: false, retrievalHours: 120)],
            [RetentionTier(medium: .vendorPortal, days: 180, isSearchable: true, retrievalHours: 48)],
        ]
        let sources = (0..<sourceCount).map { index in
            let system = systems[index % systemCount]
            // A quarter of the sources are held by another organisation than the system's owner.
            let custodian = index % 4 == 3 ? orgs[(index / 10 + 1) % orgCount].id : system.ownerOrgID
            return LogSource(systemID: system.id, name: "source-\(index)", logType: types[index % types.count],
                             product: "Product \(index % 17)", custodianOrgID: custodian, retentionTiers: tierSets[index % tierSets.count],
                             accessProcedure: AccessProcedure(contact: "ops@org.example", approvals: index % 3 == 0 ? ["privacy-officer"] : [],
                                                              leadTimeHours: Double(index % 5) * 24, delivery: .fileExport),
                             fields: ["time", "src_ip", "user"], clock: Clock(isNTPSynced: index % 7 != 0, timezone: "UTC"),
                             volumeGBPerDay: Double(index % 50) / 10)
        }
        return Inventory(orgs: orgs, systems: systems, sources: sources)
    }
}
