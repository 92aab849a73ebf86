import Foundation
import LogAtlasCore

/// A small two-organisation inventory and the principals that act on it.
public enum Fixtures {
    public static let deptA = OrgID("dept-a")
    public static let vendorB = OrgID("vendor-b")
    public static let csirtOrg = OrgID("csirt")

    public static let admin = Principal(userID: UserID(), name: "ada", role: .admin, orgIDs: [])
    public static let csirt = Principal(userID: UserID(), name: "cyd", role: .csirt, orgIDs: [csirtOrg])
    public static let auditor = Principal(userID: UserID(), name: "aud", role: .auditor, orgIDs: [])
    public static let custodianA = Principal(userID: UserID(), name: "cus-a", role: .custodian, orgIDs: [deptA])
    public static let custodianB = Principal(userID: UserID(), name: "cus-b", role: .custodian, orgIDs: [vendorB])

    public static func firewall(on system: SystemID = SystemID("corp-net"), custodian: OrgID = deptA, name: String = "firewall") -> LogSource {
        LogSource(systemID: system, name: name, logType: "network.firewall", product: "FortiGate", custodianOrgID: custodian,
                  retentionTiers: [RetentionTier(medium: .siem, days: 90, isSearchable: true, retrievalHours: 1),
                                   RetentionTier(medium: .nas, days: 365, isSearchable: false)],
                  accessProcedure: AccessProcedure(contact: "netops@a.example", approvals: ["privacy-officer"], leadTimeHours: 24, delivery: .fileExport),
                  fields: ["time", "src_ip", "dst_ip", "action"], clock: Clock(isNTPSynced: true, timezone: "UTC"),
                  volumeGBPerDay: 2.5, notes: "perimeter cluster")
    }

    /// dept-a owns corp-net (firewall, proxy); vendor-b owns vendor-dc (auth log); csirt exists.
    public static func inventory() -> Inventory {
        Inventory(
            orgs: [Organisation(id: csirtOrg, name: "Group CSIRT", kind: .csirt),
                   Organisation(id: deptA, name: "Department A", kind: .department, contacts: ["it@a.example"]),
                   Organisation(id: vendorB, name: "Vendor B", kind: .vendor, parentID: nil, escalationContact: "duty@b.example")],
            systems: [ProtectedSystem(id: SystemID("corp-net"), name: "Corporate network", ownerOrgID: deptA, criticality: .high, tags: ["network"]),
                      ProtectedSystem(id: SystemID("vendor-dc"), name: "Vendor data centre", ownerOrgID: vendorB, criticality: .critical, isInternetFacing: true)],
            sources: [firewall(),
                      LogSource(systemID: SystemID("corp-net"), name: "proxy", logType: "network.proxy", custodianOrgID: deptA,
                                retentionTiers: [RetentionTier(medium: .siem, days: 30, isSearchable: true)]),
                      LogSource(systemID: SystemID("vendor-dc"), name: "auth", logType: "host.linux-auth", custodianOrgID: vendorB,
                                retentionTiers: [RetentionTier(medium: .deviceLocal, days: 7, isSearchable: false),
                                                 RetentionTier(medium: .tape, days: 2555, isSearchable: false)],
                                notes: "secret vendor notes")])
    }
}
