import Foundation
import PostgresNIO

/// Where the database is: a server named by `DATABASE_URL`, or the embedded cluster in a data folder.
public enum DatabaseLocation: Sendable {
    case url(String)
    case embedded(folder: URL)

    /// `DATABASE_URL` when set, else the embedded cluster in `dataDirectory`.
    public static func resolve(databaseURL: String?, dataDirectory: String) -> DatabaseLocation {
        if let databaseURL, !databaseURL.isEmpty { return .url(databaseURL) }
        return .embedded(folder: URL(fileURLWithPath: dataDirectory))
    }
}

/// Connection settings parsed from a `postgres://user:password@host:port/database` URL.
public enum PostgresURL {
    /// A client configuration for `url`; `?host=/path` selects a Unix socket folder.
    public static func configuration(_ url: String, database override: String? = nil, connections: Int? = nil) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw DatabaseError.badURL("DATABASE_URL must look like postgres://user:password@host:5432/database")
        }
        let user = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = components.password.flatMap { $0.removingPercentEncoding }
        let database = override ?? String(components.path.dropFirst()).nilIfEmpty ?? user
        let socketFolder = components.queryItems?.first { $0.name == "host" }?.value
        var configuration: PostgresClient.Configuration
        if let socketFolder, socketFolder.hasPrefix("/") {
            configuration = .init(unixSocketPath: "\(socketFolder)/.s.PGSQL.\(components.port ?? 5432)", username: user, password: password, database: database)
        } else {
            let sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
            let tls: PostgresClient.Configuration.TLS = sslMode == "disable" ? .disable
                : sslMode == "require" ? .require(.makeClientConfiguration()) : .prefer(.makeClientConfiguration())
            configuration = .init(host: components.host ?? "localhost", port: components.port ?? 5432, username: user,
                                  password: password, database: database, tls: tls)
        }
        return configuration.withSessionDefaults(connections: connections)
    }
}

/// Errors raised while connecting or migrating.
public enum DatabaseError: Error, CustomStringConvertible {
    case badURL(String)
    case migrationFailed(String)

    public var description: String {
        switch self {
        case .badURL(let text): text
        case .migrationFailed(let text): text
        }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
