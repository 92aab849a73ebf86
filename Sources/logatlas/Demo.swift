import ArgumentParser
import LogAtlasServer
import LogAtlasStore

/// `logatlas demo`: load the demo inventory and users, print a token per demo user.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load the demo inventory (when empty) and print one fresh token per demo user.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logins = try await DatabaseSession.with(database.location, connections: database.dbConnections, logger: makeLogger("logatlas")) { database in
            try await DemoData.loadIfEmpty(into: database)
        }
        print(DemoData.banner(tokens: logins, url: "http://127.0.0.1:8080"))
    }
}
