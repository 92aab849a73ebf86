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
        var acknowledge_due: Date, deliver_due: Date, preserve_before: Date?, feasible_by: Date?, state: String, acknowledged_at: Date?
        var agreement_id: UUID?, agreement_version: Int?, agreement_lead_hours: Double?

        init(_ item: RequestItem, requesterOrg: OrgID?) {
            id = item.id.rawValue; requester_org_id = requesterOrg?.rawValue; custodian_org_id = item.custodianOrgID.rawValue
            source_ids = item.sourceIDs.map(\.rawValue); feasibility = item.feasibility
            acknowledge_due = item.acknowledgeDue; deliver_due = item.deliverDue; preserve_before = item.preserveBefore
            feasible_by = item.feasibleBy; state = item.state.rawValue; acknowledged_at = item.acknowledgedAt
            agreement_id = item.agreement?.id.rawValue; agreement_version = item.agreement?.version
            agreement_lead_hours = item.agreement?.promisedLeadHours
        }
    }

    /// A history entry as filing writes it.
    struct EventRecord: Codable {
        var item_id: UUID, action: String, from_state: String, to_state: String, actor: String, note: String?, at: Date

        init(_ event: ItemEvent) {
            item_id = event.itemID.rawValue; action = event.action.rawValue; from_state = event.from.rawValue
            to_state = event.to.rawValue; actor = event.actor; note = event.note; at = event.at
        }
    }

    static let requestColumns = """
        r.id, r.incident_reference, r.purpose, r.priority, r.window_from, r.window_to, r.hints::text AS hints,
        r.requester_org_id, r.requested_by, r.filed_at, r.warnings, r.incident_type,
        r.evidence_retention_days, r.legal_hold_reason, r.legal_hold_by, r.legal_hold_at, request_closed_at(r.id) AS closed_at,
        team_evidence_retention_days(r.requester_org_id) AS team_retention_days
        """
    static let itemColumns = """
        i.id, i.request_id, i.custodian_org_id, i.source_ids, i.feasibility::text AS feasibility, i.state, i.resume_state,
        i.acknowledge_due, i.deliver_due, i.preserve_before, i.acknowledged_at, i.delivered_at, i.reject_reason, i.outcome, i.version,
        i.feasible_by, i.proposed_deliver_due, i.proposed_by, i.proposed_at, i.proposal_reason,
        i.agreement_id, i.agreement_version, i.agreement_lead_hours,
        (SELECT count(*) FROM artifacts a WHERE a.item_id = i.id)::integer AS evidence
        """
    static let artifactColumns = """
        a.id, a.request_id, a.item_id, a.kind, a.file_name, a.media_type, a.size, a.sha256, a.storage_key, a.location, a.method,
        a.created_by, a.created_at, a.purged_at, a.purged_by
        """

    static func request(_ row: PostgresRandomAccessRow) throws -> RetrievalRequest {
        let draft = RequestDraft(
            incidentReference: try row.value("incident_reference"), purpose: try row.value("purpose"),
            priority: Priority(rawValue: try row.value("priority")) ?? .medium,
            window: TimeWindow(from: try row.value("window_from"), to: try row.value("window_to")),
            hints: try decoder.decode(FilterHints.self, from: Data(try row.value("hints", as: String.self).utf8)), sourceIDs: [],
            incidentType: try row.value("incident_type", as: Int?.self).flatMap(IncidentType.init(rawValue:)))
        return RetrievalRequest(id: RequestID(try row.value("id", as: UUID.self)), draft: draft,
                                requesterOrgID: try row.value("requester_org_id", as: String?.self).map { OrgID($0) },
                                requestedBy: try row.value("requested_by"), filedAt: try row.value("filed_at"),
                                warnings: try row.value("warnings"), items: [], retention: try retention(row))
    }

    static func retention(_ row: PostgresRandomAccessRow) throws -> RequestRetention {
        var hold: LegalHold?
        if let reason = try row.value("legal_hold_reason", as: String?.self) {
            hold = LegalHold(reason: reason, placedBy: try row.value("legal_hold_by"), placedAt: try row.value("legal_hold_at"))
        }
        return RequestRetention(days: try row.value("evidence_retention_days"), teamDays: try row.value("team_retention_days"),
                                legalHold: hold, closedAt: try row.value("closed_at"))
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
            evidenceCount: try row.value("evidence"), version: try row.value("version"), feasibleBy: try row.value("feasible_by"),
            proposal: try row.value("proposed_deliver_due", as: Date?.self).map { due in
                DueDateProposal(deliverDue: due, reason: try row.value("proposal_reason"), proposedBy: try row.value("proposed_by"),
                                proposedAt: try row.value("proposed_at"))
            },
            agreement: try row.value("agreement_id", as: UUID?.self).map { id in
                AgreementRef(id: AgreementID(id), version: try row.value("agreement_version"), promisedLeadHours: try row.value("agreement_lead_hours"))
            })
        return (RequestID(try row.value("request_id", as: UUID.self)), item)
    }

    static func artifact(_ row: PostgresRandomAccessRow) throws -> Artifact {
        Artifact(id: ArtifactID(try row.value("id", as: UUID.self)), requestID: RequestID(try row.value("request_id", as: UUID.self)),
                 itemID: RequestItemID(try row.value("item_id", as: UUID.self)),
                 kind: Artifact.Kind(rawValue: try row.value("kind")) ?? .upload, fileName: try row.value("file_name"),
                 mediaType: try row.value("media_type"), size: try row.value("size"), sha256: try row.value("sha256"),
                 storageKey: try row.value("storage_key"), location: try row.value("location"), method: try row.value("method"),
                 createdBy: try row.value("created_by"), createdAt: try row.value("created_at"),
                 purgedAt: try row.value("purged_at"), purgedBy: try row.value("purged_by"))
    }
}
