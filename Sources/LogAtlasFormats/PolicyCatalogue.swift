import Foundation
import LogAtlasCore
import LogAtlasPolicies

/// The policies shipped beside the binary (`policies/shipped/*.yaml`) plus any the user adds from a folder or file.
public enum PolicyCatalogue {
    /// Every shipped policy, by ID. No shipped policy at all means a broken installation: an error, never an
    /// empty catalogue that every inventory would pass.
    public static func shipped() throws -> [Policy] {
        let policies = try load(folder: ShippedPolicies.folder)
        guard !policies.isEmpty else {
            throw FormatError(file: ShippedPolicies.folder.path, problems: [FormatProblem(line: 1, column: 1, path: "",
                message: "no shipped policy files: the installation is incomplete")])
        }
        return policies
    }

    /// Every `*.yaml` policy in `folder`; all files are validated, and every problem of every file is reported.
    public static func load(folder: URL) throws -> [Policy] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        var policies: [Policy] = [], problems: [FormatError] = []
        for name in names {
            do {
                policies.append(try load(file: folder.appendingPathComponent(name)))
            } catch let error as FormatError {
                problems.append(error)
            }
        }
        if let first = problems.first {
            throw FormatError(file: first.file, problems: problems.flatMap { error in
                error.problems.map { FormatProblem(line: $0.line, column: $0.column, path: "\(error.file): \($0.path)", message: $0.message) }
            })
        }
        return policies
    }

    public static func load(file: URL) throws -> Policy {
        try PolicyYAML.decode(try Data(contentsOf: file), file: file.lastPathComponent)
    }

    /// Resolves each reference — a shipped, folder or `also` policy ID, or a file path — to a policy.
    public static func resolve(_ references: [String], extraFolder: URL?, also: [Policy] = []) throws -> [Policy] {
        var known = try shipped()
        if let extraFolder { known += try load(folder: extraFolder) }
        known += also
        return try references.map { reference in
            if let policy = known.first(where: { $0.id == reference }) { return policy }
            if FileManager.default.fileExists(atPath: reference) { return try load(file: URL(fileURLWithPath: reference)) }
            throw FormatError(file: reference, problems: [FormatProblem(line: 1, column: 1, path: "",
                message: Validation.unknownMessage("policy", reference, known.map(\.id)))])
        }
    }
}
