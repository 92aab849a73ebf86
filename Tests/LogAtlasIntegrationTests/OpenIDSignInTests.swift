import Foundation
import LogAtlasCore
import LogAtlasFormats
import LogAtlasStore
import Synchronization
import Testing
import TestSupport
@testable import LogAtlasServer

/// Who a verified OpenID identity becomes in LogAtlas, on PostgreSQL: created, linked, kept in step with the rule,
/// refused without a trace but the audit event. (The whole flow against a real provider, with forged, expired and
/// wrongly addressed tokens, is `scripts/signin_check.py` in `make test`.)
@Suite("OpenID sign-in")
struct OpenIDSignInTests {
    static let issuer = "https://idp.example"

    static func claims(_ subject: String, _ name: String, groups: [String]) -> OpenIDClaims {
        OpenIDClaims(issuer: issuer, subject: subject, texts: ["preferred_username": [name], "groups": groups])
    }

    @Test func aRuleThatCreatesUsersCreatesLinksAndSignsIn() async throws {
        try await withTestApp { world in
            let store = ConsoleStore(database: world.database)
            let account = OpenIDAccount(userName: "nina", role: .csirt, orgs: [Fixtures.csirtOrg], mayCreate: true)
            guard case .success(let (secret, session)) = try await store.signIn(openID: Self.claims("sub-nina", "nina", groups: []), account: account, now: Date())
            else { Issue.record("nina was not signed in"); return }
            #expect(session.principal.name == "nina" && session.principal.role == .csirt && session.principal.orgIDs == [Fixtures.csirtOrg])
            #expect(try await store.session(forSecret: secret, now: Date())?.id == session.id)
            // The second sign-in finds her by her identity, even under another name at the provider.
            let renamed = OpenIDAccount(userName: "nina.k", role: .csirt, orgs: [Fixtures.csirtOrg], mayCreate: true)
            guard case .success(let (_, again)) = try await store.signIn(openID: Self.claims("sub-nina", "nina.k", groups: []), account: renamed, now: Date())
            else { Issue.record("nina's second sign-in failed"); return }
            #expect(again.principal.userID == session.principal.userID && again.principal.name == "nina")
            let actions = try await AuditTrail(database: world.database).recent(limit: 20).map(\.action)
            #expect(actions.contains("user.create") && actions.filter { $0 == "console.sign_in" }.count == 2)
        }
    }

    @Test func anExistingUserIsLinkedAndFollowsTheRulesRoleAndOrganisations() async throws {
        try await withTestApp { world in
            let store = ConsoleStore(database: world.database)
            // cus-a is a custodian of dept-a; the provider's rule now says custodian of vendor-b.
            let account = OpenIDAccount(userName: "cus-a", role: .custodian, orgs: [Fixtures.vendorB], mayCreate: false)
            guard case .success(let (_, session)) = try await store.signIn(openID: Self.claims("sub-a", "cus-a", groups: []), account: account, now: Date())
            else { Issue.record("cus-a was not signed in"); return }
            #expect(session.principal.orgIDs == [Fixtures.vendorB])
            let events = try await AuditTrail(database: world.database).recent(limit: 20)
            #expect(events.contains { $0.action == "user.orgs" && $0.actor == "cus-a" })
            // The same name from another person at the same provider is refused, and changes nothing.
            let imposter = try await store.signIn(openID: Self.claims("sub-evil", "cus-a", groups: []), account: account, now: Date())
            #expect(imposter.failure == .linkedToAnotherPerson("cus-a"))
            // A rule that promotes is audited as a change of the user.
            let promoted = OpenIDAccount(userName: "cus-a", role: .auditor, orgs: [], mayCreate: false)
            guard case .success(let (_, auditor)) = try await store.signIn(openID: Self.claims("sub-a", "cus-a", groups: []), account: promoted, now: Date())
            else { Issue.record("cus-a's second sign-in failed"); return }
            #expect(auditor.principal.role == .auditor && auditor.principal.orgIDs.isEmpty)
            #expect(try await AuditTrail(database: world.database).recent(limit: 20).contains { $0.action == "user.update" })
            #expect(try await AuditTrail(database: world.database).verify() == .intact(events: try await world.auditEvents()))
        }
    }

