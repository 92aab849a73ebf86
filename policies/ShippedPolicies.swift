import Foundation

/// The shipped policy files, carried as the resource bundle `LogAtlas_LogAtlasPolicies.resources`.
public enum ShippedPolicies {
    /// The folder holding the shipped `*.yaml` files.
    public static var folder: URL { Bundle.module.bundleURL }
}
