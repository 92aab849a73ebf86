import Foundation
import LogAtlasCore

/// Writes the e-mail for one queued event, in the recipient's language, from the same payload a webhook carries:
/// what happened, the request's shared fields, the due dates, and a link to the item's request page in the console.
struct MailComposer: Sendable {
    /// The console's address as its users reach it, e.g. `https://logatlas.example.com`.
    let consoleURL: String

    struct Payload: Decodable {
        struct Request: Decodable {
            struct Window: Decodable { let from: String; let to: String }
            let id: String
            let incident_reference: String
            let priority: String
            let purpose: String
            let window: Window
        }
        struct Item: Decodable {
            let custodian_org: String
            let acknowledge_due: String?
            let deliver_due: String?
            let preserve_before: String?
        }
        struct Agreement: Decodable {
            let id: String
            let version: Int
            let custodian_org: String
            let csirt_org: String
            let valid_until: String
            let promised_lead_hours: Double
        }
        let request: Request?
        let item: Item?
        let agreement: Agreement?
        let note: String?
        let actor: String?
    }

    /// Subject and plain-text body; nil when the payload cannot be read (the message is then given up, not retried).
    func compose(_ message: MailOutboxMessage) -> (subject: String, body: String)? {
        guard let payload = try? JSONDecoder().decode(Payload.self, from: Data(message.payload.utf8)) else { return nil }
        let ja = message.language == "ja"
        func t(_ pair: (String, String)) -> String { ja ? pair.1 : pair.0 }
        if let agreement = payload.agreement { return compose(agreement, t: t) }
        guard let request = payload.request, let item = payload.item else { return nil }
        let due = message.event.contains("acknowledge") ? item.acknowledge_due : item.deliver_due
        let (subject, opening): (String, String) = switch message.event {
        case "item.requested":
            (t(("New log request", "新しいログ提供依頼")),
             t(("The CSIRT asks \(item.custodian_org) for logs.", "CSIRT から \(item.custodian_org) へのログ提供依頼です。")))
        case "item.answer":
            (t(("Your question was answered", "質問に回答がありました")),
             t(("The CSIRT answered your question:", "CSIRT から質問への回答です:")) + "\n\n" + (payload.note ?? ""))
        case "sla.acknowledge.reminder", "sla.deliver.reminder":
            (t(("Reminder", "リマインダー")),
             t(("This request is due \(Self.readable(due)).", "この依頼の期限は \(Self.readable(due)) です。")))
        default:
            (t(("Overdue", "期限超過")),
             t(("This request was due \(Self.readable(due)) and is overdue; the escalation contact is informed.",
                "この依頼は期限 \(Self.readable(due)) を過ぎています。エスカレーション先にも通知しています。")))
        }
        var lines = [opening, "",
                     t(("Incident", "インシデント")) + ": \(request.incident_reference)",
                     t(("Priority", "優先度")) + ": \(request.priority)",
                     t(("Purpose", "目的")) + ": \(request.purpose)",
                     t(("Window", "対象期間")) + ": \(Self.readable(request.window.from)) – \(Self.readable(request.window.to))",
                     t(("Acknowledge by", "受領期限")) + ": \(Self.readable(item.acknowledge_due))",
                     t(("Deliver by", "提供期限")) + ": \(Self.readable(item.deliver_due))"]
        if let preserve = item.preserve_before {
            lines.append(t(("Preserve before \(Self.readable(preserve)): records of the window leave a retention tier then.",
                            "\(Self.readable(preserve)) までに保全してください: 対象期間の記録がその時点で保存階層から消えます。")))
        }
        lines += ["", t(("Open the request", "依頼を開く")) + ": \(consoleURL)/requests/\(request.id)", "",
                  t(("— LogAtlas. You receive this because you hold logs for \(item.custodian_org).",
                     "— LogAtlas。\(item.custodian_org) のログ管理者としてお送りしています。"))]
        return ("[LogAtlas] \(subject): \(request.incident_reference) (\(request.priority))", lines.joined(separator: "\n"))
    }

    /// The reminder that a standing agreement lapses soon, to both of its sides.
    func compose(_ agreement: Payload.Agreement, t: ((String, String)) -> String) -> (subject: String, body: String) {
        let until = Self.readable(agreement.valid_until)
        let lines = [
            t(("The standing retrieval agreement between \(agreement.custodian_org) and \(agreement.csirt_org) lapses on \(until).",
               "\(agreement.custodian_org) と \(agreement.csirt_org) の事前合意は \(until) に失効します。")),
            t(("After that, requests for its sources wait for the custodian's approval again. Renew it by agreeing new terms (a new version) before then.",
               "失効後は、対象ログの依頼に再び保管者の承認が必要になります。それまでに新しい条件 (新しい版) で合意し直してください。")),
            "",
            t(("Version", "版")) + ": \(agreement.version)",
            t(("Promised delivery", "提供の約束")) + ": \(String(format: "%g", agreement.promised_lead_hours)) h",
            t(("Agreement", "事前合意")) + ": \(agreement.id) (logatlas agreement show \(agreement.id))", "",
            t(("— LogAtlas. You receive this as a party to the agreement.", "— LogAtlas。事前合意の当事者としてお送りしています。")),
        ]
        return ("[LogAtlas] " + t(("Standing agreement lapses soon", "事前合意の失効が近づいています")) + ": \(agreement.custodian_org) → \(agreement.csirt_org)",
                lines.joined(separator: "\n"))
    }

    /// `2026-12-05 10:00 UTC` from a payload's timestamp; the text as it is when it is not one.
    static func readable(_ timestamp: String?) -> String {
        guard let timestamp else { return "—" }
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = parser.date(from: timestamp) ?? ISO8601DateFormatter().date(from: timestamp) else { return timestamp }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: date)
    }
}
