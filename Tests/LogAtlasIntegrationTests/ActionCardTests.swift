import Foundation
import LogAtlasCore
import Testing
import TestSupport

@Suite("Action cards on PostgreSQL")
struct ActionCardTests {
    static var defaults: [String: Any] { ["entries": [["responsible": "Dept A duty manager", "contact": "+81 3 5555 0100",
                                                       "first_actions": ["Call the CSIRT hotline"]]]] }
    static var own: [String: Any] { ["entries": [["incident_types": [100, 300], "severities": ["serious", "critical"], "responsible": "Network on-call",
                                                  "contact": "+81 3 5555 0101", "first_actions": ["Block the source at the perimeter", "Preserve firewall logs"],
                                                  "log_types": ["network.firewall", "network.proxy"]]]] }

    @Test("set by the owner's custodian, resolved against the defaults, printable in two languages, versioned and audited")
    func setResolvePrint() async throws {
        try await withTestApp { world in
            // Only the owner organisation's custodians (and admins) set cards; another custodian does not see the system.
            #expect(try await world.send(.put, "/v1/action-cards/dept-a", as: "cyd", json: Self.defaults).status == 403)
            #expect(try await world.send(.put, "/v1/systems/corp-net/action-card", as: "cus-b", json: Self.own).status == 404)
            var blank = Self.own
            blank["entries"] = [["responsible": " ", "contact": "x"]]
            let refused = try await world.send(.put, "/v1/systems/corp-net/action-card", as: "cus-a", json: blank)
            #expect(refused.status == 422 && (refused.json["errors"] as? [[String: Any]])?.first?["path"] as? String == "entries[0].responsible")

            #expect(try await world.send(.put, "/v1/action-cards/dept-a", as: "cus-a", json: Self.defaults).json["version"] as? Int == 1)
            var first = Self.own
            first["version"] = 0
            let set = try await world.send(.put, "/v1/systems/corp-net/action-card", as: "cus-a", json: first)
            #expect(set.status == 200 && set.json["version"] as? Int == 1 && set.json["system"] as? String == "corp-net", "\(set.text)")
            // A second edit based on the version read before is refused; nothing changes.
            #expect(try await world.send(.put, "/v1/systems/corp-net/action-card", as: "ada", json: first).status == 412)

            let card = try await world.send(.get, "/v1/systems/corp-net/action-card", as: "aud")
            let cells = card.json["cells"] as? [[String: Any]] ?? []
            #expect(cells.count == 24)
            let serious = try #require(cells.first { $0["incident_type"] as? Int == 100 && $0["severity"] as? String == "serious" })
            #expect(serious["responsible"] as? String == "Network on-call" && serious["from_defaults"] as? Bool == false)
            #expect(cells.first { $0["incident_type"] as? Int == 200 }?["from_defaults"] as? Bool == true)
            let markdown = try await world.send(.get, "/v1/systems/corp-net/action-card?format=md", as: "cyd")
            #expect(markdown.text.contains("| serious | Network on-call | +81 3 5555 0101 | Block the source at the perimeter; Preserve firewall logs |"))
            let japanese = try await world.send(.get, "/v1/systems/corp-net/action-card?format=html&lang=ja", as: "cus-a")
            #expect(japanese.text.contains(#"<html lang="ja">"#) && japanese.text.contains("不正アクセス") && japanese.text.contains("組織の既定"))
            #expect(try await world.send(.get, "/v1/systems/corp-net/action-card", as: "cus-b").status == 404)
            // The console's source page links the printable card, in the reader's language.
            try await world.setConsolePasswords()
            let console = try await world.visitor(signedInAs: "cus-a")
            let firewall = try await world.sourceIDs()["firewall"]!
            #expect(try await console.get("/sources/\(firewall)").text.contains(#"<a href="/systems/corp-net/action-card" id="action-card">"#))
            let printable = try await console.get("/systems/corp-net/action-card")
            #expect(printable.status == 200 && printable.text.contains("Network on-call") && printable.text.contains("Dept A duty manager (organisation default)"))
            #expect((try await world.send(.get, "/v1/action-cards", as: "cus-b").json["items"] as? [Any])?.isEmpty == true)
            #expect((try await world.send(.get, "/v1/action-cards", as: "cyd").json["items"] as? [Any])?.count == 2)

            var actions: [String] = []
            for try await (action, actor) in try await world.database.client.query("""
                SELECT action, actor FROM audit_events WHERE object_type = 'action_card' ORDER BY seq
                """).decode((String, String).self) { actions.append("\(action) \(actor)") }
            #expect(actions == ["action_card.create cus-a", "action_card.create cus-a"])
        }
    }

