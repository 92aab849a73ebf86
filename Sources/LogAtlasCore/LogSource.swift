import Foundation

/// One retention tier of a source: e.g. 90 days in the SIEM, searchable, 1 hour to retrieve.
public struct RetentionTier: Hashable, Sendable, Codable {
    public var medium: StorageMedium
    public var days: Int
    public var isSearchable: Bool
    /// Declared time to get data out of this tier; `nil` means the medium's documented default.
    public var retrievalHours: Double?

    public init(medium: StorageMedium, days: Int, isSearchable: Bool, retrievalHours: Double? = nil) {
        self.medium = medium
        self.days = days
        self.isSearchable = isSearchable
        self.retrievalHours = retrievalHours
    }

    /// Retrieval hours in force: the declared value or the medium's default.
    public var effectiveRetrievalHours: Double { retrievalHours ?? medium.defaultRetrievalHours }

    enum CodingKeys: String, CodingKey {
        case medium, days, isSearchable = "searchable", retrievalHours = "retrieval_hours"
    }
}

/// How logs are delivered once a request is approved.
public enum DeliveryMethod: String, CaseIterable, Sendable, Codable {
    case searchAccess = "search-access"
    case fileExport = "file-export"
    case vendorTicket = "vendor-ticket"
}

/// The documented path to obtain a source's logs.
public struct AccessProcedure: Hashable, Sendable, Codable {
    public var contact: String?
    /// Approvals needed, e.g. `privacy-officer`.
    public var approvals: [String]
    public var steps: String?
    public var leadTimeHours: Double?
    public var delivery: DeliveryMethod?

    public init(contact: String? = nil, approvals: [String] = [], steps: String? = nil,
                leadTimeHours: Double? = nil, delivery: DeliveryMethod? = nil) {
        self.contact = contact
        self.approvals = approvals
        self.steps = steps
        self.leadTimeHours = leadTimeHours
        self.delivery = delivery
    }

    enum CodingKeys: String, CodingKey {
        case contact, approvals, steps, leadTimeHours = "lead_time_hours", delivery
    }
}

/// The clock of the devices writing a source.
public struct Clock: Hashable, Sendable {
    public var isNTPSynced: Bool
    public var timezone: String?

    public init(isNTPSynced: Bool = false, timezone: String? = nil) {
        self.isNTPSynced = isNTPSynced
        self.timezone = timezone
    }
}

/// Evidence that a retention claim holds: the oldest record available when someone checked.
public struct Attestation: Hashable, Sendable {
    public var oldestRecordAt: Date
    public var checkedAt: Date
    public var checkedBy: String
    /// How it was checked, e.g. `query`, `restore-drill`, `vendor-statement`.
    public var method: String

    public init(oldestRecordAt: Date, checkedAt: Date, checkedBy: String, method: String) {
        self.oldestRecordAt = oldestRecordAt
        self.checkedAt = checkedAt
        self.checkedBy = checkedBy
        self.method = method
    }

    /// Days of history the attestation shows were available when checked.
    public var attestedDays: Int { max(0, Int((checkedAt.timeIntervalSince(oldestRecordAt) / 86_400).rounded(.down))) }
}

/// How long retrieval requests for a source actually took, filing to delivery (the broker measures it).
public struct MeasuredLeadTime: Hashable, Sendable {
    /// Delivered requests measured.
    public var samples: Int
    public var medianHours: Double
    public var p90Hours: Double

    public init(samples: Int, medianHours: Double, p90Hours: Double) {
        self.samples = samples
        self.medianHours = medianHours
        self.p90Hours = p90Hours
    }

    /// Samples needed before the gap analysis trusts the measurement over the declaration.
    public static let minimumSamples = 3
    public var isConclusive: Bool { samples >= Self.minimumSamples }
}

/// One stream of logs of one system.
public struct LogSource: Hashable, Sendable {
    public var id: LogSourceID
    public var systemID: SystemID
    public var name: String
    /// Dotted taxonomy code, e.g. `network.firewall`.
    public var logType: String
    public var product: String?
    public var format: String?
    /// Who holds the logs and answers requests for them.
    public var custodianOrgID: OrgID
    public var retentionTiers: [RetentionTier]
    public var accessProcedure: AccessProcedure?
    public var fields: [String]
    public var clock: Clock
    public var volumeGBPerDay: Double?
    public var notes: String?
    /// The most recent attestation, if any.
    public var latestAttestation: Attestation?
    /// Measured by the retrieval broker; nil until a request for the source was delivered.
    public var measuredLeadTime: MeasuredLeadTime?
    public var version: Int

    public init(id: LogSourceID = LogSourceID(), systemID: SystemID, name: String, logType: String,
                product: String? = nil, format: String? = nil, custodianOrgID: OrgID,
                retentionTiers: [RetentionTier] = [], accessProcedure: AccessProcedure? = nil,
                fields: [String] = [], clock: Clock = Clock(), volumeGBPerDay: Double? = nil,
                notes: String? = nil, latestAttestation: Attestation? = nil, measuredLeadTime: MeasuredLeadTime? = nil, version: Int = 1) {
        self.id = id
        self.systemID = systemID
        self.name = name
        self.logType = logType
        self.product = product
        self.format = format
        self.custodianOrgID = custodianOrgID
        self.retentionTiers = retentionTiers
        self.accessProcedure = accessProcedure
        self.fields = fields
        self.clock = clock
        self.volumeGBPerDay = volumeGBPerDay
        self.notes = notes
        self.latestAttestation = latestAttestation
        self.measuredLeadTime = measuredLeadTime
        self.version = version
    }
}
