import Foundation

/// The folder holding the system's `initdb` and `postgres`.
struct PostgresBinaries {
    let folder: URL

    func path(_ tool: String) -> String { folder.appendingPathComponent(tool).path }

    /// Looks on PATH first, then under /usr/lib/postgresql/<newest>/bin.
    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment,
                       libraryRoot: String = "/usr/lib/postgresql") throws -> PostgresBinaries {
        let fileManager = FileManager.default
        var candidates = (environment["PATH"] ?? "").split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        let versions = (try? fileManager.contentsOfDirectory(atPath: libraryRoot)) ?? []
        candidates += versions.compactMap(Int.init).sorted(by: >).map { URL(fileURLWithPath: "\(libraryRoot)/\($0)/bin") }
        for folder in candidates where
            fileManager.isExecutableFile(atPath: folder.appendingPathComponent("initdb").path)
            && fileManager.isExecutableFile(atPath: folder.appendingPathComponent("postgres").path) {
            return PostgresBinaries(folder: folder)
        }
        throw EmbeddedPostgresError.binariesNotFound
    }
}

/// The account PostgreSQL runs as: the current user, or an unprivileged one when running as root
/// (`initdb` and `postgres` refuse root), switched to with util-linux `setpriv`.
struct RunAccount {
    let name: String?
    let uid: uid_t
    let gid: gid_t

    static func current() throws -> RunAccount {
        guard getuid() == 0 else { return RunAccount(name: nil, uid: getuid(), gid: getgid()) }
        for candidate in ["postgres", "nobody"] {
            if let entry = getpwnam(candidate) {
                return RunAccount(name: candidate, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
            }
        }
        throw EmbeddedPostgresError.startFailed("running as root and neither a 'postgres' nor a 'nobody' account exists")
    }

    /// Gives the folder to the account and checks the account can reach it.
    func prepare(_ folder: URL) throws {
        guard let name else { return }
        var ancestor = folder.deletingLastPathComponent()
        while ancestor.path != "/" {
            var info = stat()
            if stat(ancestor.path, &info) == 0, info.st_mode & 0o001 == 0, info.st_uid != uid {
                throw EmbeddedPostgresError.folderNotReachable(folder.path, account: name)
            }
            ancestor = ancestor.deletingLastPathComponent()
        }
        let status = try EmbeddedPostgres.run(["/bin/chown", "-R", "\(uid):\(gid)", folder.path], log: URL(fileURLWithPath: "/dev/null"))
        guard status == 0 else { throw EmbeddedPostgresError.startFailed("could not give \(folder.path) to \(name)") }
    }

    /// The command line that runs `tool` as this account.
    func command(_ tool: String, _ arguments: [String]) -> [String] {
        guard name != nil else { return [tool] + arguments }
        return ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "--", tool] + arguments
    }
}
