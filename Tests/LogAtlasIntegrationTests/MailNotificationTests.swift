import Foundation
import LogAtlasCore
import LogAtlasStore
import PostgresNIO
import Synchronization
import Testing
import TestSupport
@testable import LogAtlasServer

/// E-mail from the webhook outbox, on PostgreSQL: who is queued for which event, in which language, exactly once, and
/// what the message says. (Sending over STARTTLS and implicit TLS to a real SMTP server is
/// `scripts/notifications_check.py` in `make test`.)
@Suite("E-mail notifications")
struct MailNotificationTests {
    static func queued(_ world: TestWorld) async throws -> [(event: String, to: String, language: String)] {
        var rows: [(String, String, String)] = []
        for try await row in try await world.database.client.query(
            "SELECT event, mail_to, mail_language FROM webhook_outbox WHERE mail_to IS NOT NULL ORDER BY id").decode((String, String, String).self) {
            rows.append(row)
        }
        return rows.map { (event: $0.0, to: $0.1, language: $0.2) }
    }

    @Test func nothingIsQueuedWithoutAMailServer() async throws {
        try await withTestApp { world in
            _ = try await BrokerJobsTests.fileCritical(world.database)
            #expect(try await Self.queued(world).isEmpty)
        }
    }

    @Test func aNewItemGoesToTheOrganisationsContactsOrToItsMembersInTheirLanguage() async throws {
        try await withTestApp { world in
            let notifications = NotificationStore(database: world.database)
            try await notifications.setMailEnabled(true)
            _ = try await BrokerJobsTests.fileCritical(world.database)
            // dept-a's custodian has no address: the organisation's contact is mailed, in English.
            #expect(try await Self.queued(world).map(\.to) == ["it@a.example"])
            try await IdentityStore(database: world.database).setContact(of: "cus-a", email: "cus-a@a.example", language: "ja", actor: "test")
            _ = try await BrokerJobsTests.fileCritical(world.database)
            let second = try await Self.queued(world).dropFirst()
            #expect(second.map(\.to) == ["cus-a@a.example"] && second.map(\.language) == ["ja"] && second.map(\.event) == ["item.requested"])
        }
    }

    @Test func anEscalationAlsoReachesTheEscalationContactAndEachMailIsSentOnce() async throws {
        try await withTestApp { world in
            let notifications = NotificationStore(database: world.database)
            try await notifications.setMailEnabled(true)
            let request = try await BrokerJobsTests.fileCritical(world.database)
            let sla = SLAStore(database: world.database)
            _ = try await sla.runPass(now: BrokerJobsTests.filed.addingTimeInterval(2 * BrokerJobsTests.hour), policy: SLAPolicy())
            _ = try await sla.runPass(now: BrokerJobsTests.filed.addingTimeInterval(4 * BrokerJobsTests.hour), policy: SLAPolicy())
            #expect(try await Self.queued(world).map(\.event) == ["item.requested", "sla.acknowledge.reminder", "sla.acknowledge.overdue"])
            // dept-a has no escalation contact; give it one and escalate the deliver deadline.
            try await world.database.client.query("UPDATE orgs SET escalation_contact = 'duty@a.example' WHERE id = 'dept-a'")
            _ = try await sla.runPass(now: BrokerJobsTests.filed.addingTimeInterval(24 * BrokerJobsTests.hour), policy: SLAPolicy())
            let overdue = try await Self.queued(world).filter { $0.event == "sla.deliver.overdue" }.map(\.to).sorted()
            #expect(overdue == ["duty@a.example", "it@a.example"])
            let queued = try await Self.queued(world).count
            #expect(queued == 6, "requested, two reminders, the acknowledgement and the delivery overdue (twice)")
            // The first attempt fails (a 451 from the server), the retry delivers, and nothing is sent again.
            let sent = Mutex<[Int64]>([])
            let attempt = Mutex(0)
            let now = BrokerJobsTests.filed.addingTimeInterval(25 * BrokerJobsTests.hour)
            let send: @Sendable ([MailOutboxMessage]) async -> [DeliveryAttempt] = { messages in
                let failing = attempt.withLock { $0 += 1; return $0 == 1 }
                if !failing { sent.withLock { $0 += messages.map(\.id) } }
                return messages.map { DeliveryAttempt(messageID: $0.id, statusCode: failing ? 451 : 250, error: nil, duration: 0.01) }
            }
            #expect(try await notifications.deliverDueMail(now: now, retry: RetryPolicy(), send) == queued)
            #expect(try await notifications.deliverDueMail(now: now, retry: RetryPolicy(), send) == 0, "rescheduled with back-off")
            #expect(try await notifications.deliverDueMail(now: now.addingTimeInterval(11), retry: RetryPolicy(), send) == queued)
            #expect(try await notifications.deliverDueMail(now: now.addingTimeInterval(3_600), retry: RetryPolicy(), send) == 0)
            #expect(sent.withLock { $0.count } == queued && Set(sent.withLock { $0 }).count == queued)
            // Webhook delivery never picks up e-mail.
            #expect(try await notifications.deliverDue(now: now.addingTimeInterval(3_600), retry: RetryPolicy()) { _ in [] } == 0)
            _ = request
        }
    }

