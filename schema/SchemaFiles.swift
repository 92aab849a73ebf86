import Foundation

/// The SQL migrations, carried as the resource bundle `LogAtlas_LogAtlasSchema.resources`.
public enum SchemaFiles {
    /// The folder holding the `*.sql` files.
    public static var folder: URL { Bundle.module.bundleURL }
}