    @Test("inventory as code: apply reads action_cards in one transaction with the rest, export writes them back, prune removes them")
    func applyAndExport() async throws {
        try await withTestApp { world in
            let export = try await world.send(.get, "/v1/inventory/export", as: "ada")
            let file = export.text + """
                action_cards:
                  - org: dept-a
                    entries:
                      - {responsible: Dept A duty manager, contact: "+81 3 5555 0100"}
                  - system: corp-net
                    entries:
                      - {responsible: Network on-call, contact: "+81 3 5555 0101", severities: [serious, critical], log_types: [network.firewall]}

                """
            let dry = try await world.send(.post, "/v1/inventory/apply?dry_run=true", as: "ada", body: file)
            #expect((dry.json["action_cards"] as? [String: Any])?["created"] as? [String] == ["org dept-a", "system corp-net"], "\(dry.text)")
            #expect((try await world.send(.get, "/v1/action-cards", as: "ada").json["items"] as? [Any])?.isEmpty == true)
            // A bad entry fails the whole file, with its line; nothing is applied.
            let broken = file.replacingOccurrences(of: "severities: [serious, critical]", with: "severities: [urgent]")
            let refused = try await world.send(.post, "/v1/inventory/apply", as: "ada", body: broken)
            #expect(refused.status == 422 && refused.text.contains("action_cards[1].entries[0].severities[0]"), "\(refused.text)")
            #expect((try await world.send(.get, "/v1/action-cards", as: "ada").json["items"] as? [Any])?.isEmpty == true)

            #expect(try await world.send(.post, "/v1/inventory/apply", as: "ada", body: file).status == 200)
            let exported = try await world.send(.get, "/v1/inventory/export", as: "ada").text
            #expect(exported.contains("action_cards:\n  - org: dept-a\n") && exported.contains("  - system: corp-net\n"), "\(exported)")
            let again = try await world.send(.post, "/v1/inventory/apply?dry_run=true", as: "ada", body: exported)
            #expect((again.json["action_cards"] as? [String: Any])?["unchanged"] as? Int == 2, "\(again.text)")
            // Pruning with a file that lists no card removes them.
            #expect(try await world.send(.post, "/v1/inventory/apply?prune=true", as: "ada", body: export.text).status == 200)
            #expect((try await world.send(.get, "/v1/action-cards", as: "ada").json["items"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("a policy can require a responsible contact on internet-facing systems at serious and critical")
    func requiredContact() async throws {
        try await withTestApp { world in
            let policy = """
                id: contacts
                title: Someone answers for internet-facing systems
                version: "1"
                citation: internal
                status: current
                requirements:
                  - id: contact
                    title: A responsible contact at serious and critical
                    clause: "3.1"
                    applies_to: {systems: {internet_facing: true}}
                    responsible_contact: {severities: [serious, critical]}
                """
            #expect(try await world.send(.put, "/v1/policies/contacts", as: "ada", body: policy, contentType: "application/yaml").status == 200)
            let shown = try await world.send(.get, "/v1/policies/contacts", as: "cyd")
            #expect(((shown.json["requirements"] as? [[String: Any]])?.first?["responsible_contact"] as? [String: Any])?["severities"] as? [String]
                    == ["serious", "critical"], "\(shown.text)")
            let before = try await world.send(.post, "/v1/gap-reports?policy=contacts", as: "cyd")
            let finding = try #require((before.json["findings"] as? [[String: Any]])?.first)
            #expect(finding["target"] as? String == "vendor-dc" && finding["status"] as? String == "partial")
            #expect((finding["shortfalls"] as? [String])?.first?.hasPrefix("no responsible contact on the action card for 100/serious") == true)
            #expect(try await world.send(.put, "/v1/systems/vendor-dc/action-card", as: "cus-b", json: [
                "entries": [["severities": ["serious", "critical"], "responsible": "Vendor NOC", "contact": "noc@b.example"]]]).status == 200)
            let after = try await world.send(.post, "/v1/gap-reports?policy=contacts", as: "cyd")
            #expect((after.json["findings"] as? [[String: Any]])?.first?["status"] as? String == "met", "\(after.text)")
        }
    }
}
