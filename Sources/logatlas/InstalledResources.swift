import Foundation

/// The resource bundles the binary reads at run time — the schema, the shipped policies, the OpenAPI document and
/// demo inventory — are folders beside it (`swift build` puts them there; an installation copies them along).
enum InstalledResources {
    static let bundles = ["LogAtlas_LogAtlasSchema.resources", "LogAtlas_LogAtlasPolicies.resources", "LogAtlas_LogAtlasServer.resources"]

    /// One line naming what is missing, or `nil` when every bundle is in place.
    static func problem(besides executable: URL? = Bundle.main.executableURL) -> String? {
        let folder = (executable ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath().deletingLastPathComponent()
        let missing = bundles.filter { !FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
        guard !missing.isEmpty else { return nil }
        return "logatlas: cannot start: \(missing.joined(separator: ", ")) missing from \(folder.path) (copy every *.resources folder of the build beside the binary)"
    }
}
