import Crypto
import Foundation
import LogAtlasCore
import PostgresNIO

/// Webhook subscriptions (scoped to the caller) and the outbox the delivery job drains.
public struct NotificationStore: WebhookRepository {
    let database: Database

    public init(database: Database) { self.database = database }

    /// Subscribes `owner` to `events` at `url`; returns the subscription and its signing secret (shown once).
    public func subscribe(_ owner: WebhookSubscription.Owner, url: String, events: [String], as caller: Principal,
                          now: Date) async throws -> (WebhookSubscription, secret: String) {
        var issues = WebhookSubscription.issues(url: url, events: events)
        switch owner {
        case .org(let org) where !caller.maySubscribe(org: org):
            issues.append(ValidationIssue(path: "org", message: "must be one of your organisations (auditors subscribe as users)"))
        case .user(let name) where !caller.maySubscribe(user: name):
            issues.append(ValidationIssue(path: "user", message: "you can subscribe only yourself"))
        default: break
        }
        guard issues.isEmpty, let parsed = URL(string: url) else { throw WebhookError.invalid(issues) }
        let secret = Self.newSecret()
        let subscription = WebhookSubscription(owner: owner, url: parsed, events: events, createdBy: caller.name, createdAt: now)
        let (org, user): (String?, String?) = switch owner {
        case .org(let org): (org.rawValue, nil)
        case .user(let name): (nil, name)
        }
        try await database.withCaller(caller) { connection in
            let rows = try await connection.checkedQuery("""
                INSERT INTO webhook_subscriptions (id, org_id, user_id, url, secret, events, created_by, created_at)
                SELECT \(subscription.id), \(org), (SELECT id FROM users WHERE name = \(user)), \(url), \(secret), \(events), \(caller.name), \(now)
                WHERE \(user)::text IS NULL OR EXISTS (SELECT 1 FROM users WHERE name = \(user))
                RETURNING id
                """, logger: database.logger)
            for try await _ in rows { return }
            throw WebhookError.invalid([ValidationIssue(path: "user", message: "no such user")])
        }
        return (subscription, secret)
    }

    public func subscriptions(as caller: Principal) async throws -> [WebhookSubscription] {
        try await database.withCaller(caller) { connection in
            let rows = try await connection.checkedQuery("""
                SELECT s.id, s.org_id, u.name AS user_name, s.url, s.events, s.created_by, s.created_at
                FROM webhook_subscriptions s LEFT JOIN users u ON u.id = s.user_id ORDER BY s.created_at, s.id
                """, logger: database.logger)
            var subscriptions: [WebhookSubscription] = []
            for try await row in rows {
                let r = row.makeRandomAccess()
                let owner: WebhookSubscription.Owner = if let org = try r.value("org_id", as: String?.self) { .org(OrgID(org)) }
                    else { .user(try r.value("user_name", as: String?.self) ?? "") }
                subscriptions.append(WebhookSubscription(id: try r.value("id"), owner: owner, url: URL(string: try r.value("url"))!,
                                                         events: try r.value("events"), createdBy: try r.value("created_by"),
                                                         createdAt: try r.value("created_at")))
            }
            return subscriptions
        }
    }

    public func unsubscribe(_ id: UUID, as caller: Principal) async throws {
        try await database.withCaller(caller) { connection in
            let rows = try await connection.checkedQuery("DELETE FROM webhook_subscriptions WHERE id = \(id) RETURNING id", logger: database.logger)
            for try await _ in rows { return }
            throw WebhookError.notFound(id: id.uuidString.lowercased())
        }
    }

    /// The delivery log of one subscription, newest first.
    public func deliveries(of subscription: UUID, as caller: Principal, limit: Int = 100) async throws -> [WebhookDelivery] {
        try await database.withCaller(caller) { connection in
            let rows = try await connection.checkedQuery("""
                SELECT o.event, d.outbox_id, d.status_code, d.error, d.duration_ms, d.at, o.delivered_at IS NOT NULL AS delivered
                FROM webhook_deliveries d JOIN webhook_outbox o ON o.id = d.outbox_id
                WHERE o.subscription_id = \(subscription) ORDER BY d.id DESC LIMIT \(limit)
                """, logger: database.logger)
            var log: [WebhookDelivery] = []
            for try await row in rows {
                let r = row.makeRandomAccess()
                log.append(WebhookDelivery(
                    event: try r.value("event"),
                    attempt: DeliveryAttempt(messageID: try r.value("outbox_id"), statusCode: try r.value("status_code"), error: try r.value("error"),
                                             duration: Double(try r.value("duration_ms", as: Int.self)) / 1000),
                    at: try r.value("at"), delivered: try r.value("delivered")))
            }
            return log
        }
    }

