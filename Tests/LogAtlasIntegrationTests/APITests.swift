import Foundation
import Synchronization
import HTTPTypes
import LogAtlasCore
import LogAtlasStore
import Testing
import TestSupport

@Suite("HTTP API")
struct APITests {
    nonisolated(unsafe) static let newSource: [String: Any] = [
        "system": "corp-net", "name": "dns", "log_type": "network.dns", "custodian_org": "dept-a",
        "retention_tiers": [["medium": "siem", "days": 30], ["medium": "nas", "days": 365, "retrieval_hours": 6]],
        "fields": ["time", "client_ip", "query"], "clock": ["ntp_synced": true, "timezone": "UTC"],
    ]

    @Test func healthAndReadinessNeedNoToken() async throws {
        try await withTestApp { world in
            #expect(try await world.send(.get, "/healthz", as: nil).status == 200)
            let ready = try await world.send(.get, "/readyz", as: nil)
            #expect(ready.status == 200 && ready.json["status"] as? String == "ready")
            let spec = try await world.send(.get, "/openapi.yaml", as: nil)
            #expect(spec.status == 200 && spec.text.contains("operationId: listSources"))
        }
    }

    @Test func createReadUpdateDeleteWithETags() async throws {
        try await withTestApp { world in
            let created = try await world.send(.post, "/v1/sources", as: "cus-a", json: Self.newSource)
            #expect(created.status == 201)
            #expect(created.headers[.eTag] == "\"1\"")
            let id = try #require(created.json["id"] as? String)
            #expect(created.json["covered_days"] as? Int == 365)
            #expect(created.json["searchable_days"] as? Int == 30)
            #expect(created.json["attestation_status"] as? String == "unverified")
            let windows = try #require(created.json["fastest_retrieval_hours"] as? [[String: Any]])
            #expect(windows.map { $0["hours"] as? Double } == [1, 6])

            let stale = try await world.send(.patch, "/v1/sources/\(id)", as: "cus-a", json: ["notes": "x"], headers: [.ifMatch: "\"7\""])
            #expect(stale.status == 412)
            #expect(stale.contentType == "application/problem+json")
            let updated = try await world.send(.patch, "/v1/sources/\(id)", as: "cus-a",
                                               json: ["retention_tiers": [["medium": "siem", "days": 400]]], headers: [.ifMatch: "\"1\""])
            #expect(updated.status == 200)
            #expect(updated.headers[.eTag] == "\"2\"")
            #expect(updated.json["covered_days"] as? Int == 400)
            #expect(updated.json["fields"] as? [String] == ["time", "client_ip", "query"])
            // The ETag of the first version is stale now.
            #expect(try await world.send(.delete, "/v1/sources/\(id)", as: "cus-a", headers: [.ifMatch: "\"1\""]).status == 412)
            #expect(try await world.send(.delete, "/v1/sources/\(id)", as: "cus-a", headers: [.ifMatch: "\"2\""]).status == 204)
            #expect(try await world.send(.get, "/v1/sources/\(id)", as: "cus-a").status == 404)
            // Every change is in the audit trail, attributed to the caller.
            let trail = AuditTrail(database: world.database)
            #expect(try await trail.count(objectType: "source", objectID: id) == 3)
            guard case .intact = try await trail.verify() else { Issue.record("audit chain broken"); return }
        }
    }

    @Test func attestationDrivesStatus() async throws {
        try await withTestApp(clock: { ISO8601DateFormatter().date(from: "2026-11-20T00:00:00Z")! }) { world in
            let id = try #require(try await world.send(.post, "/v1/sources", as: "cus-a", json: Self.newSource).json["id"] as? String)
            let drift = try await world.send(.post, "/v1/sources/\(id)/attestations", as: "cus-a", json: [
                "oldest_record_at": "2026-10-01T00:00:00Z", "checked_at": "2026-11-10T00:00:00Z", "checked_by": "cus-a", "method": "query"])
            #expect(drift.status == 201)
            #expect(drift.json["attestation_status"] as? String == "drift")
            #expect(drift.json["attested_days"] as? Int == 40)
            let verified = try await world.send(.post, "/v1/sources/\(id)/attestations", as: "cus-a", json: [
                "oldest_record_at": "2025-11-01T00:00:00Z", "checked_at": "2026-11-15T00:00:00Z", "checked_by": "cus-a", "method": "restore-drill"])
            #expect(verified.json["attestation_status"] as? String == "verified")
        }
    }

