import Foundation
import LogAtlasCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Where and how e-mail is sent: `smtp://host:587` (STARTTLS, required) or `smtps://host:465` (TLS from the first
/// byte), with AUTH PLAIN when a user name is set (only ever over TLS).
public struct SMTPSettings: Sendable {
    public enum Security: String, Sendable { case startTLS, implicitTLS }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// The sender, e.g. `logatlas@example.com`.
    public var from: String
    /// PEM certificates to trust instead of the system's (an internal CA); nil: the system's roots.
    public var trustedCertificatesFile: String?
    /// The console's address in the links of every message.
    public var consoleURL: String

    public init(url: String, username: String?, password: String?, from: String, trustedCertificatesFile: String?, consoleURL: String) throws {
        guard let parsed = URLComponents(string: url), let host = parsed.host, !host.isEmpty,
              let security: Security = ["smtp": .startTLS, "smtps": .implicitTLS][parsed.scheme?.lowercased() ?? ""] else {
            throw SMTPError("the SMTP URL is smtp://host[:port] (STARTTLS) or smtps://host[:port] (TLS)")
        }
        self.host = host
        self.port = parsed.port ?? (security == .implicitTLS ? 465 : 587)
        self.security = security
        self.username = username
        self.password = password
        self.from = from
        self.trustedCertificatesFile = trustedCertificatesFile
        self.consoleURL = consoleURL.hasSuffix("/") ? String(consoleURL.dropLast()) : consoleURL
    }
}

struct SMTPError: Error, CustomStringConvertible {
    let description: String
    /// The server's reply code when the server refused.
    var code: Int?
    init(_ description: String, code: Int? = nil) {
        self.description = description
        self.code = code
    }
}

/// A small SMTP client (RFC 5321) on SwiftNIO: one connection per batch, TLS by swift-nio-ssl (STARTTLS or implicit),
/// AUTH PLAIN, then MAIL FROM / RCPT TO / DATA per message. Bodies are base64 (UTF-8 text in any language, and no
/// line of the body can be a lone dot). Every message gets an attempt: the reply code to its DATA, or why it failed.
public struct SMTPSender: Sendable {
    let settings: SMTPSettings
    let composer: MailComposer
    let timeout: Duration

    public init(settings: SMTPSettings, timeout: Duration = .seconds(30)) {
        self.settings = settings
        self.composer = MailComposer(consoleURL: settings.consoleURL)
        self.timeout = timeout
    }

    func send(_ messages: [MailOutboxMessage]) async -> [DeliveryAttempt] {
        let started = ContinuousClock.now
        // Kept outside the conversation: messages the server accepted before a connection broke stay delivered.
        let attempts = Mutex<[DeliveryAttempt]>([])
        do {
            try await withTimeout {
                try await self.converse { session in
                    for message in messages {
                        let began = ContinuousClock.now
                        let attempt: DeliveryAttempt
                        if let (subject, body) = composer.compose(message) {
                            do {
                                let code = try await session.mail(from: settings.from, to: message.to,
                                                                  data: Self.message(id: message.id, from: settings.from, to: message.to,
                                                                                     subject: subject, body: body))
                                attempt = DeliveryAttempt(messageID: message.id, statusCode: code, error: nil, duration: Self.seconds(since: began))
                            } catch let error as SMTPError where error.code != nil {
                                attempt = DeliveryAttempt(messageID: message.id, statusCode: error.code, error: error.description,
                                                          duration: Self.seconds(since: began))
                                try await session.reset()
                            }
                        } else {
                            // Retrying cannot help: recorded as a permanent refusal (which the back-off still retries a few times).
                            attempt = DeliveryAttempt(messageID: message.id, statusCode: 554, error: "the event could not be read",
                                                      duration: Self.seconds(since: began))
                        }
                        attempts.withLock { $0.append(attempt) }
                    }
                }
            }
        } catch {
            let reason = (error as? SMTPError)?.description ?? "the mail server could not be reached (\(type(of: error)))"
            attempts.withLock { attempts in
                let done = Set(attempts.map(\.messageID))
                for message in messages where !done.contains(message.id) {
                    attempts.append(DeliveryAttempt(messageID: message.id, statusCode: nil, error: reason, duration: Self.seconds(since: started)))
                }
            }
        }
        return attempts.withLock { $0 }
    }

    /// Sends one test message to `address` (`logatlas mail test`); the server's reply code.
    public func sendTest(to address: String) async throws -> Int {
        try await withTimeout {
            try await self.converse { session in
                try await session.mail(from: settings.from, to: address, data: Self.message(
                    id: 0, from: settings.from, to: address, subject: "[LogAtlas] Test message",
                    body: "LogAtlas can send e-mail through \(settings.host):\(settings.port).\n\(settings.consoleURL)"))
            }
        }
    }

    /// Connects, greets, secures and authenticates, runs `body`, and says QUIT.
    private func converse<T: Sendable>(_ body: @Sendable (Session) async throws -> T) async throws -> T {
        let tls = try NIOSSLContext(configuration: {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let file = settings.trustedCertificatesFile { configuration.trustRoots = .file(file) }
            return configuration
        }())
        let (host, implicit) = (settings.host, settings.security == .implicitTLS)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: settings.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if implicit { try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: host)) }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let session = Session(replies: Replies(inbound.makeAsyncIterator()), outbound: outbound)
            try await session.expect(220)
            var extensions = try await session.command("EHLO logatlas", expect: 250)
            if settings.security == .startTLS {
                guard extensions.contains(where: { $0.uppercased().hasPrefix("STARTTLS") }) else {
                    throw SMTPError("the mail server does not offer STARTTLS; LogAtlas does not send mail in clear")
                }
                _ = try await session.command("STARTTLS", expect: 220)
                try await channel.channel.eventLoop.submit {
                    try channel.channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: host), position: .first)
                }.get()
                extensions = try await session.command("EHLO logatlas", expect: 250)
            }
            if let username = settings.username {
                guard extensions.contains(where: { $0.uppercased().hasPrefix("AUTH") && $0.uppercased().contains("PLAIN") }) else {
                    throw SMTPError("the mail server does not offer AUTH PLAIN")
                }
                let credentials = Data("\0\(username)\0\(settings.password ?? "")".utf8).base64EncodedString()
                _ = try await session.command("AUTH PLAIN \(credentials)", expect: 235)
            }
            let result = try await body(session)
            _ = try? await session.command("QUIT", expect: 221)
            return result
        }
    }

    private func withTimeout<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw SMTPError("the mail server did not answer within \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// The RFC 5322 message: headers (the subject RFC 2047-encoded), a base64 UTF-8 text body. The Message-ID is the
    /// outbox id, the same on every retry.
    static func message(id: Int64, from: String, to: String, subject: String, body: String) -> String {
        let date = DateFormatter()
        date.locale = Locale(identifier: "en_US_POSIX")
        date.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let domain = from.split(separator: "@").last.map(String.init) ?? "logatlas"
        let encodedBody = Data(body.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return ["From: LogAtlas <\(from)>", "To: <\(to)>",
                "Subject: =?UTF-8?B?\(Data(subject.utf8).base64EncodedString())?=",
                "Date: \(date.string(from: Date()))", "Message-ID: <outbox-\(id)@\(domain)>", "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: base64", "", encodedBody]
            .joined(separator: "\r\n")
    }

    static func seconds(since start: ContinuousClock.Instant) -> TimeInterval {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// One SMTP conversation: commands out, replies in.
final class Session: @unchecked Sendable {
    let replies: Replies
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    init(replies: Replies, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.replies = replies
        self.outbound = outbound
    }

    /// Sends a command line and reads its reply; the reply's lines (after the code) when the code is `expect`.
    @discardableResult
    func command(_ line: String, expect code: Int) async throws -> [String] {
        try await outbound.write(ByteBuffer(string: line + "\r\n"))
        return try await expect(code, after: line.hasPrefix("AUTH") ? "AUTH" : line)
    }

    @discardableResult
    func expect(_ code: Int, after command: String = "connecting") async throws -> [String] {
        let (got, lines) = try await replies.next()
        guard got == code else { throw SMTPError("the mail server answered \(command) with \(got) \(lines.first ?? "")", code: got) }
        return lines
    }

    /// One message: its envelope and content; the reply code to the content (250 when accepted).
    func mail(from: String, to: String, data: String) async throws -> Int {
        try await command("MAIL FROM:<\(from)>", expect: 250)
        try await command("RCPT TO:<\(to)>", expect: 250)
        try await command("DATA", expect: 354)
        // Base64 bodies and plain headers never start a line with a dot, so no dot-stuffing is needed.
        try await outbound.write(ByteBuffer(string: data + "\r\n.\r\n"))
        try await expect(250, after: "the message")
        return 250
    }

    /// Ends a refused transaction so the next message starts clean.
    func reset() async throws {
        try await command("RSET", expect: 250)
    }
}

/// Reads SMTP replies (`250-first`, …, `250 last`) from the channel's inbound bytes.
final class Replies: @unchecked Sendable {
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var pending = ""

    init(_ iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) { self.iterator = iterator }

    /// The next whole reply: its code and the text of each line.
    func next() async throws -> (Int, [String]) {
        var lines: [String] = []
        while true {
            let line = try await nextLine()
            guard line.count >= 3, let code = Int(line.prefix(3)) else { throw SMTPError("the mail server sent something that is not SMTP") }
            lines.append(String(line.dropFirst(4)))
            if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return (code, lines) }
        }
    }

    private func nextLine() async throws -> String {
        while true {
            if let end = pending.range(of: "\r\n") {
                let line = String(pending[..<end.lowerBound])
                pending.removeSubrange(..<end.upperBound)
                return line
            }
            guard pending.utf8.count < 64 * 1024, let buffer = try await iterator.next() else {
                throw SMTPError("the mail server closed the connection")
            }
            pending += String(buffer: buffer)
        }
    }
}
