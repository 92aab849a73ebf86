import AsyncHTTPClient
import Crypto
import Foundation
import LogAtlasCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// Sends outbox messages as signed JSON POSTs.
///
/// Signed by the Standard Webhooks scheme (https://www.standardwebhooks.com): `webhook-id` (the outbox id, the same
/// on every retry: receivers deduplicate on it, delivery is at-least-once), `webhook-timestamp` (unix seconds) and
/// `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, where the key is the base64 after
/// the secret's `whsec_` prefix — so a receiver verifies with any Standard Webhooks library given the secret as it
/// was shown. Also, deprecated and kept for one release: `LogAtlas-Event`, `LogAtlas-Delivery` and
/// `LogAtlas-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
///
/// Destinations are resolved here and every address is judged by `WebhookDestination` (no loopback, link-local,
/// private or unique-local address unless allowed); the connection then goes to the vetted address itself
/// (`dnsOverride`, the name still used for TLS), so a DNS answer that changes in between cannot redirect it, and
/// redirects are not followed. Delivery errors are recorded in words that do not describe the internal network.
public struct WebhookSender: Sendable {
    let timeout: TimeAmount
    let clock: @Sendable () -> Date
    /// Ranges an administrator allows although they are internal (`LOGATLAS_WEBHOOK_ALLOW`).
    let allowed: [IPRange]

    public init(timeout: TimeAmount = .seconds(10), allowing allowed: [IPRange] = [], clock: @escaping @Sendable () -> Date = Date.init) {
        self.timeout = timeout
        self.clock = clock
        self.allowed = allowed
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
        func failed(_ reason: String) -> DeliveryAttempt {
            DeliveryAttempt(messageID: message.id, statusCode: nil, error: reason, duration: Self.seconds(since: started))
        }
        guard let host = message.url.host else { return failed("the URL has no host") }
        let addresses: [[UInt8]]
        do {
            addresses = try await Self.resolve(host)
        } catch {
            return failed("the host name could not be resolved")
        }
        guard let first = addresses.first else { return failed("the host name could not be resolved") }
        if let refusal = addresses.lazy.compactMap({ WebhookDestination.refusal(of: $0, allowing: self.allowed) }).first {
            return failed("refused: the host resolves to \(refusal), which webhooks may not reach")
        }
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: timeout, read: timeout))
        configuration.dnsOverride = [host: IPRange.text(of: first)]
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { client.shutdown { _ in } }
        var request = HTTPClientRequest(url: message.url.absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "LogAtlas-Webhooks/1")
        let now = clock()
        request.headers.add(name: "webhook-id", value: String(message.id))
        request.headers.add(name: "webhook-timestamp", value: String(Int(now.timeIntervalSince1970)))
        request.headers.add(name: "webhook-signature", value: Self.standardSignature(of: message.payload, id: String(message.id), secret: message.secret, at: now))
        request.headers.add(name: "LogAtlas-Event", value: message.event)
        request.headers.add(name: "LogAtlas-Delivery", value: String(message.id))
        request.headers.add(name: "LogAtlas-Signature", value: Self.signature(of: message.payload, secret: message.secret, at: now))
        request.body = .bytes(ByteBuffer(string: message.payload))
        do {
            let response = try await client.execute(request, timeout: timeout)
            // Read (and drop) a little of the body so the connection can be reused.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return DeliveryAttempt(messageID: message.id, statusCode: Int(response.status.code),
                                   error: (200..<300).contains(Int(response.status.code)) ? nil : "HTTP \(response.status.code)",
                                   duration: Self.seconds(since: started))
        } catch {
            return failed(Self.reason(for: error))
        }
    }

    /// The addresses `host` resolves to (an address literal is itself), looked up off the event loops.
    static func resolve(_ host: String) async throws -> [[UInt8]] {
        if let literal = IPRange.bytes(of: host) { return [literal] }
        return try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &list) == 0, let list else { throw ResolutionFailed() }
            defer { freeaddrinfo(list) }
            var addresses: [[UInt8]] = []
            for entry in sequence(first: list, next: { $0.pointee.ai_next }) {
                guard let address = entry.pointee.ai_addr else { continue }
                switch Int32(address.pointee.sa_family) {
                case AF_INET:
                    address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                        addresses.append(withUnsafeBytes(of: v4.pointee.sin_addr) { Array($0) })
                    }
                case AF_INET6:
                    address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                        addresses.append(withUnsafeBytes(of: v6.pointee.sin6_addr) { Array($0) })
                    }
                default: break
                }
            }
            return addresses
        }
    }

    struct ResolutionFailed: Error {}

    /// What a subscriber is told about a failed delivery: the kind of failure, never addresses or ports.
    static func reason(for error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .deadlineExceeded, .readTimeout, .writeTimeout: return "timed out"
            case .remoteConnectionClosed: return "the receiver closed the connection"
            default: break
            }
        }
        let text = String(describing: error).lowercased()
        if text.contains("ssl") || text.contains("tls") || text.contains("certificate") { return "the TLS handshake failed" }
        if text.contains("connect") || text.contains("refused") { return "the connection failed" }
        return "the delivery failed"
    }

    /// `v1,<base64 HMAC-SHA256(key, "<id>.<unix>.<body>")>`, the Standard Webhooks signature. The key is the
    /// base64 after `whsec_`; a secret from before that format (64 hex digits) signs with its own bytes, so its
    /// receivers pass `whsec_` + base64(secret) to their library.
    public static func standardSignature(of body: String, id: String, secret: String, at date: Date) -> String {
        let key: Data = if secret.hasPrefix("whsec_"), let decoded = Data(base64Encoded: String(secret.dropFirst(6))) { decoded } else { Data(secret.utf8) }
        let signed = "\(id).\(Int(date.timeIntervalSince1970)).\(body)"
        return "v1," + Data(HMAC<SHA256>.authenticationCode(for: Data(signed.utf8), using: SymmetricKey(data: key))).base64EncodedString()
    }

    /// `t=<unix>,v1=<hex HMAC-SHA256(secret, "<unix>.<body>")>` (deprecated: the `LogAtlas-Signature` header).
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
