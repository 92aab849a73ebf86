import Foundation
import HTTPTypes
import Hummingbird
import LogAtlasCore
import LogAtlasFormats
import LogAtlasStore
import NIOCore

/// The readiness heat map, the inventory pages and the friction page.
extension Console {
    func readiness(_ request: Request) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let query = request.uri.queryParameters
        let value = { (name: String) -> String? in query[name[...]].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        let policy = value("policy"), org = value("org"), caller = session.principal
        let severity = value("severity").flatMap(Priority.init(rawValue:))
        let report = try await gapReport(policy.map { [$0] }, org, nil, severity, caller)
        var cell: (SystemID, IncidentType)?
        var detail: GapReport?
        if let system = value("system"), let type = value("incident").flatMap(Int.init).flatMap(IncidentType.init(rawValue:)) {
            cell = (SystemID(system), type)
            detail = try await gapReport(policy.map { [$0] }, org, system, severity, caller)
        }
        let t = strings(request, session: session)
        return try render("readiness", ConsoleViews.readiness(report, layout: layout(request, session: session, title: t["readiness_title"]!),
                                                              policies: try await policyIDs(caller), selected: policy, org: org, severity: severity,
                                                              cell: cell, detail: detail, trend: try await trend(policy, org, caller)))
    }

    struct RecordFields: Decodable {
        let csrf_token: String?
        let policy, org: String?
    }

