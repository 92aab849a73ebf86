import Foundation
import LogAtlasCore
import LogAtlasFormats
import Testing

/// Action cards: resolving a system's card against its owner's defaults, requiring a responsible contact in the gap
/// analysis, the inventory-file section, and the printable card.
@Suite("Action cards")
struct ActionCardCoreTests {
    static let now = Timestamp.parse("2026-12-08T02:00:00Z")!
    static let owner = OrgID("digital")
    static let web = ProtectedSystem(id: SystemID("public-web"), name: "Public web", ownerOrgID: owner, criticality: .high, isInternetFacing: true)

    static let defaults = ActionCard(orgID: owner, entries: [
        ActionCardEntry(responsible: "Digital duty manager", contact: "+81 3 5555 0100", firstActions: ["Call the CSIRT"]),
        ActionCardEntry(incidentTypes: [.malware], severities: [.critical], responsible: "CISO", contact: "ciso@example.com"),
    ])
    static let own = ActionCard(orgID: owner, systemID: web.id, entries: [
        ActionCardEntry(incidentTypes: [.unauthorisedAccess, .malware], severities: [.serious, .critical], responsible: "Web on-call",
                        contact: "+81 3 5555 0101", firstActions: ["Take the host out of the load balancer", "Preserve nginx logs"],
                        logTypes: ["web.access", "host.linux-auth"]),
    ])

