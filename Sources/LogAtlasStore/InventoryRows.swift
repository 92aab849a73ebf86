import Foundation
import LogAtlasCore
import PostgresNIO

/// JSON shapes handed to `jsonb_to_recordset`, so that one statement writes any number of rows.
struct OrgRecord: Codable {
    var id: String, name: String, kind: String, parent_id: String?, contacts: [String], escalation_contact: String?

    init(_ org: Organisation) {
        id = org.id.rawValue; name = org.name; kind = org.kind.rawValue; parent_id = org.parentID?.rawValue
        contacts = org.contacts; escalation_contact = org.escalationContact
    }
    static let columns = "id text, name text, kind text, parent_id text, contacts text[], escalation_contact text"
}

struct SystemRecord: Codable {
    var id: String, name: String, owner_org_id: String, criticality: String, internet_facing: Bool, tags: [String], description: String?

    init(_ system: ProtectedSystem) {
        id = system.id.rawValue; name = system.name; owner_org_id = system.ownerOrgID.rawValue
        criticality = system.criticality.rawValue; internet_facing = system.isInternetFacing; tags = system.tags
        description = system.description
    }
    static let columns = "id text, name text, owner_org_id text, criticality text, internet_facing boolean, tags text[], description text"
}

struct SourceRecord: Codable {
    var id: UUID, system_id: String, name: String, log_type: String, product: String?, format: String?
    var custodian_org_id: String, retention_tiers: [RetentionTier], access_procedure: AccessProcedure?
    var fields: [String], clock_ntp_synced: Bool, clock_timezone: String?, volume_gb_per_day: Double?, notes: String?

    init(_ source: LogSource) {
        id = source.id.rawValue; system_id = source.systemID.rawValue; name = source.name; log_type = source.logType
        product = source.product; format = source.format; custodian_org_id = source.custodianOrgID.rawValue
        retention_tiers = source.retentionTiers; access_procedure = source.accessProcedure; fields = source.fields
        clock_ntp_synced = source.clock.isNTPSynced; clock_timezone = source.clock.timezone
        volume_gb_per_day = source.volumeGBPerDay; notes = source.notes
    }
    static let columns = """
        id uuid, system_id text, name text, log_type text, product text, format text, custodian_org_id text,
        retention_tiers jsonb, access_procedure jsonb, fields text[], clock_ntp_synced boolean, clock_timezone text,
        volume_gb_per_day double precision, notes text
        """
}

enum RecordJSON {
    /// One decoder for every row (creating one per row showed up in profiles; decoding is thread-safe).
    static let decoder = JSONDecoder()

    /// One JSON array of records, to bind as a single `jsonb` parameter.
    static func array<T: Encodable>(_ records: [T]) throws -> String {
        String(decoding: try JSONEncoder().encode(records), as: UTF8.self)
    }
}


/// Column lists and row decoding shared by the inventory queries (a source row is what the `source_rows` view returns).
enum InventoryRows {
    static let orgColumns = "o.id, o.name, o.kind, o.parent_id, o.contacts, o.escalation_contact, o.version"
    static let systemColumns = "y.id, y.name, y.owner_org_id, y.criticality, y.internet_facing, y.tags, y.description, y.version"
    static func org(_ row: PostgresRandomAccessRow) throws -> Organisation {
        Organisation(id: OrgID(try row.value("id")), name: try row.value("name"),
                     kind: OrgKind(rawValue: try row.value("kind")) ?? .department,
                     parentID: try row.value("parent_id", as: String?.self).map { OrgID($0) },
                     contacts: try row.value("contacts"), escalationContact: try row.value("escalation_contact"),
                     version: try row.value("version"))
    }

    static func system(_ row: PostgresRandomAccessRow) throws -> ProtectedSystem {
        ProtectedSystem(id: SystemID(try row.value("id")), name: try row.value("name"),
                        ownerOrgID: OrgID(try row.value("owner_org_id")),
                        criticality: Criticality(rawValue: try row.value("criticality")) ?? .medium,
                        isInternetFacing: try row.value("internet_facing"), tags: try row.value("tags"),
                        description: try row.value("description"), version: try row.value("version"))
    }

    static func measuredLeadTime(_ row: PostgresRandomAccessRow) throws -> MeasuredLeadTime? {
        guard let samples = try row.value("lead_samples", as: Int?.self) else { return nil }
        return MeasuredLeadTime(samples: samples, medianHours: try row.value("lead_median"), p90Hours: try row.value("lead_p90"))
    }

    /// A source plus the owner of its system (which authorisation needs).
    static func source(_ row: PostgresRandomAccessRow) throws -> (source: LogSource, systemOwner: OrgID) {
        var (source, owner, tiers, access) = try sourceWithoutJSON(row)
        source.retentionTiers = try RecordJSON.decoder.decode([RetentionTier].self, from: Data(tiers.utf8))
        source.accessProcedure = try access.map { try RecordJSON.decoder.decode(AccessProcedure.self, from: Data($0.utf8)) }
        return (source, owner)
    }

    /// Everything but the retention tiers and access procedure, which are returned as JSON text.
    private static func sourceWithoutJSON(_ row: PostgresRandomAccessRow) throws
        -> (source: LogSource, systemOwner: OrgID, tiers: String, access: String?) {
        var attestation: Attestation?
        if let checkedAt = try row.value("checked_at", as: Date?.self) {
            attestation = Attestation(oldestRecordAt: try row.value("oldest_record_at"), checkedAt: checkedAt,
                                      checkedBy: try row.value("checked_by"), method: try row.value("method"))
        }
        let source = LogSource(
            id: LogSourceID(try row.value("id", as: UUID.self)), systemID: SystemID(try row.value("system_id")),
            name: try row.value("name"), logType: try row.value("log_type"), product: try row.value("product"),
            format: try row.value("format"), custodianOrgID: OrgID(try row.value("custodian_org_id")),
            retentionTiers: [], accessProcedure: nil, fields: try row.value("fields"),
            clock: Clock(isNTPSynced: try row.value("clock_ntp_synced"), timezone: try row.value("clock_timezone")),
            volumeGBPerDay: try row.value("volume_gb_per_day"), notes: try row.value("notes"),
            latestAttestation: attestation, measuredLeadTime: try measuredLeadTime(row), version: try row.value("version"))
        return (source, OrgID(try row.value("system_owner_org_id")), try row.value("tiers", as: String.self), try row.value("access", as: String?.self))
    }
}
