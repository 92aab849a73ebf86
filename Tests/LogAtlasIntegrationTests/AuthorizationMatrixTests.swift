import Foundation
import HTTPTypes
import LogAtlasCore
import LogAtlasStore
import Testing
import TestSupport

/// Every inventory endpoint × every role × an object of the custodian's own org (dept-a) and of another org (vendor-b).
@Suite("Authorisation matrix")
struct AuthorizationMatrixTests {
    enum Target: String, CaseIterable, Sendable { case own, other }

    /// IDs of the fixture objects in a world.
    struct Objects: Sendable {
        let org: [Target: String] = [.own: "dept-a", .other: "vendor-b"]
        let system: [Target: String] = [.own: "corp-net", .other: "vendor-dc"]
        let source: [Target: String]
    }

    struct Operation: Sendable, CustomTestStringConvertible {
        let name: String
        /// Expected status per user for (own, other).
        let expected: [String: (Int, Int)]
        let perform: @Sendable (TestWorld, String, Target, Objects) async throws -> TestWorld.Reply
        var testDescription: String { name }
    }

    static let readers = ["ada", "cyd", "aud"]

    static func expect(admin: (Int, Int), csirt: (Int, Int), auditor: (Int, Int), custodian: (Int, Int)) -> [String: (Int, Int)] {
        ["ada": admin, "cyd": csirt, "aud": auditor, "cus-a": custodian]
    }