    @Test func badInputIsAProblemWithTheFieldPathAndChangesNothing() async throws {
        try await withTestApp { world in
            var source = Self.newSource
            source["log_type"] = "network.dnss"
            source["retention_tiers"] = [["medium": "siem", "days": 30], ["medium": "tapes", "days": 10]]
            let reply = try await world.send(.post, "/v1/sources", as: "ada", json: source)
            #expect(reply.status == 422)
            #expect(reply.contentType == "application/problem+json")
            let errors = try #require(reply.json["errors"] as? [[String: Any]])
            #expect(errors.contains { $0["path"] as? String == "retention_tiers[1].medium" && ($0["message"] as? String)?.contains("'tape'") == true })
            #expect(errors.contains { $0["path"] as? String == "log_type" && ($0["message"] as? String)?.contains("'network.dns'") == true })
            source["retention_tiers"] = [["medium": "siem", "days": -1]]
            let second = try await world.send(.post, "/v1/sources", as: "ada", json: source)
            let paths = (second.json["errors"] as? [[String: Any]])?.compactMap { $0["path"] as? String } ?? []
            #expect(paths.sorted() == ["log_type", "retention_tiers[0].days"])
            #expect(try await world.send(.get, "/v1/sources", as: "ada").json["total"] as? Int == 3)

            let missing = try await world.send(.post, "/v1/sources", as: "ada", json: ["name": "x"])
            #expect(missing.status == 400 && missing.contentType == "application/problem+json")
            #expect(!missing.text.contains("Swift") && !missing.text.contains("SELECT"))
            let duplicate = try await world.send(.post, "/v1/systems", as: "ada", json: ["id": "corp-net", "name": "again", "owner_org": "dept-a"])
            #expect(duplicate.status == 409)
            #expect(!duplicate.text.contains("systems_pkey") && !duplicate.text.contains("duplicate key"))
            #expect(try await world.send(.get, "/v1/sources?medium=floppy", as: "ada").status == 422)
            #expect(try await world.send(.get, "/v1/nowhere", as: "ada").status == 404)
        }
    }

    @Test func bodiesOverTheLimitAre413() async throws {
        try await withTestApp(bodyLimit: 2_000) { world in
            var source = Self.newSource
            source["notes"] = String(repeating: "x", count: 5_000)
            let reply = try await world.send(.post, "/v1/sources", as: "ada", json: source)
            #expect(reply.status == 413)
            #expect(reply.contentType == "application/problem+json")
            #expect(try await world.send(.get, "/v1/sources", as: "ada").json["total"] as? Int == 3)
        }
    }

