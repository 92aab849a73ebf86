import Foundation
import LogAtlasCore

extension InventoryYAML {
    /// Writes an inventory in the format `decode` reads, in a stable order so that exports diff cleanly.
    public static func encode(_ inventory: Inventory) -> String {
        var out = "# LogAtlas inventory — apply with: logatlas apply -f <this file>\n"
        out += "orgs:\n"
        for org in inventory.orgs {
            out += "  - id: \(scalar(org.id.rawValue))\n    name: \(scalar(org.name))\n    kind: \(org.kind.rawValue)\n"
            if let parent = org.parentID { out += "    parent: \(scalar(parent.rawValue))\n" }
            if !org.contacts.isEmpty { out += "    contacts: \(flowList(org.contacts))\n" }
            if let contact = org.escalationContact { out += "    escalation_contact: \(scalar(contact))\n" }
        }
        out += "systems:\n"
        for system in inventory.systems {
            out += "  - id: \(scalar(system.id.rawValue))\n    name: \(scalar(system.name))\n    owner_org: \(scalar(system.ownerOrgID.rawValue))\n"
            out += "    criticality: \(system.criticality.rawValue)\n    internet_facing: \(system.isInternetFacing)\n"
            if !system.tags.isEmpty { out += "    tags: \(flowList(system.tags))\n" }
            if let description = system.description { out += "    description: \(scalar(description))\n" }
        }
        out += "sources:\n"
        for source in inventory.sources { out += encode(source) }
        if !inventory.actionCards.isEmpty {
            out += "action_cards:\n"
            for card in inventory.actionCards { out += encode(card) }
        }
        return out
    }

    static func encode(_ card: ActionCard) -> String {
        var out = card.systemID.map { "  - system: \(scalar($0.rawValue))\n" } ?? "  - org: \(scalar(card.orgID.rawValue))\n"
        out += card.entries.isEmpty ? "    entries: []\n" : "    entries:\n"
        for entry in card.entries {
            out += "      - responsible: \(scalar(entry.responsible))\n        contact: \(scalar(entry.contact))\n"
            if !entry.incidentTypes.isEmpty { out += "        incident_types: [\(entry.incidentTypes.map { String($0.rawValue) }.joined(separator: ", "))]\n" }
            if !entry.severities.isEmpty { out += "        severities: \(flowList(entry.severities.map(\.rawValue)))\n" }
            if !entry.firstActions.isEmpty { out += "        first_actions: \(flowList(entry.firstActions))\n" }
            if !entry.logTypes.isEmpty { out += "        log_types: \(flowList(entry.logTypes))\n" }
        }
        return out
    }

    static func encode(_ source: LogSource) -> String {
        var out = "  - system: \(scalar(source.systemID.rawValue))\n    name: \(scalar(source.name))\n    log_type: \(source.logType)\n"
        if let product = source.product { out += "    product: \(scalar(product))\n" }
        if let format = source.format { out += "    format: \(scalar(format))\n" }
        out += "    custodian_org: \(scalar(source.custodianOrgID.rawValue))\n"
        out += "    retention_tiers:\n"
        for tier in source.retentionTiers {
            var parts = ["medium: \(tier.medium.rawValue)", "days: \(tier.days)", "searchable: \(tier.isSearchable)"]
            if let hours = tier.retrievalHours { parts.append("retrieval_hours: \(number(hours))") }
            out += "      - {\(parts.joined(separator: ", "))}\n"
        }
        // An access procedure with nothing in it is written as `{}`, which reads back as the same empty procedure.
        if let access = source.accessProcedure, access == AccessProcedure() {
            out += "    access_procedure: {}\n"
        } else if let access = source.accessProcedure {
            out += "    access_procedure:\n"
            if let contact = access.contact { out += "      contact: \(scalar(contact))\n" }
            if !access.approvals.isEmpty { out += "      approvals: \(flowList(access.approvals))\n" }
            if let steps = access.steps { out += "      steps: \(scalar(steps))\n" }
            if let lead = access.leadTimeHours { out += "      lead_time_hours: \(number(lead))\n" }
            if let delivery = access.delivery { out += "      delivery: \(delivery.rawValue)\n" }
        }
        if !source.fields.isEmpty { out += "    fields: \(flowList(source.fields))\n" }
        out += "    clock: {ntp_synced: \(source.clock.isNTPSynced)\(source.clock.timezone.map { ", timezone: \(scalar($0))" } ?? "")}\n"
        if let volume = source.volumeGBPerDay { out += "    volume_gb_per_day: \(number(volume))\n" }
        if let notes = source.notes { out += "    notes: \(scalar(notes))\n" }
        return out
    }

    /// A YAML scalar: plain when unambiguous, else a double-quoted (JSON-compatible) string.
    static func scalar(_ value: String) -> String {
        let plain = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./@ ")
        let reserved: Set = ["true", "false", "yes", "no", "on", "off", "null", "~", ""]
        let looksNumeric = Double(value) != nil
        if value.unicodeScalars.allSatisfy({ plain.contains($0) }), !reserved.contains(value.lowercased()), !looksNumeric,
           value.first != " ", value.last != " ", value.first != "-", value.first != "@" {
            return value
        }
        let data = (try? JSONEncoder().encode(value)) ?? Data("\"\"".utf8)
        return escapingNonPrintable(String(decoding: data, as: UTF8.self))
    }

    /// JSON leaves DEL, the C1 controls and the non-characters U+FFFE/U+FFFF raw inside quotes; YAML 1.2 allows only
    /// printable characters there, so they become `\uXXXX` escapes (JSON has already escaped U+0000–U+001F). NEL,
    /// LS and PS are escaped as well: YAML 1.1 readers (libyaml, PyYAML) take them for line breaks and fold them.
    static func escapingNonPrintable(_ quoted: String) -> String {
        guard quoted.unicodeScalars.contains(where: isNonPrintable) else { return quoted }
        var out = String.UnicodeScalarView()
        for scalar in quoted.unicodeScalars {
            if isNonPrintable(scalar) {
                out.append(contentsOf: String(format: "\\u%04X", scalar.value).unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    static func isNonPrintable(_ scalar: Unicode.Scalar) -> Bool {
        (0x7F...0x9F).contains(scalar.value) || [0x2028, 0x2029, 0xFFFE, 0xFFFF].contains(scalar.value)
    }

    static func flowList(_ values: [String]) -> String { "[" + values.map(scalar).joined(separator: ", ") + "]" }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
