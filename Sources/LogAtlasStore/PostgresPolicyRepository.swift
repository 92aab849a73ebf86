import Foundation
import LogAtlasCore
import PostgresNIO

/// Uploaded policy files in PostgreSQL.
public struct PostgresPolicyRepository: PolicyRepository {
    let database: Database

    public init(database: Database) { self.database = database }

    public func uploaded(as caller: Principal) async throws -> [UploadedPolicy] {
        try await database.withCaller(caller) { connection in
            let rows = try await connection.checkedQuery("SELECT id, yaml, uploaded_by, uploaded_at, version FROM uploaded_policies ORDER BY id",
                                                  logger: database.logger)
            var policies: [UploadedPolicy] = []
            for try await (id, yaml, by, at, version) in rows.decode((String, String, String, Date, Int).self) {
                policies.append(UploadedPolicy(id: id, yaml: yaml, uploadedBy: by, uploadedAt: at, version: version))
            }
            return policies
        }
    }

    public func save(id: String, yaml: String, as caller: Principal) async throws -> UploadedPolicy {
        guard caller.mayManagePolicies else { throw PolicyError.forbidden("only admins upload policies") }
        return try await database.withCaller(caller) { connection in
            let rows = try await connection.checkedQuery("""
                INSERT INTO uploaded_policies (id, yaml, uploaded_by) VALUES (\(id), \(yaml), \(caller.name))
                ON CONFLICT (id) DO UPDATE SET yaml = EXCLUDED.yaml, uploaded_by = EXCLUDED.uploaded_by, uploaded_at = now(),
                                               version = uploaded_policies.version + 1
                RETURNING id, yaml, uploaded_by, uploaded_at, version
                """, logger: database.logger)
            for try await (id, yaml, by, at, version) in rows.decode((String, String, String, Date, Int).self) {
                return UploadedPolicy(id: id, yaml: yaml, uploadedBy: by, uploadedAt: at, version: version)
            }
            throw PolicyError.forbidden("only admins upload policies")
        }
    }

    public func delete(id: String, as caller: Principal) async throws {
        guard caller.mayManagePolicies else { throw PolicyError.forbidden("only admins delete policies") }
        try await database.withCaller(caller) { connection in
            let rows = try await connection.checkedQuery("DELETE FROM uploaded_policies WHERE id = \(id) RETURNING id", logger: database.logger)
            for try await _ in rows { return }
            throw PolicyError.notFound(kind: "uploaded policy", id: id)
        }
    }
}
