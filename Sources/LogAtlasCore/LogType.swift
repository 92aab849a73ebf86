/// Where a log type feeds in Sigma's logsource taxonomy (appendix 2.1.0).
public struct SigmaLogsource: Hashable, Sendable, Codable {
    public var product: String?
    public var service: String?
    public var category: String?

    public init(product: String? = nil, service: String? = nil, category: String? = nil) {
        self.product = product
        self.service = service
        self.category = category
    }
}

/// One entry of the built-in log-type taxonomy.
public struct LogType: Hashable, Sendable {
    /// Stable dotted code, e.g. `network.proxy`.
    public var code: String
    public var title: String
    /// ATT&CK data components (v18 names) this log type supplies.
    public var attackDataComponents: [String]
    /// The deprecated (≤ v17) ATT&CK data source IDs, kept for older coverage tools.
    public var attackDataSources: [String]
    public var sigma: [SigmaLogsource]

    /// The family before the dot: `network`, `host`, `identity`, …
    public var family: String { String(code.prefix { $0 != "." }) }
}
