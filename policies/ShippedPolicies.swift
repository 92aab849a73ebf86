import Foundation

/// The shipped policy files, carried as the resource bundle `LogAtlas_LogAtlasPolicies.resources`.
public enum ShippedPolicies {
    /// The folder holding the shipped `*.yaml` files (`policies/shipped/`, copied whole: a file added or removed
    /// there is added or removed in the bundle by the next build).
    public static var folder: URL { Bundle.module.bundleURL.appendingPathComponent("shipped") }
}
