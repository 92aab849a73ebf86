import Crypto
import Foundation
import LogAtlasCore
import Logging
import PostgresNIO

/// What a backup holds besides the database dump: when it was taken, the schema it has, the dump's digest and every
/// evidence object the database refers to (key, size, SHA-256), read from the same snapshot as the dump.
public struct BackupManifest: Codable, Sendable, Equatable {
    public static let currentFormat = "logatlas-backup/1"
    public static let fileName = "manifest.json"
    public static let dumpName = "database.dump"

    public var format: String
    public var createdAt: Date
    public var schema: [String]
    public var database: DumpFile
    public var evidence: [EvidenceObject]

    public struct DumpFile: Codable, Sendable, Equatable {
        public var file: String
        public var size: Int64
        public var sha256: String
    }

    public struct EvidenceObject: Codable, Sendable, Equatable {
        public var key: String
        public var size: Int64
        public var sha256: String
        public var requestID: UUID

        enum CodingKeys: String, CodingKey {
            case key, size, sha256
            case requestID = "request_id"
        }
    }

    enum CodingKeys: String, CodingKey {
        case format, schema, database, evidence
        case createdAt = "created_at"
    }
}

/// An evidence object the manifest names that the store does not hold as it was stored.
public struct EvidenceProblem: Sendable, Equatable, CustomStringConvertible {
    public let key: String
    public let reason: String
    public var description: String { "\(key): \(reason)" }
}

