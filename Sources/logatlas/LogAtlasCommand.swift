import ArgumentParser
import Foundation
import LogAtlasStore
import Logging

/// `logatlas`: the LogAtlas service and its maintenance commands.
@main
struct LogAtlasCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logatlas",
        abstract: "Log-source inventory, coverage and retrieval broker for incident response.",
        subcommands: [Serve.self, Migrate.self, Apply.self, Export.self, UserCommand.self, TokenCommand.self, MailCommand.self,
                      AuditCommand.self, Demo.self, Gaps.self, Detections.self, RequestCommand.self, AgreementCommand.self, ObservedGapCommand.self, ActionCardCommand.self, DrillCommand.self, Probe.self, Backup.self, Restore.self]
    )

    /// Refuses to start, with one line, when a resource bundle is missing; then parses and runs the command.
    static func main() async {
        if let problem = InstalledResources.problem() {
            FileHandle.standardError.write(Data((problem + "\n").utf8))
            Foundation.exit(2)
        }
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Where the database is; shared by every command that needs it.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Embedded PostgreSQL folder, used when no database URL is given (env: LOGATLAS_DATA_DIR).")
    var dataDir: String = Environment.value("LOGATLAS_DATA_DIR") ?? "./.logatlas"

    @Option(name: .long, help: "PostgreSQL URL, postgres://user:password@host:5432/db (env: DATABASE_URL).")
    var databaseURL: String? = Environment.value("DATABASE_URL")

    @Option(name: .long, help: "Most connections to PostgreSQL (env: LOGATLAS_DB_CONNECTIONS; default: twice the cores, at least 4).")
    var dbConnections: Int? = Environment.value("LOGATLAS_DB_CONNECTIONS").flatMap(Int.init)

    var location: DatabaseLocation { .resolve(databaseURL: databaseURL, dataDirectory: dataDir) }

    func validate() throws {
        if let dbConnections, dbConnections < 1 { throw ValidationError("--db-connections must be at least 1") }
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}

/// The logger of the CLI: warnings and errors only, unless LOGATLAS_LOG_LEVEL says otherwise.
func makeLogger(_ label: String, default level: Logger.Level = .warning) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = Environment.value("LOGATLAS_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? level
    return logger
}

/// A failure to report as one line and a non-zero exit code.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
}
