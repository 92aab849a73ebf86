import Foundation

/// A policy file an admin uploaded through the API.
public struct UploadedPolicy: Hashable, Sendable {
    public var id: String
    public var yaml: String
    public var uploadedBy: String
    public var uploadedAt: Date
    public var version: Int

    public init(id: String, yaml: String, uploadedBy: String, uploadedAt: Date, version: Int) {
        self.id = id
        self.yaml = yaml
        self.uploadedBy = uploadedBy
        self.uploadedAt = uploadedAt
        self.version = version
    }
}

/// Uploaded policies; every signed-in role reads them, only admins change them.
public protocol PolicyRepository: Sendable {
    func uploaded(as caller: Principal) async throws -> [UploadedPolicy]
    /// Creates or replaces the policy `id` (the YAML has been validated by the caller).
    func save(id: String, yaml: String, as caller: Principal) async throws -> UploadedPolicy
    func delete(id: String, as caller: Principal) async throws
}