    static let payload = """
        {"event": "item.answer", "note": "Hosts 10.0.0.5 and 10.0.0.6.",
         "request": {"id": "r-1", "incident_reference": "INC-7", "priority": "critical", "purpose": "Phishing follow-up",
                     "window": {"from": "2026-12-01T00:00:00+00:00", "to": "2026-12-02T00:00:00.5+00:00"}},
         "item": {"id": "i-1", "custodian_org": "east-logistics", "state": "approved",
                  "acknowledge_due": "2026-12-04T10:00:00.123456+00:00", "deliver_due": "2026-12-05T10:00:00+00:00",
                  "preserve_before": "2026-12-06T00:00:00+00:00"}}
        """

    @Test func theMessageSaysWhatHappenedInTheRecipientsLanguageWithALink() throws {
        let composer = MailComposer(consoleURL: "https://logatlas.example.com")
        let english = try #require(composer.compose(MailOutboxMessage(id: 1, event: "item.answer", payload: Self.payload,
                                                                        to: "a@b.example", language: "en", attempts: 0)))
        #expect(english.subject == "[LogAtlas] Your question was answered: INC-7 (critical)")
        #expect(english.body.contains("Hosts 10.0.0.5 and 10.0.0.6.") && english.body.contains("https://logatlas.example.com/requests/r-1"))
        #expect(english.body.contains("Acknowledge by: 2026-12-04 10:00 UTC") && english.body.contains("Preserve before 2026-12-06 00:00 UTC"))
        #expect(english.body.contains("Window: 2026-12-01 00:00 UTC – 2026-12-02 00:00 UTC"))
        let japanese = try #require(composer.compose(MailOutboxMessage(id: 1, event: "sla.deliver.overdue", payload: Self.payload,
                                                                         to: "a@b.example", language: "ja", attempts: 0)))
        #expect(japanese.subject == "[LogAtlas] 期限超過: INC-7 (critical)")
        #expect(japanese.body.contains("2026-12-05 10:00 UTC を過ぎています") && japanese.body.contains("依頼を開く: https://logatlas.example.com/requests/r-1"))
        #expect(composer.compose(MailOutboxMessage(id: 1, event: "item.requested", payload: "{}", to: "a@b.example", language: "en", attempts: 0)) == nil)
    }

    @Test func theWireFormatIsBase64UTF8WithAnEncodedSubjectAndAStableMessageID() throws {
        let text = SMTPSender.message(id: 42, from: "logatlas@example.com", to: "soc@vendor.example", subject: "期限超過", body: "本文\n.\nend")
        let (head, body) = try #require(text.range(of: "\r\n\r\n").map { (String(text[..<$0.lowerBound]), String(text[$0.upperBound...])) })
        #expect(head.contains("Subject: =?UTF-8?B?\(Data("期限超過".utf8).base64EncodedString())?="))
        #expect(head.contains("Message-ID: <outbox-42@example.com>") && head.contains("Content-Transfer-Encoding: base64"))
        #expect(String(decoding: Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: ""))!, as: UTF8.self) == "本文\n.\nend")
        #expect(throws: SMTPError.self) { try SMTPSettings(url: "http://mail.example", username: nil, password: nil, from: "a@b.c",
                                                          trustedCertificatesFile: nil, consoleURL: "https://x") }
        let implicit = try SMTPSettings(url: "smtps://mail.example", username: nil, password: nil, from: "a@b.c", trustedCertificatesFile: nil,
                                        consoleURL: "https://x/")
        #expect(implicit.port == 465 && implicit.security == .implicitTLS && implicit.consoleURL == "https://x")
        #expect(try SMTPSettings(url: "smtp://mail.example", username: nil, password: nil, from: "a@b.c", trustedCertificatesFile: nil,
                                 consoleURL: "https://x").port == 587)
    }

    @Test func aUsersAddressIsCheckedAndAudited() async throws {
        try await withTestApp { world in
            let identity = IdentityStore(database: world.database)
            await #expect(throws: IdentityError.self) { try await identity.setContact(of: "cus-a", email: "not an address", language: nil, actor: "t") }
            await #expect(throws: IdentityError.self) { try await identity.setContact(of: "cus-a", email: "a@b.example", language: "fr", actor: "t") }
            await #expect(throws: IdentityError.self) { try await identity.setContact(of: "nobody", email: "a@b.example", language: nil, actor: "t") }
            try await identity.setContact(of: "cus-a", email: "a@b.example", language: nil, actor: "t")
            #expect(try await AuditTrail(database: world.database).recent(limit: 5).contains { $0.action == "user.update" && $0.actor == "t" })
        }
    }
}