    @Test func cursorPaginationVisitsEverySourceOnce() async throws {
        try await withTestApp { world in
            for index in 0..<9 {
                var source = Self.newSource
                source["name"] = "dns-\(index)"
                #expect(try await world.send(.post, "/v1/sources", as: "ada", json: source).status == 201)
            }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await world.send(.get, "/v1/sources?limit=4" + (cursor.map { "&cursor=\($0)" } ?? ""), as: "ada")
                #expect(page.json["total"] as? Int == 12)
                seen += (page.json["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = page.json["next_cursor"] as? String
            } while cursor != nil
            #expect(seen.count == 12 && Set(seen).count == 12)
            let filtered = try await world.send(.get, "/v1/sources?log_type=network.dns&medium=nas&org=dept-a&q=dns-1", as: "ada")
            #expect(filtered.json["total"] as? Int == 1)
            #expect(try await world.send(.get, "/v1/sources?cursor=%%%", as: "ada").status == 422)
        }
    }

    @Test func inventoryAsCodeThroughTheAPI() async throws {
        try await withTestApp { world in
            let export = try await world.send(.get, "/v1/inventory/export", as: "ada")
            #expect(export.status == 200 && export.contentType?.hasPrefix("application/yaml") == true)
            let reapplied = try await world.send(.post, "/v1/inventory/apply", as: "ada", body: export.text)
            #expect(reapplied.status == 200)
            #expect((reapplied.json["sources"] as? [String: Any])?["unchanged"] as? Int == 3)
            #expect(((reapplied.json["sources"] as? [String: Any])?["updated"] as? [String])?.isEmpty == true)

            let broken = export.text.replacingOccurrences(of: "log_type: network.proxy", with: "log_type: network.proxxy")
            let malformed = try await world.send(.post, "/v1/inventory/apply", as: "ada", body: broken)
            #expect(malformed.status == 422)
            let error = try #require((malformed.json["errors"] as? [[String: Any]])?.first)
            let expectedLine = broken.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("network.proxxy") }! + 1
            #expect(error["line"] as? Int == expectedLine)
            #expect((error["message"] as? String)?.contains("network.proxy") == true)

            let csv = "system,name,log_type,custodian_org,retention\ncorp-net,dns,network.dns,dept-a,siem:60\ncorp-net,proxy,network.proxy,dept-a,siem:45\n"
            let imported = try await world.send(.post, "/v1/inventory/apply", as: "cus-a", body: csv, contentType: "text/csv")
            #expect(imported.status == 200, "\(imported.text)")
            #expect((imported.json["sources"] as? [String: Any])?["created"] as? [String] == ["corp-net/dns"])
            #expect((imported.json["sources"] as? [String: Any])?["updated"] as? [String] == ["corp-net/proxy"])
            let pruned = try await world.send(.post, "/v1/inventory/apply?prune=true&dry_run=true", as: "cus-a", body: csv, contentType: "text/csv")
            #expect((pruned.json["sources"] as? [String: Any])?["deleted"] as? [String] == ["corp-net/firewall"])
            #expect(try await world.send(.get, "/v1/sources", as: "cus-a").json["total"] as? Int == 3)
        }
    }