/// Why a backup could not be taken or restored.
public struct BackupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `logatlas backup` and `logatlas restore`: PostgreSQL's own pg_dump and pg_restore, pointed at the database through
/// the libpq environment (the password never appears on a command line), and one tar file holding the dump and its
/// manifest.
public enum DatabaseBackup {
    /// Dumps the database of `session` into `output`: pg_dump runs on a snapshot exported by a repeatable-read
    /// transaction that also reads the evidence list, so the two agree whatever is written meanwhile.
    public static func create(_ session: DatabaseSession, location: DatabaseLocation, output: URL, logger: Logger) async throws -> BackupManifest {
        let work = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        let dump = work.appendingPathComponent(BackupManifest.dumpName)
        let environment = toolEnvironment(session.configuration, location: location)
        let (schema, evidence) = try await withRunningClient(session.configuration, logger: logger) { client in
            try await client.withConnection { connection in
                try await connection.checkedQuery("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
                do {
                    var snapshot = ""
                    for try await id in try await connection.checkedQuery("SELECT pg_export_snapshot()", logger: logger).decode(String.self) {
                        snapshot = id
                    }
                    var schema: [String] = []
                    for try await version in try await connection.checkedQuery("SELECT version FROM schema_migrations ORDER BY version",
                                                                        logger: logger).decode(String.self) {
                        schema.append(version)
                    }
                    var evidence: [BackupManifest.EvidenceObject] = []
                    let rows = try await connection.checkedQuery("""
                        SELECT storage_key, size, sha256, request_id FROM artifacts WHERE kind = 'upload' AND purged_at IS NULL ORDER BY storage_key
                        """, logger: logger)
                    for try await (key, size, sha256, request) in rows.decode((String, Int64, String, UUID).self) {
                        evidence.append(.init(key: key, size: size, sha256: sha256, requestID: request))
                    }
                    try await runTool("pg_dump", ["--format=custom", "--snapshot=\(snapshot)", "--file=\(dump.path)"], environment: environment)
                    try await connection.checkedQuery("COMMIT", logger: logger)
                    return (schema, evidence)
                } catch {
                    _ = try? await connection.checkedQuery("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
        let manifest = BackupManifest(format: BackupManifest.currentFormat, createdAt: Date(), schema: schema,
                                      database: .init(file: BackupManifest.dumpName, size: try size(of: dump), sha256: try digest(of: dump)),
                                      evidence: evidence)
        try encoder.encode(manifest).write(to: work.appendingPathComponent(BackupManifest.fileName))
        // Written beside the target, then renamed: an interrupted backup never leaves a file that looks complete.
        let partial = output.deletingLastPathComponent().appendingPathComponent(".\(output.lastPathComponent).partial")
        try await runTool("tar", ["-cf", partial.path, "-C", work.path, BackupManifest.fileName, BackupManifest.dumpName])
        _ = try? FileManager.default.removeItem(at: output)
        try FileManager.default.moveItem(at: partial, to: output)
        return manifest
    }

    /// Reads a backup's manifest and checks its dump against the digest it names; `body` gets both while the
    /// unpacked files exist.
    public static func open<Result>(_ file: URL, _ body: (BackupManifest, URL) async throws -> Result) async throws -> Result {
        let work = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        do {
            try await runTool("tar", ["-xf", file.path, "-C", work.path, BackupManifest.fileName, BackupManifest.dumpName])
        } catch {
            throw BackupError("\(file.path) is not a LogAtlas backup (\(error))")
        }
        let manifest: BackupManifest
        do {
            manifest = try decoder.decode(BackupManifest.self, from: Data(contentsOf: work.appendingPathComponent(BackupManifest.fileName)))
        } catch {
            throw BackupError("\(file.path): its manifest cannot be read (\(error))")
        }
        guard manifest.format == BackupManifest.currentFormat else {
            throw BackupError("\(file.path) is a \(manifest.format) backup; this binary reads \(BackupManifest.currentFormat)")
        }
        let dump = work.appendingPathComponent(BackupManifest.dumpName)
        guard try digest(of: dump) == manifest.database.sha256 else {
            throw BackupError("\(file.path): the database dump does not match the SHA-256 its manifest names; it was damaged or changed")
        }
        return try await body(manifest, dump)
    }

    /// Restores `dump` into the database of `session`, which must be empty: the application role is made first (it
    /// belongs to the cluster, not the dump), then pg_restore runs in one transaction, so a failure leaves nothing.
    public static func restore(_ dump: URL, into session: DatabaseSession, location: DatabaseLocation, logger: Logger) async throws {
        try await withRunningClient(session.configuration, logger: logger) { client in
            try await client.withConnection { connection in
                let rows = try await connection.checkedQuery("""
                    SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'S')
                    """, logger: logger)
                var objects = 0
                for try await count in rows.decode(Int.self) { objects = count }
                guard objects == 0 else {
                    throw BackupError("the database is not empty (\(objects) tables, views or sequences): restore only into a new, empty database")
                }
                try await Migrator(logger: logger).prepareApplicationRole(on: connection)
            }
        }
        let environment = toolEnvironment(session.configuration, location: location)
        try await runTool("pg_restore", ["--exit-on-error", "--single-transaction", "--no-owner",
                                         "--dbname=\(session.configuration.database ?? EmbeddedPostgres.databaseName)", dump.path],
                          environment: environment)
    }

    /// Every object of `evidence` read back from `store` and hashed; what is missing or differs.
    public static func check(_ evidence: [BackupManifest.EvidenceObject], in store: any ArtifactStore) async -> [EvidenceProblem] {
        var problems: [EvidenceProblem] = []
        for object in evidence {
            do {
                var hash = SHA256()
                var size: Int64 = 0
                for try await chunk in try await store.read(object.key) {
                    chunk.withUnsafeBytes { hash.update(bufferPointer: $0) }
                    size += Int64(chunk.count)
                }
                let sha256 = SigV4.hex(hash.finalize())
                if sha256 != object.sha256 || size != object.size {
                    problems.append(.init(key: object.key, reason: "holds \(size) bytes with SHA-256 \(sha256), not the \(object.size) bytes with \(object.sha256) delivered"))
                }
            } catch {
                problems.append(.init(key: object.key, reason: "missing from the evidence store (\(error))"))
            }
        }
        return problems
    }

    // MARK: - PostgreSQL's tools

    /// PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (and PGSSLMODE from the URL) for the configuration's database.
    static func toolEnvironment(_ configuration: PostgresClient.Configuration, location: DatabaseLocation) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let socket = configuration.unixSocketPath {
            let url = URL(fileURLWithPath: socket)
            environment["PGHOST"] = url.deletingLastPathComponent().path
            environment["PGPORT"] = url.pathExtension   // .s.PGSQL.<port>
        } else {
            environment["PGHOST"] = configuration.host
            environment["PGPORT"] = configuration.port.map(String.init)
        }
        environment["PGUSER"] = configuration.username
        environment["PGPASSWORD"] = configuration.password
        environment["PGDATABASE"] = configuration.database
        if case .url(let url) = location, let mode = URLComponents(string: url)?.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            environment["PGSSLMODE"] = mode
        }
        return environment
    }

    /// Runs one of PostgreSQL's tools (found with the server binaries, then on PATH) or `tar`; its error output
    /// becomes the error.
    static func runTool(_ name: String, _ arguments: [String], environment: [String: String]? = nil) async throws {
        let process = Process()
        process.executableURL = locate(name)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw BackupError("\(name) could not be started: \(error) (install the PostgreSQL client tools)")
        }
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw BackupError("\(name) failed (status \(process.terminationStatus)): \(text)")
        }
    }

    static func locate(_ name: String) -> URL {
        let fileManager = FileManager.default
        var folders: [String] = []
        if name.hasPrefix("pg_") {
            let versions = (try? fileManager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
            folders += versions.compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin" }
        }
        folders += (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        let found = folders.map { URL(fileURLWithPath: $0).appendingPathComponent(name) }.first { fileManager.isExecutableFile(atPath: $0.path) }
        return found ?? URL(fileURLWithPath: "/usr/bin/\(name)")
    }

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("logatlas-backup-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    static func size(of file: URL) throws -> Int64 {
        (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? 0
    }

    static func digest(of file: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hash.update(data: chunk)
        }
        return SigV4.hex(hash.finalize())
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
