import Foundation

/// The SQL migrations, carried as the resource bundle `LogAtlas_LogAtlasSchema.resources`.
public enum SchemaFiles {
    /// The folder holding the `*.sql` files (`schema/migrations/`, copied whole: a file added or removed there is
    /// added or removed in the bundle by the next build).
    public static var folder: URL { Bundle.module.bundleURL.appendingPathComponent("migrations") }
}