    /// Claims up to `limit` due messages (skipping those another replica holds), lets `deliver` send them, and records
    /// each attempt: delivered, rescheduled with back-off, or given up. Returns the number of messages handled.
    public func deliverDue(now: Date, limit: Int = 20, retry: RetryPolicy,
                           _ deliver: @Sendable ([OutboxMessage]) async -> [DeliveryAttempt]) async throws -> Int {
        try await database.asOwner(actor: "webhooks") { connection in
            let rows = try await connection.checkedQuery("""
                SELECT o.id, o.event, o.payload::text AS payload, o.attempts, s.url, s.secret
                FROM webhook_outbox o JOIN webhook_subscriptions s ON s.id = o.subscription_id
                WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= \(now)
                ORDER BY o.id LIMIT \(limit) FOR UPDATE OF o SKIP LOCKED
                """, logger: database.logger)
            var messages: [OutboxMessage] = []
            for try await row in rows {
                let r = row.makeRandomAccess()
                messages.append(OutboxMessage(id: try r.value("id"), event: try r.value("event"), payload: try r.value("payload"),
                                              url: URL(string: try r.value("url"))!, secret: try r.value("secret"), attempts: try r.value("attempts")))
            }
            guard !messages.isEmpty else { return 0 }
            try await record(await deliver(messages), priorAttempts: Dictionary(uniqueKeysWithValues: messages.map { ($0.id, $0.attempts) }),
                             now: now, retry: retry, on: connection)
            return messages.count
        }
    }

    /// `deliverDue` for the e-mails of the outbox: claims up to `limit` due ones, lets `send` mail them, records each
    /// attempt (the SMTP reply code as its status) with the same back-off.
    public func deliverDueMail(now: Date, limit: Int = 20, retry: RetryPolicy,
                               _ send: @Sendable ([MailOutboxMessage]) async -> [DeliveryAttempt]) async throws -> Int {
        try await database.asOwner(actor: "mail") { connection in
            let rows = try await connection.checkedQuery("""
                SELECT id, event, payload::text, mail_to, mail_language, attempts FROM webhook_outbox
                WHERE mail_to IS NOT NULL AND delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= \(now)
                ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, logger: database.logger)
            var messages: [MailOutboxMessage] = []
            for try await (id, event, payload, to, language, attempts) in rows.decode((Int64, String, String, String, String, Int).self) {
                messages.append(MailOutboxMessage(id: id, event: event, payload: payload, to: to, language: language, attempts: attempts))
            }
            guard !messages.isEmpty else { return 0 }
            try await record(await send(messages), priorAttempts: Dictionary(uniqueKeysWithValues: messages.map { ($0.id, $0.attempts) }),
                             now: now, retry: retry, on: connection)
            return messages.count
        }
    }

    /// Logs each attempt and marks its message delivered, rescheduled with back-off, or given up.
    private func record(_ attempts: [DeliveryAttempt], priorAttempts: [Int64: Int], now: Date, retry: RetryPolicy,
                        on connection: PostgresConnection) async throws {
        for attempt in attempts {
            let number = (priorAttempts[attempt.messageID] ?? 0) + 1
            let delay = attempt.isSuccess ? nil : retry.delay(afterAttempt: number)
            try await connection.checkedQuery("""
                WITH logged AS (
                    INSERT INTO webhook_deliveries (outbox_id, attempt, at, status_code, error, duration_ms)
                    VALUES (\(attempt.messageID), \(number), \(now), \(attempt.statusCode), \(attempt.error), \(Int(attempt.duration * 1000))))
                UPDATE webhook_outbox SET attempts = \(number),
                    delivered_at = CASE WHEN \(attempt.isSuccess) THEN \(now) END,
                    failed_at = CASE WHEN NOT \(attempt.isSuccess) AND \(delay)::double precision IS NULL THEN \(now) END,
                    next_attempt_at = \(now) + make_interval(secs => coalesce(\(delay)::double precision, 0))
                WHERE id = \(attempt.messageID)
                """, logger: database.logger)
        }
    }

    /// Whether e-mail is queued at all (`serve` sets it from its SMTP settings at start).
    public func setMailEnabled(_ enabled: Bool) async throws {
        try await database.asOwner(actor: "system") { connection in
            try await connection.checkedQuery("UPDATE mail_settings SET enabled = \(enabled) WHERE enabled <> \(enabled)", logger: database.logger)
        }
    }

    /// 32 random bytes in the Standard Webhooks form, `whsec_<base64>`.
    static func newSecret() -> String {
        "whsec_" + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
    }
}
