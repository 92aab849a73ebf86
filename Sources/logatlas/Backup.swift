import ArgumentParser
import Foundation
import LogAtlasStore

/// `logatlas backup -o FILE`: a consistent pg_dump and the manifest of the evidence it names, in one tar file.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Back up the database (embedded or DATABASE_URL) with a manifest of the evidence it names.",
        discussion: """
            Writes one tar file holding database.dump (pg_dump's custom format) and manifest.json (the schema version, \
            the dump's SHA-256, and the key, size and SHA-256 of every evidence object, read from the same snapshot as \
            the dump). Then reads every one of those objects back from the evidence store and hashes it: the exit status \
            is 1 when one is missing or differs (the backup is written all the same). Evidence itself is not copied: \
            back up the artifact folder or bucket with it.
            """)

    @Option(name: .shortAndLong, help: "The backup file to write.")
    var output: String

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var evidence: EvidenceStoreOptions

    func run() async throws {
        let logger = makeLogger("logatlas")
        let store = try evidence.artifactStore(dataDirectory: database.dataDir)
        let session = try await DatabaseSession.open(database.location, connections: 2, logger: logger)
        defer { session.cluster?.stop() }
        let manifest = try await DatabaseBackup.create(session, location: database.location, output: URL(fileURLWithPath: output), logger: logger)
        print("wrote \(output): the database at schema \(manifest.schema.last ?? "none") (\(manifest.database.size) bytes, "
              + "SHA-256 \(manifest.database.sha256)) and \(manifest.evidence.count) evidence objects in its manifest")
        try report(await DatabaseBackup.check(manifest.evidence, in: store), of: manifest.evidence.count)
    }
}

/// `logatlas restore FILE`: the database of a backup into a new, empty database, then the checks an auditor asks for.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a backup into a new, empty database and check it.",
        discussion: """
            Refuses a database that holds any table. The dump's digest is checked before anything is written, and the \
            restore runs in one transaction. Afterwards the audit chain is verified and every evidence object the \
            manifest names is read from the evidence store (--artifact-dir or --s3-url, restored beforehand) and hashed; \
            the exit status is 1 when the chain is broken or an object is missing or differs.
            """)

    @Argument(help: "The file `logatlas backup` wrote.")
    var file: String

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var evidence: EvidenceStoreOptions

    func run() async throws {
        let logger = makeLogger("logatlas")
        let store = try evidence.artifactStore(dataDirectory: database.dataDir)
        let location = database.location
        let manifest = try await DatabaseBackup.open(URL(fileURLWithPath: file)) { manifest, dump in
            let session = try await DatabaseSession.open(location, connections: 2, migrate: false, logger: logger)
            defer { session.cluster?.stop() }
            try await DatabaseBackup.restore(dump, into: session, location: location, logger: logger)
            let verdict = try await withRunningClient(session.configuration, logger: logger) { client in
                try await Migrator(logger: logger).migrate(client)   // a backup of an older release is brought forward
                return try await AuditTrail(database: Database(client: client, logger: logger, acquireTimeout: .seconds(30))).verify()
            }
            print("restored the database backed up at \(ISO8601DateFormatter().string(from: manifest.createdAt)) "
                  + "(schema \(manifest.schema.last ?? "none"))")
            switch verdict {
            case .intact(let events): print("audit chain: OK, \(events) events")
            case .broken(let seq, let reason): throw CommandFailure(description: "audit chain BROKEN at event \(seq): \(reason)")
            }
            return manifest
        }
        try report(await DatabaseBackup.check(manifest.evidence, in: store), of: manifest.evidence.count)
    }
}

/// One line when every evidence object is there; otherwise one line per problem and a failure.
private func report(_ problems: [EvidenceProblem], of count: Int) throws {
    guard !problems.isEmpty else {
        print(count == 0 ? "evidence: the database names none" : "evidence: all \(count) objects present with their SHA-256")
        return
    }
    for problem in problems { print("evidence \(problem)") }
    throw CommandFailure(description: "\(problems.count) of \(count) evidence objects are missing or differ")
}
