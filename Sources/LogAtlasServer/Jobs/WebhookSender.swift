import AsyncHTTPClient
import Crypto
import Foundation
import LogAtlasCore
import NIOCore
import NIOHTTP1

/// Sends outbox messages as signed JSON POSTs.
///
/// Headers: `LogAtlas-Event`, `LogAtlas-Delivery` (the outbox id: receivers deduplicate on it, delivery is
/// at-least-once) and `LogAtlas-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
public struct WebhookSender: Sendable {
    let client: HTTPClient
    let timeout: TimeAmount
    let clock: @Sendable () -> Date

    public init(client: HTTPClient = .shared, timeout: TimeAmount = .seconds(10), clock: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.timeout = timeout
        self.clock = clock
    }

    /// Delivers the messages concurrently; every message gets an attempt record, failures included.
    public func send(_ messages: [OutboxMessage]) async -> [DeliveryAttempt] {
        await withTaskGroup(of: DeliveryAttempt.self) { group in
            for message in messages { group.addTask { await send(message) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    func send(_ message: OutboxMessage) async -> DeliveryAttempt {
        let started = ContinuousClock.now
        var request = HTTPClientRequest(url: message.url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "LogAtlas-Webhooks/1")
        request.headers.add(name: "LogAtlas-Event", value: message.event)
        request.headers.add(name: "LogAtlas-Delivery", value: String(message.id))
        request.headers.add(name: "LogAtlas-Signature", value: Self.signature(of: message.payload, secret: message.secret, at: clock()))
        request.body = .bytes(ByteBuffer(string: message.payload))
        do {
            let response = try await client.execute(request, timeout: timeout)
            // Read (and drop) a little of the body so the connection can be reused.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return DeliveryAttempt(messageID: message.id, statusCode: Int(response.status.code),
                                   error: (200..<300).contains(Int(response.status.code)) ? nil : "HTTP \(response.status.code)",
                                   duration: Self.seconds(since: started))
        } catch {
            return DeliveryAttempt(messageID: message.id, statusCode: nil, error: String(describing: error).prefix(500).description,
                                   duration: Self.seconds(since: started))
        }
    }

    /// `t=<unix>,v1=<hex HMAC-SHA256(secret, "<unix>.<body>")>`.
    public static func signature(of body: String, secret: String, at date: Date) -> String {
        let timestamp = String(Int(date.timeIntervalSince1970))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(body)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return "t=\(timestamp),v1=\(mac.map { String(format: "%02x", $0) }.joined())"
    }

    static func seconds(since start: ContinuousClock.Instant) -> TimeInterval {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
