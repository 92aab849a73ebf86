import Foundation

/// A webhook subscription: an organisation's or a user's endpoint for broker events.
public struct WebhookSubscription: Hashable, Sendable {
    public enum Owner: Hashable, Sendable {
        case org(OrgID)
        case user(String)
    }

    public var id: UUID
    public var owner: Owner
    public var url: URL
    /// Event names to send; empty means all.
    public var events: [String]
    public var createdBy: String
    public var createdAt: Date

    public init(id: UUID = UUID(), owner: Owner, url: URL, events: [String], createdBy: String, createdAt: Date) {
        self.id = id
        self.owner = owner
        self.url = url
        self.events = events
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    /// Events a subscription may name.
    public static let eventNames: [String] = ["item.requested"] + ItemAction.allCases.map { "item.\($0.rawValue)" }
        + SLAEvent.allCases.map { "sla.\($0.rawValue)" } + ["comment.created", "artifact.uploaded", "artifact.handed_over", "agreement.lapsing"]

    /// Every problem with a subscription's URL and event list.
    public static func issues(url: String, events: [String]) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        if let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil {
        } else {
            issues.append(ValidationIssue(path: "url", message: "an absolute http or https URL"))
        }
        for (index, event) in events.enumerated() where !eventNames.contains(event) {
            issues.append(ValidationIssue(path: "events[\(index)]", message: Validation.unknownMessage("event", event, eventNames)))
        }
        return issues
    }
}

/// One queued notification as the delivery job handles it.
public struct OutboxMessage: Hashable, Sendable {
    public var id: Int64
    public var event: String
    /// The JSON body, exactly as it is signed and sent.
    public var payload: String
    public var url: URL
    public var secret: String
    /// Attempts made before this one.
    public var attempts: Int

    public init(id: Int64, event: String, payload: String, url: URL, secret: String, attempts: Int) {
        self.id = id
        self.event = event
        self.payload = payload
        self.url = url
        self.secret = secret
        self.attempts = attempts
    }
}

/// One queued e-mail as the mail job handles it: the same event payload as a webhook's, for one address.
public struct MailOutboxMessage: Hashable, Sendable {
    public var id: Int64
    public var event: String
    /// The event's JSON, as a webhook would carry it.
    public var payload: String
    public var to: String
    /// The language to write it in (`en` or `ja`).
    public var language: String
    public var attempts: Int

    public init(id: Int64, event: String, payload: String, to: String, language: String, attempts: Int) {
        self.id = id
        self.event = event
        self.payload = payload
        self.to = to
        self.language = language
        self.attempts = attempts
    }
}

/// The result of one delivery attempt.
public struct DeliveryAttempt: Hashable, Sendable {
    public var messageID: Int64
    public var statusCode: Int?
    public var error: String?
    public var duration: TimeInterval

    public init(messageID: Int64, statusCode: Int?, error: String?, duration: TimeInterval) {
        self.messageID = messageID
        self.statusCode = statusCode
        self.error = error
        self.duration = duration
    }

    /// A 2xx answer counts as delivered (an HTTP status, or an SMTP reply code such as 250).
    public var isSuccess: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
}

/// When to try again: exponential back-off from `baseDelay`, capped, giving up after `maxAttempts`.
public struct RetryPolicy: Hashable, Sendable {
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    public var maxAttempts: Int

    public init(baseDelay: TimeInterval = 10, maxDelay: TimeInterval = 3_600, maxAttempts: Int = 12) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
    }

    /// The wait after the `attempt`-th failed attempt (1-based), or nil when it was the last.
    public func delay(afterAttempt attempt: Int) -> TimeInterval? {
        guard attempt < maxAttempts else { return nil }
        return min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
    }
}

/// One logged delivery attempt of a subscription's message.
public struct WebhookDelivery: Hashable, Sendable {
    public var event: String
    public var attempt: DeliveryAttempt
    public var at: Date
    /// Whether the message has been delivered (by this or a later attempt).
    public var delivered: Bool

    public init(event: String, attempt: DeliveryAttempt, at: Date, delivered: Bool) {
        self.event = event
        self.attempt = attempt
        self.at = at
        self.delivered = delivered
    }
}

/// Webhook subscriptions as the API manages them, scoped to the caller.
public protocol WebhookRepository: Sendable {
    /// Returns the subscription and its signing secret, which is shown only this once.
    func subscribe(_ owner: WebhookSubscription.Owner, url: String, events: [String], as caller: Principal,
                   now: Date) async throws -> (WebhookSubscription, secret: String)
    func subscriptions(as caller: Principal) async throws -> [WebhookSubscription]
    func unsubscribe(_ id: UUID, as caller: Principal) async throws
    func deliveries(of subscription: UUID, as caller: Principal, limit: Int) async throws -> [WebhookDelivery]
}
