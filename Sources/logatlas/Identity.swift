import ArgumentParser
import Foundation
import LogAtlasCore
import LogAtlasStore

/// `logatlas user …`
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Manage users.", subcommands: [Add.self, Passwd.self, Email.self])

    /// `logatlas user add NAME --role ROLE [--org ORG…]`
    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user with a role and organisation memberships.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "User name.") var name: String
        @Option(help: "admin, csirt, custodian or auditor.") var role: String
        @Option(name: .customLong("org"), help: "Organisation the user belongs to (repeatable).") var orgs: [String] = []

        func validate() throws {
            guard Role(rawValue: role) != nil else { throw ValidationError("--role is one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))") }
            if role == "custodian", orgs.isEmpty { throw ValidationError("a custodian needs at least one --org") }
        }

        func run() async throws {
            let (name, role, orgs) = (name, Role(rawValue: role)!, orgs.map { OrgID($0) })
            try await DatabaseSession.with(database.location, connections: database.dbConnections, logger: makeLogger("logatlas")) { database in
                try await IdentityStore(database: database).addUser(named: name, role: role, orgs: orgs, actor: "cli")
            }
            print("user \(name) added as \(role.rawValue)")
        }
    }
}

extension UserCommand {
    /// `logatlas user passwd NAME`: the console password, typed at a prompt or read from standard input.
    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a user's console password (prompted on a terminal, else the first line of standard input).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "User name.") var name: String

        func run() async throws {
            let password = try Self.readPassword()
            guard password.count >= PasswordHasher.minimumLength else {
                throw ValidationError("a console password needs at least \(PasswordHasher.minimumLength) characters")
            }
            do {
                try await DatabaseSession.with(database.location, connections: database.dbConnections, logger: makeLogger("logatlas")) { database in
                    try await ConsoleStore(database: database).setPassword(password, for: name, actor: "cli")
                }
            } catch IdentityError.notFound {
                throw ValidationError("there is no user named \(name) (logatlas user add creates one)")
            }
            print("console password of \(name) set")
        }

        static func readPassword() throws -> String {
            guard isatty(STDIN_FILENO) == 1 else {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else { throw ValidationError("no password on standard input") }
                return line
            }
            guard let first = getpass("Password: ").map({ String(cString: $0) }),
                  let second = getpass("Again: ").map({ String(cString: $0) }) else { throw ValidationError("no password typed") }
            guard first == second else { throw ValidationError("the two passwords differ") }
            return first
        }
    }
}

extension UserCommand {
    /// `logatlas user email NAME ADDRESS [--language ja]`: where the user's notifications go, in which language.
    struct Email: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the address a user's e-mail notifications go to (\"none\" removes it) and their language.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "User name.") var name: String
        @Argument(help: "E-mail address, or none.") var address: String
        @Option(help: "en or ja: the language of the user's e-mail and console.") var language: String?

        func run() async throws {
            let email = address == "none" ? nil : address
            do {
                try await DatabaseSession.with(database.location, connections: database.dbConnections, logger: makeLogger("logatlas")) { database in
                    try await IdentityStore(database: database).setContact(of: name, email: email, language: language, actor: "cli")
                }
            } catch IdentityError.notFound {
                throw ValidationError("there is no user named \(name) (logatlas user add creates one)")
            } catch IdentityError.invalid(let issues) {
                throw ValidationError(issues.map { "\($0.path): \($0.message)" }.joined(separator: "; "))
            }
            print(email.map { "e-mail of \(name) set to \($0)" } ?? "e-mail of \(name) removed")
        }
    }
}

/// `logatlas token …`
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Create and revoke API tokens.",
                                                    subcommands: [Create.self, Revoke.self])

    /// `logatlas token create --user NAME [--expires 90d]`
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a bearer token; it is shown once and stored only as a hash.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "The user the token acts as.") var user: String
        @Option(help: "Lifetime such as 90d, 12h or never.") var expires: String = "90d"

        func run() async throws {
            let lifetime = try TokenLifetime.parse(expires)
            let user = user
            let token = try await DatabaseSession.with(database.location, connections: database.dbConnections, logger: makeLogger("logatlas")) { database in
                try await IdentityStore(database: database).createToken(for: user, lifetime: lifetime, actor: "cli")
            }
            print(token.secret)
            FileHandle.standardError.write(Data("token \(token.prefix)… for \(user)\(token.expiresAt.map { ", expires \($0)" } ?? ", never expires"); store it now, it is not shown again\n".utf8))
        }
    }

    /// `logatlas token revoke ID-OR-PREFIX`
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its ID or its first 10 characters.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Token ID or prefix (la_xxxxxxx).") var token: String

        func run() async throws {
            let token = token
            let count = try await DatabaseSession.with(database.location, connections: database.dbConnections, logger: makeLogger("logatlas")) { database in
                try await IdentityStore(database: database).revokeToken(token, actor: "cli")
            }
            guard count > 0 else { throw CommandFailure(description: "no active token matches \(token)") }
            print("revoked \(count) token(s)")
        }
    }
}

enum TokenLifetime {
    /// `90d`, `12h`, `30m` or `never`.
    static func parse(_ text: String) throws -> Duration? {
        if text == "never" { return nil }
        guard let unit = text.last, let amount = Int(text.dropLast()), amount > 0 else {
            throw ValidationError("--expires looks like 90d, 12h, 30m or never")
        }
        switch unit {
        case "d": return .seconds(amount * 86_400)
        case "h": return .seconds(amount * 3_600)
        case "m": return .seconds(amount * 60)
        default: throw ValidationError("--expires looks like 90d, 12h, 30m or never")
        }
    }
}

/// `logatlas audit verify`
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Work with the audit trail.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Walk the hash chain and report the first broken event.")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let result = try await DatabaseSession.with(database.location, connections: database.dbConnections, logger: makeLogger("logatlas")) { database in
                try await AuditTrail(database: database).verify()
            }
            switch result {
            case .intact(let events): print("OK: \(events) events, chain intact")
            case .broken(let seq, let reason): throw CommandFailure(description: "BROKEN at event \(seq): \(reason)")
            }
        }
    }
}
