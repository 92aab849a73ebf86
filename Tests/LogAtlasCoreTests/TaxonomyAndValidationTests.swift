import Foundation
import LogAtlasCore
import SyntheticInventory
import Testing

@Suite("Taxonomy")
struct TaxonomyTests {
    @Test func aboutThirtyStableDottedCodes() {
        let codes = Taxonomy.logTypeCodes
        #expect(codes.count >= 30)
        #expect(Set(codes).count == codes.count)
        for code in codes { #expect(code.range(of: #"^[a-z]+\.[a-z0-9-]+$"#, options: .regularExpression) != nil, "\(code)") }
        let families = Set(Taxonomy.logTypes.map(\.family))
        #expect(families == ["network", "host", "identity", "web", "mail", "database", "cloud", "app"])
    }

    @Test func everyTypeMapsToAttackAndSigma() {
        for type in Taxonomy.logTypes {
            #expect(!type.attackDataComponents.isEmpty, "\(type.code)")
            #expect(type.attackDataSources.allSatisfy { $0.hasPrefix("DS00") }, "\(type.code)")
            #expect(!type.sigma.isEmpty, "\(type.code)")
        }
        #expect(Taxonomy.logType("host.windows-security")?.sigma.first == SigmaLogsource(product: "windows", service: "security"))
        #expect(Taxonomy.logType("network.nonsense") == nil)
    }

    @Test("closest codes for a typo", arguments: [
        ("network.firewal", "network.firewall"), ("proxy", "network.proxy"), ("host.windows-sec", "host.windows-security"),
        ("web.acess", "web.access"),
    ])
    func suggestions(_ typo: String, _ expected: String) {
        #expect(Suggestions.closest(to: typo, among: Taxonomy.logTypeCodes).first == expected)
    }

    @Test func mediaHaveDocumentedDefaults() {
        #expect(StorageMedium.allCases.count == 8)
        #expect(StorageMedium.objectArchive.defaultRetrievalHours == 12)
        #expect(StorageMedium.tape.defaultRetrievalHours == 120)
        for medium in StorageMedium.allCases { #expect(!medium.defaultBasis.isEmpty) }
    }
}

@Suite("Validation rules")
struct ValidationTests {
    static func source(days: Int = 90, logType: String = "network.dns", fields: [String] = ["time"], name: String = "dns") -> LogSource {
        LogSource(systemID: SystemID("corp-net"), name: name, logType: logType, custodianOrgID: OrgID("it"),
                  retentionTiers: [RetentionTier(medium: .siem, days: days, isSearchable: true)], fields: fields)
    }

    @Test("source issues", arguments: [
        (source(), [String]()),
        (source(days: -5), ["retention_tiers[0].days"]),
        (source(days: 40_000), ["retention_tiers[0].days"]),
        (source(logType: "network.dnss"), ["log_type"]),
        (source(fields: ["Client IP"]), ["fields[0]"]),
        (source(name: " "), ["name"]),
        (source(days: 0, logType: "x"), ["log_type", "retention_tiers[0].days"]),
    ])
    func sourceIssues(_ source: LogSource, _ paths: [String]) {
        #expect(Validation.issues(in: source).map(\.path).sorted() == paths.sorted())
    }

    @Test func unknownLogTypeNamesTheClosestCodes() {
        let issue = Validation.issues(in: Self.source(logType: "network.dnss")).first
        #expect(issue?.message == "unknown log type 'network.dnss'; did you mean 'network.dns'?")
    }

    @Test("slugs", arguments: [("it-dept", true), ("a", true), ("It-Dept", false), ("-x", false), ("with space", false), ("", false)])
    func slugs(_ value: String, _ valid: Bool) {
        #expect(Slug.isValid(value) == valid)
    }

    @Test func inventoryReferencesAndDuplicates() {
        let inventory = Inventory(
            orgs: [Organisation(id: OrgID("a"), name: "A", kind: .department), Organisation(id: OrgID("a"), name: "A again", kind: .vendor)],
            systems: [ProtectedSystem(id: SystemID("s"), name: "S", ownerOrgID: OrgID("missing"))],
            sources: [Self.source(), Self.source()])
        let paths = inventory.issues().map(\.path)
        #expect(paths.contains("orgs[1].id"))
        #expect(paths.contains("systems[0].owner_org"))
        #expect(paths.contains("sources[1].name"))
        #expect(paths.contains("sources[0].system"))
    }

    /// Large inventories check duplicates and references side by side; the issues must come out in source order,
    /// each source's duplicate before its unknown system before its unknown custodian, as a plain loop gives them.
    @Test("reference issues in order", arguments: [200, 12_000])
    func referenceIssuesInOrder(_ count: Int) {
        var inventory = SyntheticInventory.make(sources: count)
        let last = count - 1
        for index in [1, count / 2, last] { inventory.sources[index].name = inventory.sources[index - 1].name; inventory.sources[index].systemID = inventory.sources[index - 1].systemID }
        for index in [0, count / 2, count / 3] { inventory.sources[index].systemID = SystemID("nowhere") }
        for index in [count / 2, count / 3 + 1, last] { inventory.sources[index].custodianOrgID = OrgID("nobody") }
        let systems = Set(inventory.systems.map(\.id)), orgs = Set(inventory.orgs.map(\.id))
        var seen = Set<SourceKey>(), expected: [String] = []
        for (index, source) in inventory.sources.enumerated() {
            if !seen.insert(source.key).inserted { expected.append("sources[\(index)].name") }
            if !systems.contains(source.systemID) { expected.append("sources[\(index)].system") }
            if !orgs.contains(source.custodianOrgID) { expected.append("sources[\(index)].custodian_org") }
        }
        #expect(expected.count == 7)   // the duplicate moved to nowhere is no longer one
        #expect(inventory.referenceIssues().map(\.path) == expected)
    }
}

@Suite("Authorisation decisions")
struct AuthorizationTests {
    static let a = OrgID("a"), b = OrgID("b")
    static let custodian = Principal(userID: UserID(), name: "c", role: .custodian, orgIDs: [a])

    @Test("who may do what to a source held by org a on a system of org b", arguments: Role.allCases)
    func sources(_ role: Role) {
        let principal = Principal(userID: UserID(), name: "p", role: role, orgIDs: role == .custodian ? [Self.a] : [])
        for action in InventoryAction.allCases {
            let expected: Bool = switch role {
            case .admin, .custodian: true
            case .csirt, .auditor: action == .read
            }
            #expect(principal.may(action, sourceHeldBy: Self.a, systemOwner: Self.b) == expected, "\(role) \(action)")
        }
        #expect(!Self.custodian.may(.read, sourceHeldBy: Self.b, systemOwner: Self.b))
    }

    @Test func onlyAdminsManageOrganisations() {
        #expect(Principal.system().may(.create, org: Self.b))
        #expect(Self.custodian.may(.read, org: Self.a))
        #expect(!Self.custodian.may(.update, org: Self.a))
        #expect(!Self.custodian.may(.read, org: Self.b))
        #expect(!Principal(userID: UserID(), name: "x", role: .csirt, orgIDs: []).may(.update, org: Self.a))
    }

    /// An outsourced vendor reads the systems it holds sources on, and their owners, and changes neither.
    @Test func aCustodianReadsWhatItHoldsSourcesOnAndNothingMore() {
        #expect(Self.custodian.may(.read, systemOwnedBy: Self.b, holdingSourcesOnIt: true))
        #expect(!Self.custodian.may(.read, systemOwnedBy: Self.b))
        for action in [InventoryAction.update, .delete, .create] {
            #expect(!Self.custodian.may(action, systemOwnedBy: Self.b, holdingSourcesOnIt: true), "\(action)")
            #expect(!Self.custodian.may(action, org: Self.b, holdingSourcesOfIt: true), "\(action)")
        }
        #expect(Self.custodian.may(.read, org: Self.b, holdingSourcesOfIt: true))
    }
}

@Suite("Identifiers")
struct IdentifierTests {
    @Test("new identifiers do not repeat")
    func newIdentifiers() {
        #expect(Set((0..<1_000).map { _ in LogSourceID() }).count == 1_000)
    }
}

@Suite("Decisions beyond the inventory")
struct PrincipalDecisionTests {
    static let a = OrgID("a"), b = OrgID("b")
    static func caller(_ role: Role) -> Principal { Principal(userID: UserID(), name: "me", role: role, orgIDs: [a]) }

    @Test("who manages, comments and subscribes", arguments: Role.allCases)
    func decisions(_ role: Role) {
        let caller = Self.caller(role)
        #expect(caller.mayManagePolicies == (role == .admin) && caller.mayManageOrgs == (role == .admin))
        #expect(caller.mayComment == (role != .auditor))
        #expect(caller.speaksOnlyForOwnOrgs == (role == .custodian))
        #expect(caller.mayAssign(to: Self.a) && caller.mayAssign(to: Self.b) == (role != .custodian))
        #expect(caller.mayLearnOfOtherOrgs == (role != .custodian))
        #expect(caller.maySubscribe(org: Self.a) == (role != .auditor))
        #expect(caller.maySubscribe(org: Self.b) == (role == .admin))
        #expect(caller.maySubscribe(user: "me") && caller.maySubscribe(user: "someone else") == (role == .admin))
    }
}
