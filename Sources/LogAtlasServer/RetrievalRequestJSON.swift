import Foundation
import HTTPTypes
import LogAtlasCore
import LogAtlasFormats
import OpenAPIRuntime

/// Writes a `Components.Schemas.RetrievalRequest` exactly as the generated code does through `JSONEncoder` with
/// sorted keys and `FastDateTranscoder` (tested byte for byte). Filing and previewing return one per request, and
/// `JSONEncoder`'s generic path was a fifth of the server's CPU per filing.
enum RetrievalRequestJSON {
    static func render(_ request: Components.Schemas.RetrievalRequest) -> [UInt8] {
        var out = JSONBytes(pretty: false)
        out.bytes.reserveCapacity(1_024 + request.items.count * 1_024)
        write(request, into: &out)
        return out.bytes
    }

    private static func date(_ date: Date) -> String { Timestamp.format(date) }

    // Members in the order `JSONEncoder` sorts their keys.
    private static func write(_ request: Components.Schemas.RetrievalRequest, into out: inout JSONBytes) {
        out.open(.object)
        if let events = request.events { out.key("events"); out.array(events) { write($1, into: &$0) } }
        out.member("filed_at", date(request.filedAt))
        out.key("hints"); write(request.hints, into: &out)
        if let id = request.id { out.member("id", id) }
        out.member("incident_reference", request.incidentReference)
        out.key("items"); out.array(request.items) { write($1, into: &$0) }
        out.member("priority", request.priority.rawValue)
        out.member("purpose", request.purpose)
        out.member("requested_by", request.requestedBy)
        if let org = request.requesterOrg { out.member("requester_org", org) }
        out.member("warnings", request.warnings)
        out.key("window")
        out.open(.object)
        out.member("from", date(request.window.from))
        out.member("to", date(request.window.to))
        out.close(.object)
        out.close(.object)
    }

    private static func write(_ hints: Components.Schemas.FilterHints, into out: inout JSONBytes) {
        out.open(.object)
        if let hosts = hints.hosts { out.member("hosts", hosts) }
        if let ips = hints.ips { out.member("ips", ips) }
        if let text = hints.text { out.member("text", text) }
        if let users = hints.users { out.member("users", users) }
        out.close(.object)
    }

    private static func write(_ item: Components.Schemas.RequestItem, into out: inout JSONBytes) {
        out.open(.object)
        out.member("acknowledge_due", date(item.acknowledgeDue))
        if let at = item.acknowledgedAt { out.member("acknowledged_at", date(at)) }
        out.member("available_actions", item.availableActions)
        out.member("custodian_org", item.custodianOrg)
        out.member("deliver_due", date(item.deliverDue))
        if let at = item.deliveredAt { out.member("delivered_at", date(at)) }
        out.member("evidence", item.evidence)
        out.key("feasibility"); out.array(item.feasibility) { write($1, into: &$0) }
        out.member("id", item.id)
        if let outcome = item.outcome { out.member("outcome", outcome) }
        out.member("overdue", item.overdue)
        if let preservation = item.preservation { out.member("preservation", preservation) }
        if let before = item.preserveBefore { out.member("preserve_before", date(before)) }
        if let reason = item.rejectReason { out.member("reject_reason", reason) }
        out.member("sources", item.sources)
        out.member("state", item.state.rawValue)
        out.member("version", item.version)
        out.close(.object)
    }

    private static func write(_ source: Components.Schemas.SourceFeasibility, into out: inout JSONBytes) {
        out.open(.object)
        out.member("expired_seconds", source.expiredSeconds)
        if let before = source.preserveBefore { out.member("preserve_before", date(before)) }
        if let isLoss = source.preserveIsLoss { out.member("preserve_is_loss", isLoss) }
        if let medium = source.preserveMedium { out.member("preserve_medium", medium) }
        out.member("searchable_seconds", source.searchableSeconds)
        out.key("segments")
        out.array(source.segments) { out, segment in
            out.open(.object)
            out.member("availability", segment.availability.rawValue)
            out.member("from", date(segment.from))
            if let hours = segment.leadHours { out.member("lead_hours", hours) }
            if let medium = segment.medium { out.member("medium", medium) }
            out.member("to", date(segment.to))
            out.close(.object)
        }
        out.member("slow_seconds", source.slowSeconds)
        out.member("source", source.source)
        out.member("source_name", source.sourceName)
        out.close(.object)
    }

    private static func write(_ event: Components.Schemas.ItemEvent, into out: inout JSONBytes) {
        out.open(.object)
        out.member("action", event.action)
        out.member("actor", event.actor)
        out.member("at", date(event.at))
        out.member("from", event.from)
        out.member("item", event.item)
        if let note = event.note { out.member("note", note) }
        out.member("to", event.to)
        out.close(.object)
    }
}

/// Serves `POST /v1/requests` and `POST /v1/requests:preview` with `RetrievalRequestJSON`. A request this does not
/// fully understand — another content type, an `Accept` without JSON, a body the generated types do not decode —
/// goes on to the generated handlers with its body, so their answers (415, 400 with the field path) are unchanged.
struct RetrievalRequestJSONMiddleware: ServerMiddleware {
    let api: LogAtlasAPI
    /// Decodes as the generated code does: the generated `Decodable`, dates through `FastDateTranscoder`.
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            try FastDateTranscoder().decode(try decoder.singleValueContainer().decode(String.self))
        }
        return decoder
    }()

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard operationID == "fileRequest" || operationID == "previewRequest", let body,
              Self.isJSON(request.headerFields[.contentType]), GapReportJSONMiddleware.acceptsJSON(request.headerFields[.accept]) else {
            return try await next(request, body, metadata)
        }
        // The body-limit middleware in front has already refused anything larger than the limit.
        let bytes = try await Data(collecting: body, upTo: .max)
        guard let draft = try? Self.decoder.decode(Components.Schemas.RequestDraft.self, from: bytes) else {
            return try await next(request, HTTPBody(bytes), metadata)
        }
        let filing = operationID == "fileRequest"
        let answer = filing ? try await api.filed(draft) : try await api.previewed(draft)
        var response = HTTPResponse(status: filing ? .created : .ok)
        response.headerFields[.contentType] = "application/json; charset=utf-8"
        return (response, HTTPBody(RetrievalRequestJSON.render(answer)))
    }

    /// `application/json`, with or without parameters, as the generated code accepts it.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        return contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }
}
