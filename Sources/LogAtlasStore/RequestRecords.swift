import Foundation
import LogAtlasCore
import PostgresNIO

/// JSON shapes and row decoding of the broker's tables.
enum RequestRows {
    /// Dates in JSON handed to PostgreSQL keep their microseconds.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date, fractional: true))
        }
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = Timestamp.parse(text) { return date }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 date: \(text)"))
        }
        return decoder
    }()

    static func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }

    struct ItemRecord: Codable {
        var id: UUID, requester_org_id: String?, custodian_org_id: String, source_ids: [UUID], feasibility: [SourceFeasibility]
        var acknowledge_due: Date, deliver_due: Date, preserve_before: Date?

        init(_ item: RequestItem, requesterOrg: OrgID?) {
            id = item.id.rawValue; requester_org_id = requesterOrg?.rawValue; custodian_org_id = item.custodianOrgID.rawValue
            source_ids = item.sourceIDs.map(\.rawValue); feasibility = item.feasibility
            acknowledge_due = item.acknowledgeDue; deliver_due = item.deliverDue; preserve_before = item.preserveBefore
        }

        /// The JSON array `file_request_as_caller` (schema/0014) reads with `jsonb_to_recordset`, written directly: `JSONEncoder` took a seventh of the server's
        /// time per filing. Reads back as encoding the same records does (tested).
        static func json(_ items: [ItemRecord]) -> String {
            var writer = JSONWriter()
            writer.text.reserveCapacity(items.count * 256 + items.reduce(0) { $0 + $1.feasibility.count * 512 })
            writer.text += "["
            for (index, item) in items.enumerated() {
                if index > 0 { writer.text += "," }
                writer.text += "{\"id\":"; writer.string(item.id.uuidString)
                if let org = item.requester_org_id { writer.text += ",\"requester_org_id\":"; writer.string(org) }
                writer.text += ",\"custodian_org_id\":"; writer.string(item.custodian_org_id)
                writer.text += ",\"source_ids\":"; writer.strings(item.source_ids.map(\.uuidString))
                writer.text += ",\"feasibility\":["
                for (position, feasibility) in item.feasibility.enumerated() {
                    if position > 0 { writer.text += "," }
                    write(feasibility, into: &writer)
                }
                writer.text += "],\"acknowledge_due\":"; writer.date(item.acknowledge_due)
                writer.text += ",\"deliver_due\":"; writer.date(item.deliver_due)
                if let preserve = item.preserve_before { writer.text += ",\"preserve_before\":"; writer.date(preserve) }
                writer.text += "}"
            }
            writer.text += "]"
            return writer.text
        }

        /// `SourceFeasibility` as its synthesised `Codable` writes it (a source ID is an object with its `rawValue`).
        private static func write(_ feasibility: SourceFeasibility, into writer: inout JSONWriter) {
            writer.text += "{\"sourceID\":{\"rawValue\":"; writer.string(feasibility.sourceID.rawValue.uuidString)
            writer.text += "},\"sourceName\":"; writer.string(feasibility.sourceName)
            writer.text += ",\"custodianOrgID\":"; writer.string(feasibility.custodianOrgID.rawValue)
            writer.text += ",\"segments\":["
            for (index, segment) in feasibility.segments.enumerated() {
                if index > 0 { writer.text += "," }
                writer.text += "{\"from\":"; writer.date(segment.from)
                writer.text += ",\"to\":"; writer.date(segment.to)
                writer.text += ",\"availability\":"; writer.string(segment.availability.rawValue)
                if let medium = segment.medium { writer.text += ",\"medium\":"; writer.string(medium.rawValue) }
                if let hours = segment.leadHours { writer.text += ",\"leadHours\":"; writer.number(hours) }
                writer.text += "}"
            }
            writer.text += "]"
            if let hold = feasibility.hold {
                writer.text += ",\"hold\":{\"before\":"; writer.date(hold.before)
                writer.text += ",\"medium\":"; writer.string(hold.medium.rawValue)
                writer.text += ",\"isLoss\":"; writer.text += hold.isLoss ? "true" : "false"
                writer.text += "}"
            }
            writer.text += ",\"warnings\":"; writer.strings(feasibility.warnings)
            writer.text += "}"
        }
    }

    static let requestColumns = """
        r.id, r.incident_reference, r.purpose, r.priority, r.window_from, r.window_to, r.hints::text AS hints,
        r.requester_org_id, r.requested_by, r.filed_at, r.warnings
        """
    static let itemColumns = """
        i.id, i.request_id, i.custodian_org_id, i.source_ids, i.feasibility::text AS feasibility, i.state, i.resume_state,
        i.acknowledge_due, i.deliver_due, i.preserve_before, i.acknowledged_at, i.delivered_at, i.reject_reason, i.outcome, i.version,
        (SELECT count(*) FROM artifacts a WHERE a.item_id = i.id)::integer AS evidence
        """
    static let artifactColumns = """
        a.id, a.request_id, a.item_id, a.kind, a.file_name, a.media_type, a.size, a.sha256, a.storage_key, a.location, a.method,
        a.created_by, a.created_at
        """

    static func request(_ row: PostgresRandomAccessRow) throws -> RetrievalRequest {
        let draft = RequestDraft(
            incidentReference: try row.value("incident_reference"), purpose: try row.value("purpose"),
            priority: Priority(rawValue: try row.value("priority")) ?? .medium,
            window: TimeWindow(from: try row.value("window_from"), to: try row.value("window_to")),
            hints: try decoder.decode(FilterHints.self, from: Data(try row.value("hints", as: String.self).utf8)), sourceIDs: [])
        return RetrievalRequest(id: RequestID(try row.value("id", as: UUID.self)), draft: draft,
                                requesterOrgID: try row.value("requester_org_id", as: String?.self).map { OrgID($0) },
                                requestedBy: try row.value("requested_by"), filedAt: try row.value("filed_at"),
                                warnings: try row.value("warnings"), items: [])
    }

    static func item(_ row: PostgresRandomAccessRow) throws -> (requestID: RequestID, item: RequestItem) {
        let item = RequestItem(
            id: RequestItemID(try row.value("id", as: UUID.self)), custodianOrgID: OrgID(try row.value("custodian_org_id")),
            sourceIDs: try row.value("source_ids", as: [UUID].self).map { LogSourceID($0) },
            state: ItemState(rawValue: try row.value("state")) ?? .requested,
            resumeState: try row.value("resume_state", as: String?.self).flatMap(ItemState.init(rawValue:)),
            acknowledgeDue: try row.value("acknowledge_due"), deliverDue: try row.value("deliver_due"),
            preserveBefore: try row.value("preserve_before"), acknowledgedAt: try row.value("acknowledged_at"),
            deliveredAt: try row.value("delivered_at"), rejectReason: try row.value("reject_reason"), outcome: try row.value("outcome"),
            feasibility: try decoder.decode([SourceFeasibility].self, from: Data(try row.value("feasibility", as: String.self).utf8)),
            evidenceCount: try row.value("evidence"), version: try row.value("version"))
        return (RequestID(try row.value("request_id", as: UUID.self)), item)
    }

    static func artifact(_ row: PostgresRandomAccessRow) throws -> Artifact {
        Artifact(id: ArtifactID(try row.value("id", as: UUID.self)), requestID: RequestID(try row.value("request_id", as: UUID.self)),
                 itemID: RequestItemID(try row.value("item_id", as: UUID.self)),
                 kind: Artifact.Kind(rawValue: try row.value("kind")) ?? .upload, fileName: try row.value("file_name"),
                 mediaType: try row.value("media_type"), size: try row.value("size"), sha256: try row.value("sha256"),
                 storageKey: try row.value("storage_key"), location: try row.value("location"), method: try row.value("method"),
                 createdBy: try row.value("created_by"), createdAt: try row.value("created_at"))
    }
}