    static let operations: [Operation] = [
        Operation(name: "GET /v1/orgs/{id}", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 404))) { world, user, target, objects in
            try await world.send(.get, "/v1/orgs/\(objects.org[target]!)", as: user)
        },
        Operation(name: "PATCH /v1/orgs/{id}", expected: expect(admin: (200, 200), csirt: (403, 403), auditor: (403, 403), custodian: (403, 404))) { world, user, target, objects in
            try await world.send(.patch, "/v1/orgs/\(objects.org[target]!)", as: user, json: ["name": "Renamed"])
        },
        Operation(name: "DELETE /v1/orgs/{id}", expected: expect(admin: (409, 409), csirt: (403, 403), auditor: (403, 403), custodian: (403, 404))) { world, user, target, objects in
            try await world.send(.delete, "/v1/orgs/\(objects.org[target]!)", as: user)
        },
        Operation(name: "POST /v1/orgs", expected: expect(admin: (201, 201), csirt: (403, 403), auditor: (403, 403), custodian: (403, 403))) { world, user, target, _ in
            try await world.send(.post, "/v1/orgs", as: user, json: ["id": "new-\(target.rawValue)", "name": "New", "kind": "vendor"])
        },
        Operation(name: "GET /v1/systems/{id}", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 404))) { world, user, target, objects in
            try await world.send(.get, "/v1/systems/\(objects.system[target]!)", as: user)
        },
        Operation(name: "PATCH /v1/systems/{id}", expected: expect(admin: (200, 200), csirt: (403, 403), auditor: (403, 403), custodian: (200, 404))) { world, user, target, objects in
            try await world.send(.patch, "/v1/systems/\(objects.system[target]!)", as: user, json: ["criticality": "critical"])
        },
        Operation(name: "DELETE /v1/systems/{id}", expected: expect(admin: (409, 409), csirt: (403, 403), auditor: (403, 403), custodian: (409, 404))) { world, user, target, objects in
            try await world.send(.delete, "/v1/systems/\(objects.system[target]!)", as: user)
        },
        Operation(name: "POST /v1/systems", expected: expect(admin: (201, 201), csirt: (403, 403), auditor: (403, 403), custodian: (201, 422))) { world, user, target, objects in
            try await world.send(.post, "/v1/systems", as: user, json: ["id": "new-sys", "name": "New", "owner_org": objects.org[target]!])
        },
        Operation(name: "GET /v1/sources/{id}", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 404))) { world, user, target, objects in
            try await world.send(.get, "/v1/sources/\(objects.source[target]!)", as: user)
        },
        Operation(name: "PATCH /v1/sources/{id}", expected: expect(admin: (200, 200), csirt: (403, 403), auditor: (403, 403), custodian: (200, 404))) { world, user, target, objects in
            try await world.send(.patch, "/v1/sources/\(objects.source[target]!)", as: user, json: ["notes": "edited"])
        },
        Operation(name: "DELETE /v1/sources/{id}", expected: expect(admin: (204, 204), csirt: (403, 403), auditor: (403, 403), custodian: (204, 404))) { world, user, target, objects in
            try await world.send(.delete, "/v1/sources/\(objects.source[target]!)", as: user)
        },
        Operation(name: "POST /v1/sources", expected: expect(admin: (201, 201), csirt: (403, 403), auditor: (403, 403), custodian: (201, 422))) { world, user, target, objects in
            try await world.send(.post, "/v1/sources", as: user, json: [
                "system": objects.system[target]!, "name": "new-dns", "log_type": "network.dns", "custodian_org": objects.org[target]!,
                "retention_tiers": [["medium": "siem", "days": 30]]])
        },
        Operation(name: "POST /v1/sources/{id}/attestations", expected: expect(admin: (201, 201), csirt: (403, 403), auditor: (403, 403), custodian: (201, 404))) { world, user, target, objects in
            try await world.send(.post, "/v1/sources/\(objects.source[target]!)/attestations", as: user, json: [
                "oldest_record_at": "2026-01-01T00:00:00Z", "checked_at": "2026-11-01T00:00:00Z", "checked_by": user, "method": "query"])
        },
        Operation(name: "GET /v1/policies/{id}", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, user, target, _ in
            try await world.send(.get, "/v1/policies/\(target == .own ? "ir-baseline" : "pci-dss-4")", as: user)
        },
        Operation(name: "POST /v1/gap-reports", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, user, target, objects in
            try await world.send(.post, "/v1/gap-reports?org=\(objects.org[target]!)", as: user)
        },
        Operation(name: "GET /v1/readiness", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, user, target, objects in
            let reply = try await world.send(.get, "/v1/readiness?org=\(objects.org[target]!)", as: user)
            if user == "cus-a", target == .other { #expect(!reply.text.contains("vendor")) }
            if reply.status == 200, user != "cus-a" || target == .own { #expect(reply.text.contains(objects.system[target]!), "\(reply.text)") }
            return reply
        },
        Operation(name: "POST /v1/detections/sigma", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, user, target, objects in
            let (body, type) = SigmaAPITests.multipart([("auth.yml", "title: t\nid: r\nlogsource: {product: linux, service: sshd}\ndetection: {condition: x}\n")])
            let reply = try await world.send(.post, "/v1/detections/sigma", as: user, body: body, contentType: type)
            // vendor-dc's auth log feeds the rule: a custodian of dept-a never learns of it, not even by its verdict.
            if reply.status == 200 { #expect(SigmaAPITests.verdicts(reply)["r"] == (user == "cus-a" ? "cannot-run" : "slower-media"), "\(reply.text)") }
            return reply
        },
        Operation(name: "GET /v1/readiness/trend", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, user, target, objects in
            _ = try await world.send(.post, "/v1/gap-reports?org=\(objects.org[target]!)", as: "cyd")
            let reply = try await world.send(.get, "/v1/readiness/trend?org=\(objects.org[target]!)", as: user)
            // Another organisation's run counts nothing for a custodian: no point at all.
            if reply.status == 200 { #expect(reply.text.contains("report_id") == (user != "cus-a" || target == .own), "\(reply.text)") }
            return reply
        },
        Operation(name: "GET /v1/gap-reports/{id}", expected: expect(admin: (200, 200), csirt: (200, 200), auditor: (200, 200), custodian: (200, 200))) { world, user, target, objects in
            let created = try await world.send(.post, "/v1/gap-reports?org=\(objects.org[target]!)", as: "cyd")
            let reply = try await world.send(.get, "/v1/gap-reports/\(created.json["id"] as? String ?? "")?format=csv", as: user)
            // A custodian reading a report on another org sees a report without findings, never that org's findings.
            if user == "cus-a", target == .other { #expect(!reply.text.contains("vendor")) }
            return reply
        },
        Operation(name: "POST /v1/inventory/apply", expected: expect(admin: (200, 200), csirt: (403, 403), auditor: (403, 403), custodian: (200, 403))) { world, user, target, objects in
            let org = objects.org[target]!, system = objects.system[target]!
            let kind = target == .own ? "department" : "vendor", name = target == .own ? "Department A" : "Vendor B"
            let yaml = """
                orgs:
                  - {id: \(org), name: \(name), kind: \(kind)\(target == .own ? ", contacts: [it@a.example]" : ", escalation_contact: duty@b.example")}
                systems:
                  - {id: \(system), name: Whatever, owner_org: \(org)}
                sources: []
                """
            return try await world.send(.post, "/v1/inventory/apply?dry_run=true", as: user, body: yaml)
        },
    ]

    static var all: [Operation] { operations + brokerOperations + agreementOperations + observedGapOperations + heartbeatOperations + actionCardOperations + drillOperations }

    static var cases: [(Operation, String)] { all.flatMap { operation in operation.expected.keys.sorted().map { (operation, $0) } } }

    @Test("status per role and org", arguments: cases)
    func status(_ operation: Operation, user: String) async throws {
        let expected = operation.expected[user]!
        for target in Target.allCases {
            try await withTestApp { world in
                let objects = try await Self.objects(in: world)
                let reply = try await operation.perform(world, user, target, objects)
                #expect(reply.status == (target == .own ? expected.0 : expected.1),
                        "\(operation.name) as \(user) on \(target) object: \(reply.status) \(reply.text)")
                if reply.status >= 400 { #expect(reply.contentType == "application/problem+json") }
                // Nobody is told whether another org's object exists: a custodian's 404 reads exactly like a missing ID.
                if user == "cus-a", target == .other, reply.status == 404 {
                    #expect(!reply.text.contains("Vendor B") && !reply.text.contains("secret"))
                }
            }
        }
    }

    @Test("no token is 401 on every endpoint", arguments: all)
    func unauthenticated(_ operation: Operation) async throws {
        try await withTestApp { world in
            let reply = try await operation.perform(world, "la_not-a-valid-token-at-all-xxxxxxxx", .own, try await Self.objects(in: world))
            #expect(reply.status == 401)
            #expect(reply.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test("lists, totals and exports show a custodian nothing of other orgs")
    func listsAreScoped() async throws {
        try await withTestApp { world in
            for (path, all, own) in [("/v1/orgs", 3, 1), ("/v1/systems", 2, 1), ("/v1/sources", 3, 2),
                                     ("/v1/sources?org=vendor-b", 1, 0), ("/v1/sources?q=secret", 1, 0), ("/v1/systems?org=vendor-b", 1, 0)] {
                for user in Self.readers {
                    let reply = try await world.send(.get, path, as: user)
                    #expect(reply.json["total"] as? Int == all, "\(path) as \(user)")
                }
                let reply = try await world.send(.get, path, as: "cus-a")
                #expect(reply.json["total"] as? Int == own, "\(path) as cus-a")
                #expect((reply.json["items"] as? [Any])?.count == own)
                #expect(!reply.text.contains("vendor-b") && !reply.text.contains("vendor-dc"), "\(path) leaks to cus-a: \(reply.text)")
            }
            for format in ["yaml", "csv"] {
                let export = try await world.send(.get, "/v1/inventory/export?format=\(format)", as: "cus-a")
                #expect(export.status == 200)
                #expect(export.text.contains("corp-net") && !export.text.contains("vendor") && !export.text.contains("secret"))
            }
            // Gap reports are computed from what the caller may see.
            for user in Self.readers {
                let report = try await world.send(.post, "/v1/gap-reports?format=csv&policy=cis-v8-control-8", as: user)
                #expect(report.text.contains("vendor-dc"), "\(user) should see vendor-b findings")
            }
            let scoped = try await world.send(.post, "/v1/gap-reports?format=csv&policy=cis-v8-control-8", as: "cus-a")
            #expect(scoped.status == 200 && scoped.text.contains("corp-net") && !scoped.text.contains("vendor"), "\(scoped.text)")
            let vendorView = try await world.send(.get, "/v1/sources", as: "cus-b")
            #expect(vendorView.json["total"] as? Int == 1)
        }
    }

    static func objects(in world: TestWorld) async throws -> Objects {
        let sources = try await PostgresInventoryRepository(database: world.database).export(as: Fixtures.admin).sources
        let own = sources.first { $0.name == "firewall" }!.id.description
        let other = sources.first { $0.name == "auth" }!.id.description
        return Objects(source: [.own: own, .other: other])
    }
}
