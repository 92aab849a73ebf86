/// Where a retention tier keeps its data. Each medium has a default retrieval time used when a tier declares none.
public enum StorageMedium: String, CaseIterable, Sendable, Codable {
    case siem
    case logServer = "log-server"
    case nas
    case objectStorage = "object-storage"
    case objectArchive = "object-archive"
    case tape
    case deviceLocal = "device-local"
    case vendorPortal = "vendor-portal"

    /// Hours from asking to having the data, when a tier gives no figure of its own.
    public var defaultRetrievalHours: Double {
        switch self {
        case .siem: 1
        case .logServer: 4
        case .nas: 8
        case .objectStorage: 1
        case .objectArchive: 12
        case .tape: 120
        case .deviceLocal: 24
        case .vendorPortal: 72
        }
    }

    /// Where the default figure comes from (shared/reference/logging-requirements.md §9, or the design brief).
    public var defaultBasis: String {
        switch self {
        case .siem: "Interactive search; Azure Monitor interactive query timeout 10 min, restore 'within a few minutes' (§9). One hour allows for access and export."
        case .logServer: "Central syslog/log server grep and export by an administrator; LogAtlas assumption, declare the real figure per tier."
        case .nas: "File share export by the owning team; design brief example (1 year on NAS, 8 h)."
        case .objectStorage: "S3 Standard / Glacier Instant Retrieval: first byte in under a second (§9); one hour for access and download."
        case .objectArchive: "S3 Glacier Deep Archive standard retrieval within 12 h; Flexible Retrieval standard 3–5 h; Azure Archive standard up to 15 h (§9)."
        case .tape: "Design brief example (7 years on tape, 5 days): cartridge recall and restore; LTO-9 load and seek times themselves are seconds (§9)."
        case .deviceLocal: "Ring buffer on the device: someone must log in before it rotates; LogAtlas assumption."
        case .vendorPortal: "Vendor ticket and export; LogAtlas assumption, declare the contract figure per tier."
        }
    }

    /// Whether data on this medium is usually searchable in place.
    public var isSearchableByDefault: Bool { self == .siem || self == .logServer }
}