    @Test func policiesAndGapReports() async throws {
        try await withTestApp { world in
            let policies = try await world.send(.get, "/v1/policies", as: "cyd")
            let ids = (try JSONSerialization.jsonObject(with: policies.body) as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            #expect(Set(ids) == ["ir-baseline", "pci-dss-4", "cis-v8-control-8", "acsc-2024", "m-21-31"])
            let pci = try await world.send(.get, "/v1/policies/pci-dss-4", as: "cyd")
            #expect((pci.json["requirements"] as? [[String: Any]])?.contains { $0["clause"] as? String == "PCI DSS 10.5.1" } == true)
            #expect(try await world.send(.get, "/v1/policies/nope", as: "cyd").status == 404)

            let report = try await world.send(.post, "/v1/gap-reports?policy=cis-v8-control-8", as: "cyd")
            #expect(report.status == 200, "\(report.text)")
            let findings = try #require(report.json["findings"] as? [[String: Any]])
            // corp-net: firewall 365 d and proxy 30 d → 8.10 needs one of the host/app audit types, which it lacks.
            #expect(findings.contains { $0["requirement"] as? String == "8.10-retention" && $0["target"] as? String == "corp-net" && $0["status"] as? String == "missing" })
            // dept-a's proxy keeps 30 d; safeguard 8.7 asks for 90.
            #expect(findings.contains { $0["requirement"] as? String == "8.7-url" && $0["target"] as? String == "dept-a" && $0["status"] as? String == "partial"
                && ($0["shortfalls"] as? [String]) == ["retention 30 d < 90 d required"] })
            #expect((report.json["remediation"] as? [[String: Any]])?.isEmpty == false)
            let markdown = try await world.send(.post, "/v1/gap-reports?format=md&org=dept-a", as: "cyd")
            #expect(markdown.status == 200 && markdown.text.hasPrefix("# Logging gap report") && !markdown.text.contains("vendor-dc"))
            let unknown = try await world.send(.post, "/v1/gap-reports?policy=pci", as: "cyd")
            #expect(unknown.status == 422 && unknown.text.contains("pci-dss-4"))
        }
    }

    @Test func storedReportsDiffAndAreScopedPerFinding() async throws {
        try await withTestApp { world in
            let first = try await world.send(.post, "/v1/gap-reports?policy=cis-v8-control-8", as: "cyd")
            let firstID = try #require(first.json["id"] as? String)
            // Fix one gap: dept-a's proxy now keeps 120 days (8.7 asks 90).
            let proxy = try #require((try await world.send(.get, "/v1/sources?q=proxy", as: "ada").json["items"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await world.send(.patch, "/v1/sources/\(proxy)", as: "cus-a", json: ["retention_tiers": [["medium": "siem", "days": 120]]]).status == 200)
            // …and open another: vendor-b's auth log loses its tape tier.
            let auth = try #require((try await world.send(.get, "/v1/sources?q=auth", as: "ada").json["items"] as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await world.send(.patch, "/v1/sources/\(auth)", as: "cus-b", json: ["retention_tiers": [["medium": "device-local", "days": 7]]]).status == 200)
            let second = try await world.send(.post, "/v1/gap-reports?policy=cis-v8-control-8", as: "cyd")
            let secondID = try #require(second.json["id"] as? String)

            let diff = try await world.send(.get, "/v1/gap-reports/\(secondID)/diff?against=\(firstID)", as: "cyd")
            #expect(diff.status == 200)
            let improved = (diff.json["improved"] as? [[String: Any]])?.compactMap { $0["key"] as? String } ?? []
            let regressed = (diff.json["regressed"] as? [[String: Any]])?.compactMap { $0["key"] as? String } ?? []
            #expect(improved == ["cis-v8-control-8/8.7-url@org:dept-a"])
            #expect(regressed == ["cis-v8-control-8/8.10-retention@system:vendor-dc"], "\(diff.text)")

            // The CSIRT's stored report, read by a custodian, shows only that custodian's organisation.
            let asCustodian = try await world.send(.get, "/v1/gap-reports/\(secondID)?format=csv", as: "cus-a")
            #expect(asCustodian.status == 200 && asCustodian.text.contains("corp-net") && !asCustodian.text.contains("vendor"))
            let asCSIRT = try await world.send(.get, "/v1/gap-reports/\(secondID)?format=html", as: "cyd")
            #expect(asCSIRT.text.contains("vendor-dc") && asCSIRT.text.hasPrefix("<!DOCTYPE html>"))
            #expect(try await world.send(.get, "/v1/gap-reports/00000000-0000-0000-0000-000000000000", as: "cyd").status == 404)
        }
    }

    /// A revoked token keeps working for the cache's lifetime and not a moment longer, on the application's clock.
    @Test func tokenLookupsAreCachedForTheirLifetime() async throws {
        let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        try await withTestApp(tokenCacheLifetime: .seconds(3), clock: { now.withLock { $0 } }) { world in
            #expect(try await world.send(.get, "/v1/me", as: "cyd").status == 200)
            try await IdentityStore(database: world.database).revokeToken(String(world.tokens["cyd"]!.prefix(10)), actor: "test")
            now.withLock { $0 += 2.9 }
            #expect(try await world.send(.get, "/v1/me", as: "cyd").status == 200)
            now.withLock { $0 += 0.2 }
            #expect(try await world.send(.get, "/v1/me", as: "cyd").status == 401)
        }
    }

    @Test func revokedAndExpiredTokensAreRefused() async throws {
        try await withTestApp { world in
            #expect(try await world.send(.get, "/v1/me", as: "cyd").json["role"] as? String == "csirt")
            let identity = IdentityStore(database: world.database)
            #expect(try await identity.revokeToken(String(world.tokens["cyd"]!.prefix(10)), actor: "test") == 1)
            #expect(try await world.send(.get, "/v1/me", as: "cyd").status == 401)
            let expired = try await identity.createToken(for: "aud", lifetime: .seconds(60), actor: "test", now: Date().addingTimeInterval(-3600))
            #expect(try await world.send(.get, "/v1/me", as: expired.secret).status == 401)
            // Only the hash is stored.
            let stored = try await world.database.client.query("SELECT count(*) FROM api_tokens WHERE encode(token_hash, 'escape') LIKE '%la_%'")
            for try await count in stored.decode(Int.self) { #expect(count == 0) }
        }
    }
}
