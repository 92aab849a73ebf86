import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL cluster in a local folder, started from the system's PostgreSQL binaries.
///
/// Layout: `<folder>/pgdata` holds the cluster, `<folder>/.s.PGSQL.5432` is its only socket (no TCP),
/// `<folder>/postgres.log` its log and `<folder>/logatlas.owner` the PID of the LogAtlas process that
/// started it. A running cluster started by another live LogAtlas process is attached to, not restarted;
/// one left behind by a killed process is stopped and started afresh.
public final class EmbeddedPostgres: @unchecked Sendable {
    /// The superuser `initdb` creates; the embedded cluster trusts local socket connections only.
    public static let superuser = "logatlas"
    /// The database LogAtlas uses inside the cluster.
    public static let databaseName = "logatlas"

    public let folder: URL
    private let logger: Logger
    private var process: Process?
    private let lock = NSLock()

    public init(folder: URL, logger: Logger = Logger(label: "logatlas.embedded-postgres")) {
        self.folder = folder.standardizedFileURL
        self.logger = logger
    }

    public var dataDirectory: URL { folder.appendingPathComponent("pgdata") }
    public var socketPath: String { folder.appendingPathComponent(".s.PGSQL.5432").path }
    var ownerFile: URL { folder.appendingPathComponent("logatlas.owner") }
    var logFile: URL { folder.appendingPathComponent("postgres.log") }

    /// Whether this process started the cluster (and so stops it).
    public var isOwned: Bool { lock.withLock { process != nil } }

