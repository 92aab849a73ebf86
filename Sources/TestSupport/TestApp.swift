import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LogAtlasCore
import LogAtlasServer
import LogAtlasStore
import Logging
import PostgresNIO

/// A running LogAtlas router on a fresh database with the fixture inventory and one token per fixture user.
public struct TestWorld: Sendable {
    public let database: Database
    /// Bearer tokens by user name: ada (admin), cyd (csirt), aud (auditor), cus-a (custodian of dept-a), cus-b (custodian of vendor-b).
    public let tokens: [String: String]
    /// Where this world's server keeps artifacts.
    public let artifactFolder: URL
    let client: any TestClientProtocol
    let databaseConfiguration: PostgresClient.Configuration
    let configuration: ServerConfiguration
    let clock: @Sendable () -> Date

    /// A response as the tests look at it.
    public struct Reply: Sendable {
        public let status: Int
        public let headers: HTTPFields
        public let body: Data

        /// The body as JSON.
        public var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
        public var text: String { String(decoding: body, as: UTF8.self) }
        public var contentType: String? { headers[.contentType] }
    }

    /// A `postgres://` URL of this world's database, for the `logatlas` binary run as a separate process.
    public func databaseURL() async -> String { await TestCluster.shared.url(of: databaseConfiguration) }

    /// Sends a request as `user` (nil: no token).
    public func send(_ method: HTTPRequest.Method, _ path: String, as user: String?, json: Any? = nil, body: String? = nil,
                     contentType: String? = nil, headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let user { headers[.authorization] = "Bearer \(tokens[user] ?? user)" }
        var buffer: ByteBuffer?
        if let json {
            buffer = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))
            headers[.contentType] = "application/json"
        } else if let body {
            buffer = ByteBuffer(string: body)
            headers[.contentType] = contentType ?? "application/yaml"
        }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: buffer)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: response.body))
    }
}

extension TestWorld {
    /// Runs `body` against a second server instance: its own connection pool and router on the same database.
    public func withSecondInstance(_ body: @escaping @Sendable (TestWorld) async throws -> Void) async throws {
        try await withRunningClient(databaseConfiguration) { client in
            let database = Database(client: client, acquireTimeout: TestCluster.acquireTimeout)
            let router = try buildRouter(configuration: configuration, database: database, logger: .testApp, clock: clock)
            try await Application(router: router).test(.router) { testClient in
                try await body(TestWorld(database: database, tokens: tokens, artifactFolder: artifactFolder, client: testClient,
                                         databaseConfiguration: databaseConfiguration, configuration: configuration, clock: clock))
            }
        }
    }

    /// Sends raw bytes as `user` (for uploads).
    public func send(_ method: HTTPRequest.Method, _ path: String, as user: String?, bytes: [UInt8], headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let user { headers[.authorization] = "Bearer \(tokens[user] ?? user)" }
        if headers[.contentType] == nil { headers[.contentType] = "application/octet-stream" }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(bytes: bytes))
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: response.body))
    }
}

/// Runs `body` against a fresh database loaded with `Fixtures.inventory()` and the fixture users.
public func withTestApp(bodyLimit: Int = 5 * 1024 * 1024, tokenCacheLifetime: Duration = .zero, clock: @escaping @Sendable () -> Date = Date.init,
                        broker: BrokerSettings = BrokerSettings(), artifactStore: (any ArtifactStore)? = nil,
                        _ body: @escaping @Sendable (TestWorld) async throws -> Void) async throws {
    // At most `TestAppGate.limit` apps at once: with hundreds of parameterised cases started together, their pools
    // (and the CLI processes some tests start) would exceed the cluster's connection limit.
    await TestAppGate.shared.enter()
    defer { Task { await TestAppGate.shared.leave() } }
    let databaseConfiguration = try await TestCluster.shared.freshDatabase()
    let artifactFolder = FileManager.default.temporaryDirectory.appendingPathComponent("la-artifacts-\(UUID().uuidString.prefix(8))")
    defer { try? FileManager.default.removeItem(at: artifactFolder) }
    try await withRunningClient(databaseConfiguration) { client in
        let database = Database(client: client, acquireTimeout: TestCluster.acquireTimeout)
        try await PostgresInventoryRepository(database: database)
            .apply(Fixtures.inventory(), scope: .everything, prune: false, dryRun: false, as: Fixtures.admin)
        let identity = IdentityStore(database: database)
        var tokens: [String: String] = [:]
        for principal in [Fixtures.admin, Fixtures.csirt, Fixtures.auditor, Fixtures.custodianA, Fixtures.custodianB] {
            try await identity.addUser(named: principal.name, role: principal.role, orgs: principal.orgIDs.sorted(), actor: "test")
            tokens[principal.name] = try await identity.createToken(for: principal.name, lifetime: .seconds(3600), actor: "test").secret
        }
        let configuration = ServerConfiguration(bodyLimit: bodyLimit, tokenCacheLifetime: tokenCacheLifetime, broker: broker,
                                                artifactStore: artifactStore ?? FileSystemArtifactStore(folder: artifactFolder))
        let router = try buildRouter(configuration: configuration, database: database, logger: .testApp, clock: clock)
        let app = Application(router: router)
        let finalTokens = tokens
        try await app.test(.router) { client in
            try await body(TestWorld(database: database, tokens: finalTokens, artifactFolder: artifactFolder, client: client,
                                     databaseConfiguration: databaseConfiguration, configuration: configuration, clock: clock))
        }
    }
}

/// A counting semaphore for test apps.
actor TestAppGate {
    static let shared = TestAppGate()
    /// 16 apps × `TestCluster.connectionsPerTest` stay well under the cluster's 200 connections, leaving room for the
    /// administration client, second instances and the commands tests run as processes.
    static let limit = 16
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        if running < Self.limit {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty { running -= 1 } else { waiting.removeFirst().resume() }
    }
}

extension Logger {
    /// The in-process service's logger in tests: warnings and errors only (not an access line per request).
    public static var testApp: Logger {
        var logger = Logger(label: "test-app")
        logger.logLevel = .warning
        return logger
    }
}
