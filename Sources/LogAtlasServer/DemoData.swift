import Foundation
import LogAtlasCore
import LogAtlasFormats
import LogAtlasStore

/// The demo inventory (a CSIRT, two departments, a subsidiary and a maintenance vendor) and one user per role.
public enum DemoData {
    /// A demo user and the token just issued for it.
    public struct Login: Sendable {
        public let user: String
        public let role: Role
        public let orgs: [OrgID]
        public let token: String
        /// The console password, generated when the user is created and printed only then.
        public let password: String?
    }

    static let users: [(String, Role, [OrgID])] = [
        ("admin", .admin, []), ("csirt-lead", .csirt, [OrgID("csirt")]), ("auditor", .auditor, []),
        ("web-owner", .custodian, [OrgID("digital")]), ("it-ops", .custodian, [OrgID("corp-it")]),
        ("east-admin", .custodian, [OrgID("east-logistics")]), ("netcare-soc", .custodian, [OrgID("netcare")]),
    ]

    /// Demo users reached by e-mail: the Japanese subsidiary's administrator, in Japanese. The other custodian
    /// organisations are mailed at their contacts from the inventory.
    static let contacts: [String: (email: String, language: String)] = ["east-admin": ("sysadmin@east.example.jp", "ja")]

    /// The demo inventory document shipped in the binary.
    public static func inventory() throws -> Inventory {
        guard let url = Bundle.module.url(forResource: "demo-inventory", withExtension: "yaml") else {
            throw MissingResource(description: "demo-inventory.yaml is missing from the LogAtlasServer resource bundle")
        }
        return try InventoryYAML.decode(try String(contentsOf: url, encoding: .utf8), file: "demo-inventory.yaml")
    }

    /// Loads the demo inventory and users when the database holds no organisation yet, then issues a fresh
    /// 30-day token per demo user (tokens are stored only as hashes, so old ones cannot be shown again).
    public static func loadIfEmpty(into database: Database) async throws -> [Login] {
        let repository = PostgresInventoryRepository(database: database)
        let actor = Principal.system(named: "demo")
        var fresh = false
        if try await repository.orgs(as: actor, page: PageRequest(limit: 1)).total == 0 {
            try await repository.apply(try inventory(), scope: .everything, prune: false, dryRun: false, as: actor)
            fresh = true
        }
        let identity = IdentityStore(database: database)
        var logins: [Login] = []
        for (name, role, orgs) in users {
            var password: String?
            do {
                try await identity.addUser(named: name, role: role, orgs: orgs, actor: "demo")
                password = String(TokenSecret.generate().dropFirst(3).prefix(20))
                try await ConsoleStore(database: database).setPassword(password!, for: name, actor: "demo")
                if let (email, language) = contacts[name] {
                    try await identity.setContact(of: name, email: email, language: language, actor: "demo")
                }
            } catch InventoryError.duplicate {
                // Already there from an earlier start; its password was printed then.
            }
            let token = try await identity.createToken(for: name, lifetime: .seconds(30 * 86_400), actor: "demo")
            logins.append(Login(user: name, role: role, orgs: orgs, token: token.secret, password: password))
        }
        if fresh { try await fileDemoRequest(database: database, inventory: repository) }
        return logins
    }

    /// One open retrieval request, so that the broker has something to show: the CSIRT asks corporate IT and
    /// the maintenance vendor for three days of firewall, VPN and core-switch logs; IT has acknowledged.
    static func fileDemoRequest(database: Database, inventory: PostgresInventoryRepository) async throws {
        let csirt = Principal(userID: UserID(), name: "csirt-lead", role: .csirt, orgIDs: [OrgID("csirt")])
        let sources = try await inventory.export(as: Principal.system(named: "demo")).sources
        let now = Date()
        let window = TimeWindow(from: now.addingTimeInterval(-4 * 86_400), to: now.addingTimeInterval(-86_400))
        let obtainable = sources.filter { !Feasibility.of($0, window: window, now: now, deliverDue: now).isEntirelyExpired }
        let wanted = obtainable.filter { ["perimeter-firewall", "vpn-gateway"].contains($0.name) }
            + obtainable.filter { $0.custodianOrgID == OrgID("netcare") }.prefix(1)
        guard !wanted.isEmpty else { return }
        let draft = RequestDraft(incidentReference: "INC-DEMO-0001", purpose: "Suspected lateral movement after a phishing click on 3 laptops",
                                 priority: .serious, window: window, hints: FilterHints(hosts: ["lt-0231", "lt-0417"], ips: ["203.0.113.7"]),
                                 sourceIDs: wanted.map(\.id))
        let requests = PostgresRequestRepository(database: database)
        let request = try await requests.file(draft, sla: SLAPolicy(), now: now, as: csirt).request
        if let item = request.items.first(where: { $0.custodianOrgID == OrgID("corp-it") }) {
            let itOps = Principal(userID: UserID(), name: "it-ops", role: .custodian, orgIDs: [OrgID("corp-it")])
            _ = try await requests.transition(.acknowledge, item: item.id, of: request.id, note: nil, as: itOps, now: now)
        }
        // What an earlier incident taught: the subsidiary had no DNS logs to find the beaconing host (docs/observed-gaps.md).
        _ = try await PostgresObservedGapRepository(database: database).record(
            ObservedGapDraft(incidentReference: "INC-DEMO-0000", systemID: SystemID("east-network"), logType: "network.dns", kind: .missing,
                             note: "No DNS query logs at the subsidiary: the host beaconing to the C2 domain could not be identified"),
            as: csirt, now: now.addingTimeInterval(-60 * 86_400))
    }

    /// What `make run` prints: where the service is and how to call it as each role.
    public static func banner(tokens: [Login], url: String) -> String {
        var lines = ["", "LogAtlas demo — \(url)  (OpenAPI: \(url)/openapi.yaml)", "Console: \(url)/login",
                     "Demo tokens (valid 30 days) and console passwords (shown at the first start only):"]
        for login in tokens {
            let scope = login.orgs.isEmpty ? "" : " of \(login.orgs.map(\.rawValue).joined(separator: ","))"
            let variable = login.user.uppercased().replacingOccurrences(of: "-", with: "_")
            lines.append("  \(login.user.padding(toLength: 12, withPad: " ", startingAt: 0)) \(login.role.rawValue)\(scope)")
            lines.append("    export TOKEN_\(variable)=\(login.token)")
            if let password = login.password { lines.append("    export PASSWORD_\(variable)=\(password)") }
        }
        if tokens.contains(where: { $0.password == nil }) {
            lines.append("Console passwords were printed at the first start only; set a new one with: logatlas user passwd NAME (while the service is stopped, or with DATABASE_URL)")
        }
        lines.append("Try: curl -s -H \"Authorization: Bearer $TOKEN_CSIRT_LEAD\" \(url)/v1/sources?log_type=network.firewall")
        lines.append("     curl -s -H \"Authorization: Bearer $TOKEN_NETCARE_SOC\" \(url)/v1/requests   # the demo retrieval request, as the vendor sees it")
        return lines.joined(separator: "\n") + "\n"
    }
}