    /// Starts the cluster, initialising it the first time, or attaches to one another LogAtlas process runs.
    public func start() async throws {
        guard socketPath.utf8.count < 107 else { throw EmbeddedPostgresError.socketPathTooLong(socketPath) }
        let binaries = try PostgresBinaries.locate()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if try attachToRunningCluster() { return }
        let account = try RunAccount.current()
        try account.prepare(folder)
        if !FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) {
            try initialise(binaries: binaries, account: account)
        }
        try launch(binaries: binaries, account: account)
        try await waitUntilReady()
        try "\(getpid())\n".write(to: ownerFile, atomically: true, encoding: .utf8)
    }

    /// Stops the cluster if this process started it (fast shutdown), waiting for it to exit.
    public func stop() {
        let running: Process? = lock.withLock { defer { process = nil }; return process }
        guard let running, running.isRunning else { return }
        kill(running.processIdentifier, SIGINT)
        for _ in 0..<200 where running.isRunning { usleep(50_000) }
        if running.isRunning { kill(running.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: ownerFile)
        logger.info("embedded PostgreSQL stopped")
    }

    /// Whether the postmaster this process started is still running (false once stopped or when it died).
    public var isRunning: Bool { lock.withLock { process?.isRunning ?? false } }

    /// The last lines of the cluster's log, for the message when it died.
    public var recentLog: String { logTail() }

    /// PID of the postmaster this process started, for last-resort clean-up.
    public var postmasterPID: Int32? { lock.withLock { process?.processIdentifier } }

    private func attachToRunningCluster() throws -> Bool {
        let pidFile = dataDirectory.appendingPathComponent("postmaster.pid")
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
              let pid = text.split(separator: "\n").first.flatMap({ Int32($0.trimmingCharacters(in: .whitespaces)) }) else {
            return false
        }
        guard Self.isAlive(pid) else {
            logger.info("removing stale postmaster.pid (pid \(pid) is gone)")
            try? FileManager.default.removeItem(at: pidFile)
            return false
        }
        // The PID may have been reused by an unrelated process since the cluster died: signal nothing unless it
        // is a postgres executable working in this very data directory.
        guard Self.isPostmaster(pid, of: dataDirectory) else {
            logger.warning("postmaster.pid names process \(pid), which is not a PostgreSQL server of this data directory; leaving it alone")
            try? FileManager.default.removeItem(at: pidFile)
            return false
        }
        let owner = (try? String(contentsOf: ownerFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        if let owner, owner != getpid(), Self.isAlive(owner) {
            logger.info("attaching to the embedded PostgreSQL run by process \(owner)")
            return true
        }
        logger.warning("stopping orphaned postmaster \(pid) left by a previous run")
        kill(pid, SIGQUIT)
        for _ in 0..<200 where Self.isAlive(pid) { usleep(50_000) }
        if Self.isAlive(pid) { kill(pid, SIGKILL); usleep(200_000) }
        try? FileManager.default.removeItem(at: pidFile)
        return false
    }

    private func initialise(binaries: PostgresBinaries, account: RunAccount) throws {
        logger.info("initialising embedded PostgreSQL in \(dataDirectory.path)")
        let initdb = account.command(binaries.path("initdb"), [
            "-D", dataDirectory.path, "-U", Self.superuser, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
        ])
        let status = try Self.run(initdb, log: logFile)
        guard status == 0 else { throw EmbeddedPostgresError.initdbFailed(logTail()) }
    }

    private func launch(binaries: PostgresBinaries, account: RunAccount) throws {
        let command = account.command(binaries.path("postgres"), [
            "-D", dataDirectory.path, "-k", folder.path, "-c", "listen_addresses=", "-c", "max_connections=200",
            "-c", "shared_buffers=256MB", "-c", "fsync=on", "-c", "unix_socket_permissions=0770",
        ])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let log = try Self.appendHandle(logFile)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        lock.withLock { self.process = process }
    }

    private func waitUntilReady() async throws {
        let pidFile = dataDirectory.appendingPathComponent("postmaster.pid")
        for _ in 0..<600 {
            if let text = try? String(contentsOf: pidFile, encoding: .utf8) {
                let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
                if lines.count > 7, lines[7].trimmingCharacters(in: .whitespaces) == "ready" { return }
            }
            if let process = lock.withLock({ self.process }), !process.isRunning {
                throw EmbeddedPostgresError.startFailed(logTail())
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw EmbeddedPostgresError.startFailed("not ready after 30 s\n" + logTail())
    }

    private func logTail() -> String {
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(8).joined(separator: "\n")
    }

    static func isAlive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno == EPERM }

    /// Whether `pid` runs the `postgres` executable with its working directory in `dataDirectory` (a postmaster
    /// changes into its data directory). What cannot be read (another user's process) counts as "no".
    static func isPostmaster(_ pid: Int32, of dataDirectory: URL) -> Bool {
        let fileManager = FileManager.default
        guard let executable = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"),
              let workingDirectory = try? fileManager.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
        let name = URL(fileURLWithPath: executable).lastPathComponent
        return (name == "postgres" || name == "postmaster")
            && URL(fileURLWithPath: workingDirectory).resolvingSymlinksInPath().path == dataDirectory.resolvingSymlinksInPath().path
    }

    static func appendHandle(_ url: URL) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: url.path) { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
        return handle
    }

    static func run(_ command: [String], log: URL) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let handle = try appendHandle(log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Why the embedded cluster could not be started.
public enum EmbeddedPostgresError: Error, CustomStringConvertible {
    case binariesNotFound
    case socketPathTooLong(String)
    case initdbFailed(String)
    case startFailed(String)
    case folderNotReachable(String, account: String)
    case exitedUnexpectedly(String)

    public var description: String {
        switch self {
        case .binariesNotFound:
            "PostgreSQL server binaries (initdb, postgres) not found on PATH or under /usr/lib/postgresql/*/bin; install them with: sudo apt-get install -y postgresql"
        case .socketPathTooLong(let path):
            "the socket path \(path) is longer than the 107 bytes Unix sockets allow; choose a shorter --data-dir"
        case .initdbFailed(let log): "initdb failed:\n\(log)"
        case .startFailed(let log): "PostgreSQL did not start:\n\(log)"
        case .exitedUnexpectedly(let log):
            "the embedded PostgreSQL exited; LogAtlas stops so that its supervisor (systemd, Kubernetes) restarts both:\n\(log)"
        case .folderNotReachable(let path, let account):
            "the data folder \(path) is not reachable by the '\(account)' account that runs PostgreSQL (a parent folder lacks o+x); choose a --data-dir elsewhere, e.g. under /var/tmp"
        }
    }
}