    @Test func refusalsChangeNothingButTheAuditTrail() async throws {
        try await withTestApp { world in
            let store = ConsoleStore(database: world.database)
            let before = try await world.userCount()
            let unknown = OpenIDAccount(userName: "vera", role: .custodian, orgs: [Fixtures.deptA], mayCreate: false)
            #expect(try await store.signIn(openID: Self.claims("sub-vera", "vera", groups: []), account: unknown, now: Date()).failure == .unknownUser("vera"))
            let badOrg = OpenIDAccount(userName: "walt", role: .custodian, orgs: [OrgID("no-such-org")], mayCreate: true)
            #expect(try await store.signIn(openID: Self.claims("sub-walt", "walt", groups: []), account: badOrg, now: Date()).failure
                    == .unknownOrganisations(["no-such-org"]))
            #expect(try await world.userCount() == before)
            let failures = try await AuditTrail(database: world.database).recent(limit: 10).filter { $0.action == "console.sign_in_failed" }
            #expect(Set(failures.map(\.actor)) == ["openid:sub-vera", "openid:sub-walt"])
        }
    }

    @Test func aPendingSignInIsTakenOnceAndOnlyWhileFresh() async throws {
        try await withTestApp { world in
            let store = ConsoleStore(database: world.database)
            let now = Date(), verifier = String(repeating: "v", count: 43)
            try await store.beginOpenIDSignIn(state: "la_state-one-000000000000000000000", nonce: "n1", codeVerifier: verifier, now: now)
            try await store.beginOpenIDSignIn(state: "la_state-two-000000000000000000000", nonce: "n2", codeVerifier: verifier, now: now)
            let first = try await store.takeOpenIDSignIn(state: "la_state-one-000000000000000000000", now: now.addingTimeInterval(30))
            #expect(first?.nonce == "n1" && first?.codeVerifier == verifier)
            #expect(try await store.takeOpenIDSignIn(state: "la_state-one-000000000000000000000", now: now.addingTimeInterval(31)) == nil)
            #expect(try await store.takeOpenIDSignIn(state: "la_state-two-000000000000000000000", now: now.addingTimeInterval(601)) == nil)
        }
    }

    @Test func withoutAProviderTheRoutesAreNotThereAndTheFormIsShown() async throws {
        try await withTestApp { world in
            let visitor = ConsoleVisitor(world)
            #expect(try await visitor.get("/login/oidc").status == 404)
            #expect(try await visitor.get("/login/oidc/callback?state=x&code=y").status == 404)
            let page = try await visitor.get("/login")
            #expect(page.text.contains(#"name="password""#) && !page.text.contains("sign-in-oidc"))
        }
    }
}

@Suite("OpenID mapping")
struct OpenIDMappingTests {
    let mapping = OpenIDMapping(rules: [
        .init(group: "csirt", role: .csirt, orgs: [OrgID("csirt")], createsUsers: true),
        .init(group: "vendor", role: .custodian, orgs: [OrgID("vendor-b")]),
        .init(group: nil, role: .auditor),
    ])

    func claims(_ texts: [String: [String]]) -> OpenIDClaims { OpenIDClaims(issuer: "i", subject: "s", texts: texts) }

    @Test func theFirstMatchingRuleDecides() {
        let both = mapping.account(for: claims(["preferred_username": ["kim"], "groups": ["vendor", "csirt"]]))
        #expect(both == .success(OpenIDAccount(userName: "kim", role: .csirt, orgs: [OrgID("csirt")], mayCreate: true)))
        let vendor = mapping.account(for: claims(["email": ["v@vendor.example"], "groups": ["vendor"]]))
        #expect(vendor == .success(OpenIDAccount(userName: "v@vendor.example", role: .custodian, orgs: [OrgID("vendor-b")], mayCreate: false)))
        // A rule without a group matches everyone else.
        #expect(mapping.account(for: claims(["preferred_username": ["lee"]])).map(\.role) == .success(.auditor))
    }

    @Test func aPersonWithoutAUsableNameOrRuleIsRefused() {
        let strict = OpenIDMapping(rules: [.init(group: "csirt", role: .csirt, orgs: [], createsUsers: true)])
        #expect(strict.account(for: claims(["preferred_username": ["kim"], "groups": ["sales"]])) == .failure(.noRule(user: "kim")))
        #expect(strict.account(for: claims(["groups": ["csirt"]])) == .failure(.noUserName(claims: ["preferred_username", "email"])))
        #expect(strict.account(for: claims(["preferred_username": ["kim lee"], "groups": ["csirt"]])) == .failure(.invalidUserName("kim lee")))
    }

    @Test func theMappingFileIsReadWithPositionsOfItsProblems() throws {
        let mapping = try OpenIDMappingYAML.decode("""
            groups_claim: roles
            rules:
              - {group: soc, role: csirt, orgs: [csirt], create_users: true}
            """)
        #expect(mapping.groupsClaim == "roles" && mapping.usernameClaims == ["preferred_username", "email"])
        #expect(mapping.rules == [.init(group: "soc", role: .csirt, orgs: [OrgID("csirt")], createsUsers: true)])
        do {
            _ = try OpenIDMappingYAML.decode("""
                rules:
                  - group: soc
                    role: boss
                  - group: vendor
                    role: custodian
                    colour: blue
                """, file: "map.yaml")
            Issue.record("a bad mapping was accepted")
        } catch let error as FormatError {
            #expect(error.description.contains("map.yaml:3:11: rules[0].role: unknown role 'boss'"), "\(error)")
            #expect(error.description.contains("map.yaml:6:5: rules[1].colour"), "\(error)")
        }
        #expect(throws: FormatError.self) { try OpenIDMappingYAML.decode("rules:\n  - {role: custodian}\n") }
    }
}

extension Result {
    var failure: Failure? { if case .failure(let failure) = self { failure } else { nil } }
}

extension TestWorld {
    func userCount() async throws -> Int {
        var count = 0
        for try await value in try await database.client.query("SELECT count(*)::integer FROM users").decode(Int.self) { count = value }
        return count
    }

    func auditEvents() async throws -> Int {
        var count = 0
        for try await value in try await database.client.query("SELECT count(*)::integer FROM audit_events").decode(Int.self) { count = value }
        return count
    }
}