    @Test("a system's entries override its owner's defaults cell by cell; a later entry overrides an earlier one")
    func resolution() throws {
        let card = ResolvedActionCard(system: Self.web, systemCard: Self.own, defaults: Self.defaults)
        #expect(card.cells.count == 24)
        let rows: [(IncidentType, Priority, String, Bool)] = [
            (.unauthorisedAccess, .critical, "Web on-call", false),
            (.malware, .critical, "Web on-call", false),          // the system's card wins over the defaults' later entry
            (.malware, .medium, "Digital duty manager", true),
            (.denialOfService, .critical, "Digital duty manager", true),
        ]
        for (type, severity, responsible, fromDefaults) in rows {
            let cell = try #require(card.cell(type, severity))
            #expect(cell.entry.responsible == responsible && cell.fromDefaults == fromDefaults, "\(type) \(severity)")
        }
        let defaultsOnly = ResolvedActionCard(system: Self.web, systemCard: nil, defaults: Self.defaults)
        #expect(defaultsOnly.cell(.malware, .critical)?.entry.responsible == "CISO")
        let partial = ResolvedActionCard(system: Self.web, systemCard: Self.own, defaults: nil)
        #expect(partial.uncovered(types: [.unauthorisedAccess], severities: [.medium, .serious, .critical]).map { "\($0.0.rawValue)/\($0.1.rawValue)" }
                == ["100/medium"])
        #expect(partial.uncovered(types: [], severities: []).count == 24 - 4)
    }

    @Test("a requirement can ask for a responsible contact in chosen cells of every internet-facing system")
    func gapRequirement() {
        let policy = Policy(id: "ir", title: "IR", version: "1", citation: "internal", status: .current, requirements: [
            Requirement(id: "contact", title: "Someone answers for internet-facing systems", clause: "3.1",
                        appliesTo: TargetSelector(internetFacing: true), logTypes: .anyOf([]), incidentTypes: [.unauthorisedAccess],
                        responsibleContact: ResponsibleContactRule(severities: [.serious, .critical])),
        ])
        let inventory = Inventory(orgs: [Organisation(id: Self.owner, name: "Digital", kind: .department)], systems: [Self.web])
        let bare = GapAnalysis.findings(for: [policy], in: inventory, now: Self.now)
        #expect(bare.count == 1 && bare[0].status == .partial)
        #expect(bare[0].shortfalls.first?.description.hasPrefix("no responsible contact on the action card for 100/serious, 100/critical, 200/serious") == true)
        #expect(GapReport(findings: bare, inventory: inventory).remediation.first?.action.hasPrefix("name who acts and how to reach them on the action card of public-web") == true)
        let own = GapAnalysis.findings(for: [policy], in: inventory, now: Self.now, actionCards: [Self.own])
        #expect(own[0].status == .partial && own[0].shortfalls.first?.description == "no responsible contact on the action card for "
                + "200/serious, 200/critical, 400/serious, 400/critical, 500/serious, 500/critical, 600/serious, 600/critical")
        #expect(GapAnalysis.findings(for: [policy], in: inventory, now: Self.now, actionCards: [Self.own, Self.defaults])[0].status == .met)
    }

    @Test("policy files: responsible_contact with or without log types; bad cells are problems at their place")
    func policyYAML() throws {
        let yaml = """
            id: ir
            title: IR
            version: "1"
            citation: internal
            status: current
            requirements:
              - id: contact
                title: Someone answers
                clause: "3.1"
                applies_to: {systems: {internet_facing: true}}
                responsible_contact: {incident_types: [100, 300], severities: [serious, critical]}
            """
        let policy = try PolicyYAML.decode(yaml)
        #expect(policy.requirements[0].responsibleContact == ResponsibleContactRule(incidentTypes: [.unauthorisedAccess, .malware], severities: [.serious, .critical]))
        #expect(policy.requirements[0].logTypes.types.isEmpty)
        let bad = yaml.replacingOccurrences(of: "severities: [serious, critical]", with: "severities: [serious, urgent]")
        #expect(throws: FormatError.self) { try PolicyYAML.decode(bad) }
        do { _ = try PolicyYAML.decode(bad) } catch let error as FormatError {
            #expect(error.problems.map { "\($0.line):\($0.column) \($0.path)" } == ["11:77 requirements[0].responsible_contact.severities[1]"])
        }
    }

    @Test("inventory files: action_cards read with their places, written back the same")
    func inventoryYAML() throws {
        let yaml = """
            orgs:
              - {id: digital, name: Digital, kind: department}
            systems:
              - {id: public-web, name: Public web, owner_org: digital, internet_facing: true}
            sources: []
            action_cards:
              - org: digital
                entries:
                  - {responsible: Digital duty manager, contact: "+81 3 5555 0100", first_actions: [Call the CSIRT]}
              - system: public-web
                entries:
                  - responsible: Web on-call
                    contact: "+81 3 5555 0101"
                    incident_types: [100, 300]
                    severities: [serious, critical]
                    first_actions: ["Take the host out of the load balancer", "Preserve nginx logs | all of them"]
                    log_types: [web.access]
            """
        let inventory = try InventoryYAML.decode(yaml)
        #expect(inventory.actionCards.count == 2)
        #expect(inventory.actionCards[1].orgID == Self.owner && inventory.actionCards[1].systemID == Self.web.id)
        #expect(inventory.actionCards[1].entries[0].severities == [.serious, .critical])
        let again = try InventoryYAML.decode(InventoryYAML.encode(inventory))
        #expect(again.actionCards.map(\.key) == inventory.actionCards.map(\.key) && again.actionCards.map(\.entries) == inventory.actionCards.map(\.entries))

        let rows: [(String, String)] = [
            (yaml.replacingOccurrences(of: "  - system: public-web", with: "  - system: nowhere"), "10:13 action_cards[1].system unknown system 'nowhere'"),
            (yaml.replacingOccurrences(of: "  - org: digital\n", with: "  - org: digital\n    system: public-web\n"),
             "7:5 action_cards[0] name either the organisation (org: its defaults) or the system (system: its own card)"),
            (yaml.replacingOccurrences(of: "log_types: [web.access]", with: "log_types: [web.nope]"), "17:21 action_cards[1].entries[0].log_types[0] unknown log type 'web.nope'"),
            (yaml.replacingOccurrences(of: "contact: \"+81 3 5555 0101\"", with: "contact: \" \""), "13:18 action_cards[1].entries[0].contact 1 to 200 characters"),
        ]
        for (text, expected) in rows {
            do {
                _ = try InventoryYAML.decode(text)
                Issue.record("no problem for \(expected)")
            } catch let error as FormatError {
                let found = error.problems.map { "\($0.line):\($0.column) \($0.path) \($0.message)" }
                #expect(found.count == 1 && found[0].hasPrefix(expected), "\(found)")
            }
        }
    }

    @Test("the printable card: every incident type, severities from critical down, defaults marked, English and Japanese, escaped")
    func printable() {
        var own = Self.own
        own.entries[0].firstActions.append("<script>alert(1)</script> | pipe")
        let card = ResolvedActionCard(system: Self.web, systemCard: own, defaults: nil)
        let english = ActionCardRenderer.markdown(card, language: .en, now: Self.now)
        #expect(english.hasPrefix("# Action card: Public web (public-web)\n"))
        #expect(english.contains("## 100 unauthorised access\n\n| Severity | Responsible | Contact | First actions | Logs needed |"))
        #expect(english.contains("| critical | Web on-call | +81 3 5555 0101 | Take the host out of the load balancer; Preserve nginx logs; "
                                 + "<script>alert(1)</script> \\| pipe | web.access, host.linux-auth |"))
        #expect(english.contains("| medium | — nobody named — |"))
        let japanese = ActionCardRenderer.markdown(ResolvedActionCard(system: Self.web, systemCard: nil, defaults: Self.defaults), language: .ja, now: Self.now)
        #expect(japanese.contains("# アクションカード") && japanese.contains("## 300 マルウェア") && japanese.contains("| 緊急 | CISO (組織の既定) |")
                && japanese.contains("| 中 | Digital duty manager (組織の既定) |"))
        let html = ActionCardRenderer.html(card, language: .ja, now: Self.now)
        #expect(html.contains(#"<html lang="ja">"#) && html.contains("&lt;script&gt;") && !html.contains("<script>"))
        #expect(html.components(separatedBy: "<table>").count == 7)
    }
}