    /// Stores the report of the chosen policy and organisation (as `POST /v1/gap-reports`), a new point of the trend.
    func recordReadiness(_ request: Request) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let fields = try await form(RecordFields.self, of: request)
        guard validCSRF(fields.csrf_token, session) else { return try csrfRefused(request, session: session) }
        let policy = fields.policy.flatMap { $0.isEmpty ? nil : $0 }, org = fields.org.flatMap { $0.isEmpty ? nil : $0 }
        try await recordGapReport(policy.map { [$0] }, org, session.principal)
        return redirect(to: "/readiness" + ConsoleViews.query([("policy", policy), ("org", org)]) + "#trend")
    }

    /// The rule files posted from the readiness page (a form of several files) judged against what the reader sees,
    /// as `POST /v1/detections/sigma` judges them.
    func sigmaReadiness(_ request: Request) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let t = strings(request, session: session)
        let layout = layout(request, session: session, title: t["sigma_title"]!)
        guard let boundary = MultipartUpload.boundary(of: request.headers[.contentType]),
              let parts = try? MultipartUpload.parts(of: try await request.body.collect(upTo: .max), boundary: boundary) else {
            return try render("sigma", ConsoleViews.sigma(nil, layout: layout, problem: t["sigma_malformed"]), status: .badRequest)
        }
        let token = parts.first { $0.name == "csrf_token" && $0.fileName == nil }.map { String(decoding: $0.bytes, as: UTF8.self) }
        guard validCSRF(token, session) else { return try csrfRefused(request, session: session) }
        var pack = SigmaPack()
        for part in parts where part.name == "rules" {
            guard let name = part.fileName else { continue }
            SigmaRules.add(Data(part.bytes), path: name, to: &pack)
        }
        guard !pack.rules.isEmpty || !pack.unreadable.isEmpty else {
            return try render("sigma", ConsoleViews.sigma(nil, layout: layout, problem: t["sigma_no_files"]), status: .unprocessableContent)
        }
        let report = DetectionReadiness.evaluate(pack, in: try await inventory.export(as: session.principal), now: clock())
        return try render("sigma", ConsoleViews.sigma(report, layout: layout, problem: nil))
    }

    func sourceFilter(_ request: Request) -> SourceFilter {
        let query = request.uri.queryParameters
        let value = { (name: String) -> String? in query[name[...]].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        return SourceFilter(org: value("org").map(OrgID.init), system: value("system").map(SystemID.init), logType: value("log_type"),
                            medium: value("medium").flatMap(StorageMedium.init(rawValue:)), text: value("q"))
    }

    func inventoryPage(_ request: Request) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let caller = session.principal, filter = sourceFilter(request)
        let orgs = try await inventory.orgs(as: caller, page: PageRequest(limit: 200)).items
        let sources = try await inventory.sources(matching: filter, as: caller, page: PageRequest(limit: 200))
        let t = strings(request, session: session)
        return try render("inventory", ConsoleViews.inventory(layout: layout(request, session: session, title: t["inventory_title"]!), orgs: orgs,
                                                              filter: filter, sources: sources, now: clock()))
    }

    func sourcePage(_ request: Request, id: String, form: SourceEditForm? = nil, changed: [String] = [], error: String? = nil,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        guard let uuid = UUID(uuidString: id) else { return try notFound(request, session: session) }
        let caller = session.principal
        let source = try await inventory.source(LogSourceID(uuid), as: caller)
        let owner = try await inventory.system(source.systemID, as: caller).ownerOrgID
        // The requirements that judge this source: those of the current policies' findings that name it.
        let findings = try await gapReport(nil, nil, source.systemID.rawValue, nil, caller).findings.filter { $0.sourceIDs.contains(source.id) }
        var requirements: [String: (Requirement, String)] = [:]
        for finding in findings { requirements["\(finding.policyID)/\(finding.requirement.id)"] = (finding.requirement, finding.policyID) }
        let chosen = requirements.keys.sorted().map { requirements[$0]! }
        let heartbeat = try await heartbeats.heartbeats(of: source.id, limit: 1, as: caller).first
        let view = ConsoleViews.sourcePage(source, requirements: chosen.map(\.0), heartbeat: heartbeat,
                                           policyOf: Dictionary(chosen.map { ($0.0.id, $0.1) }, uniquingKeysWith: { first, _ in first }),
                                           layout: layout(request, session: session, title: source.name), now: clock(),
                                           canEdit: caller.may(.update, sourceHeldBy: source.custodianOrgID, systemOwner: owner),
                                           form: form, changed: changed, error: error)
        return try render("source", view, status: status)
    }

    /// A system's action card as the printable page, in the reader's language.
    func actionCardPage(_ request: Request, system: String) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let card = try await actionCards.resolved(SystemID(system), as: session.principal)
        let language = ActionCardRenderer.Language(rawValue: language(request, session: session).rawValue) ?? .en
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: ActionCardRenderer.html(card, language: language, now: clock()))))
    }

    struct InvalidField: Error {
        let path: String
    }

    struct SourceFields: Decodable {
        struct Tier: Decodable {
            let medium, days, searchable, hours: String?
        }
        let csrf_token: String?
        let version: String?
        let product, format, notes, lead_time_hours, fields, timezone, ntp: String?
        /// Rows keyed `t0`, `t1`, … in the form's order.
        let tiers: [String: Tier]?
        let base_product, base_format, base_notes, base_lead_time_hours, base_tiers, base_fields, base_timezone, base_ntp: String?

        /// The tiers the form describes (rows without days are left out; nil when it sends no rows), or the first row
        /// that is not a tier.
        func retentionTiers() -> Result<[RetentionTier]?, InvalidField> {
            guard let tiers else { return .success(nil) }
            let rows = tiers.sorted { (Int($0.key.dropFirst()) ?? .max) < (Int($1.key.dropFirst()) ?? .max) }
            var result: [RetentionTier] = []
            for (key, row) in rows {
                let days = row.days?.trimmingCharacters(in: .whitespaces) ?? ""
                if days.isEmpty { continue }
                let hours = row.hours?.trimmingCharacters(in: .whitespaces) ?? ""
                guard let count = Int(days), let medium = row.medium.flatMap(StorageMedium.init(rawValue:)),
                      hours.isEmpty || Double(hours) != nil else { return .failure(InvalidField(path: "tiers[\(key)]")) }
                result.append(RetentionTier(medium: medium, days: count, isSearchable: row.searchable != nil, retrievalHours: Double(hours)))
            }
            return .success(result)
        }
    }

    /// Saves a custodian's edit if nobody changed the source since the form was opened (its version, as an ETag over
    /// the API); otherwise shows what changed instead of overwriting it.
    func editSource(_ request: Request, id: String) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let fields = try await self.form(SourceFields.self, of: request)
        guard validCSRF(fields.csrf_token, session) else { return try csrfRefused(request, session: session) }
        guard session.principal.mayEditInventory else { return try notAllowed(request, session: session) }
        guard let uuid = UUID(uuidString: id), let version = fields.version.flatMap(Int.init) else { return try notFound(request, session: session) }
        let text: @Sendable (String?) -> String? = { value in value.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 } }
        let lead = text(fields.lead_time_hours), invalid = strings(request, session: session)["refusal_invalid"]!
        if let lead, Double(lead) == nil {
            return try await sourcePage(request, id: id, error: invalid + " lead_time_hours", status: .unprocessableContent)
        }
        let tiers: [RetentionTier]?
        switch fields.retentionTiers() {
        case .success(let read): tiers = read
        case .failure(let field): return try await sourcePage(request, id: id, error: "\(invalid) \(field.path)", status: .unprocessableContent)
        }
        do {
            _ = try await inventory.updateSource(LogSourceID(uuid), ifVersion: version, as: session.principal) { source in
                source.product = text(fields.product)
                source.format = text(fields.format)
                source.notes = text(fields.notes)
                // A form that does not send a part (an older page) leaves that part as it is.
                if let tiers { source.retentionTiers = tiers }
                if let list = fields.fields {
                    source.fields = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                }
                if let zone = fields.timezone { source.clock = Clock(isNTPSynced: fields.ntp != nil, timezone: text(zone)) }
                if let hours = lead.flatMap(Double.init) {
                    var procedure = source.accessProcedure ?? AccessProcedure()
                    procedure.leadTimeHours = hours
                    source.accessProcedure = procedure
                } else {
                    source.accessProcedure?.leadTimeHours = nil
                }
            }
        } catch InventoryError.versionConflict {
            let current = ConsoleViews.editForm(try await inventory.source(LogSourceID(uuid), as: session.principal))
            let base = SourceEditForm(version: version, product: fields.base_product ?? "", format: fields.base_format ?? "",
                                      notes: fields.base_notes ?? "", leadTimeHours: fields.base_lead_time_hours ?? "", fields: fields.base_fields ?? "",
                                      timezone: fields.base_timezone ?? "", ntp: fields.base_ntp == "1", tiersText: fields.base_tiers ?? "")
            return try await sourcePage(request, id: id, form: current,
                                        changed: ConsoleViews.changedFields(from: base, to: current, t: strings(request, session: session)),
                                        status: .preconditionFailed)
        } catch InventoryError.invalid(let issues) {
            return try await sourcePage(request, id: id, error: issues.map { "\($0.path): \($0.message)" }.joined(separator: "; "), status: .unprocessableContent)
        }
        return redirect(to: "/sources/\(id)")
    }


    func friction(_ request: Request) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let report = try await requests.friction(org: nil, now: clock(), as: session.principal)
        let t = strings(request, session: session)
        return try render("friction", ConsoleViews.friction(report, layout: layout(request, session: session, title: t["friction_title"]!)))
    }
}
