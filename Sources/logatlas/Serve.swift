import ArgumentParser
import Foundation
import LogAtlasServer
import LogAtlasStore
import PostgresNIO
import ServiceLifecycle

/// `logatlas serve`: the HTTP service, on the embedded database unless DATABASE_URL is set.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the LogAtlas HTTP service.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on (env: LOGATLAS_HOST).")
    var host: String = Environment.value("LOGATLAS_HOST") ?? "127.0.0.1"

    @Option(help: "Port to listen on (env: LOGATLAS_PORT).")
    var port: Int = Environment.value("LOGATLAS_PORT").flatMap(Int.init) ?? 8080

    @Option(help: "Largest request body in bytes (env: LOGATLAS_BODY_LIMIT).")
    var bodyLimit: Int = Environment.value("LOGATLAS_BODY_LIMIT").flatMap(Int.init) ?? 5 * 1024 * 1024

    @Option(help: "Folder of additional policy files (env: LOGATLAS_POLICY_DIR).")
    var policyDir: String? = Environment.value("LOGATLAS_POLICY_DIR")

    @Option(help: "Seconds a resolved token is cached; a revoked token keeps working at most this long (env: LOGATLAS_TOKEN_CACHE_SECONDS).")
    var tokenCacheSeconds: Int = Environment.value("LOGATLAS_TOKEN_CACHE_SECONDS").flatMap(Int.init) ?? 5

    @OptionGroup var broker: BrokerOptions

    @Flag(help: "Load the demo inventory when the database is empty, and print fresh demo tokens (env: LOGATLAS_DEMO=1).")
    var demo: Bool = Environment.value("LOGATLAS_DEMO") == "1"

    func run() async throws {
        let logger = makeLogger("logatlas", default: .info)
        let session = try await DatabaseSession.open(database.location, connections: database.dbConnections, logger: logger)
        do {
            if demo {
                let tokens = try await withRunningClient(session.configuration, logger: logger) { client in
                    try await DemoData.loadIfEmpty(into: Database(client: client, logger: logger))
                }
                // Written unbuffered: the banner must appear before the server blocks.
                FileHandle.standardOutput.write(Data(DemoData.banner(tokens: tokens, url: "http://\(host):\(port)").utf8))
            }
            let client = PostgresClient(configuration: session.configuration, backgroundLogger: logger)
            var services: [any Service] = []
            if let cluster = session.cluster { services.append(EmbeddedPostgresService(cluster: cluster)) }
            services.append(client)
            let settings = try broker.settings()
            let database = Database(client: client, logger: logger)
            services += BrokerJobs.services(database: database, broker: settings, logger: logger)
            let configuration = ServerConfiguration(host: host, port: port, bodyLimit: bodyLimit, tokenCacheLifetime: .seconds(tokenCacheSeconds),
                                                    policyDirectory: policyDir.map { URL(fileURLWithPath: $0) }, broker: settings,
                                                    artifactStore: try broker.artifactStore(dataDirectory: self.database.dataDir))
            let app = try buildApplication(configuration: configuration, database: database, services: services, logger: logger)
            logger.info("LogAtlas listening on http://\(host):\(port)")
            try await app.runService()
        } catch {
            session.cluster?.stop()
            throw error
        }
        session.cluster?.stop()
    }
}

/// `logatlas migrate`: apply pending schema migrations and exit.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = makeLogger("logatlas", default: .info)
        try await DatabaseSession.with(database.location, connections: database.dbConnections, logger: logger) { _ in }
        print("schema is current")
    }
}
