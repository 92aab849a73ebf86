import Foundation
import HTTPTypes
import Hummingbird
import LogAtlasCore
import LogAtlasStore
import NIOCore

/// The home pages, the request page and its forms, the request desk, evidence.
extension Console {
    func home(_ request: Request) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let caller = session.principal, now = clock(), t = strings(request, session: session)
        var view = HomeView(layout: layout(request, session: session, title: t["nav_home"]!))
        view.canFile = caller.mayFileRequests
        let open = try await requests.requests(matching: RequestFilter(), now: now, as: caller, page: PageRequest(limit: 200)).items
        switch caller.role {
        case .custodian:
            view.showInbox = true
            view.inbox = ConsoleViews.inbox(open, for: caller, now: now, t: t)
        case .csirt:
            view.showRequests = true
            view.requestsTitle = t["team_requests_title"]!
            view.requests = ConsoleViews.openRequests(open, now: now, t: t)
        case .auditor, .admin:
            view.showRequests = true
            view.requestsTitle = t["requests_all_title"]!
            view.requests = ConsoleViews.openRequests(open, now: now, t: t)
        }
        if caller.mayReadAuditTrail {
            view.showAudit = true
            view.audit = ConsoleViews.audit(try await audit.recent(limit: 50))
        }
        if caller.mayManageUsers {
            view.showAdmin = true
            view.users = try await identity.users().map { UserRow(name: $0.name, role: $0.role.rawValue, orgs: $0.orgIDs.map(\.rawValue).sorted().joined(separator: ", ")) }
            view.orgs = try await inventory.orgs(as: caller, page: PageRequest(limit: 500)).items.map { OrgRow(id: $0.id.rawValue, name: $0.name) }
        }
        return try render("home", view)
    }

    func requestPage(_ request: Request, id: String, error: String?, status: HTTPResponse.Status = .ok, newGuestLink: String? = nil) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        guard let uuid = UUID(uuidString: id) else { return try notFound(request, session: session) }
        let caller = session.principal, requestID = RequestID(uuid), now = clock()
        let record = try await requests.page(of: requestID, as: caller, now: now)
        let retrieval = record.request
        let input = RequestPageInput(request: retrieval, history: record.history, comments: record.comments, artifacts: record.artifacts,
                                     custodyIntact: record.custody.chainIntact, retention: retention)
        var view = ConsoleViews.requestPage(input, for: caller, now: now,
                                            layout: layout(request, session: session, title: retrieval.draft.incidentReference), error: error)
        view.newGuestLink = newGuestLink
        return try render("request", view, status: status)
    }


    func desk(_ request: Request) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        guard session.principal.mayFileRequests else { return try notAllowed(request, session: session) }
        let query = request.uri.queryParameters
        let value = { (name: String) -> String? in query[name[...]].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        let filter = SourceFilter(org: value("org").map(OrgID.init), system: value("system").map(SystemID.init), logType: value("log_type"),
                                  medium: value("medium").flatMap(StorageMedium.init(rawValue:)), text: value("q"))
        let now = clock()
        let form = DeskForm(from: ConsoleViews.localField(now.addingTimeInterval(-86_400)), to: ConsoleViews.localField(now))
        return try await renderDesk(request, session: session, filter: filter, form: form, plan: nil, errors: [])
    }

    struct DeskFields: Decodable {
        let csrf_token: String?
        let sources: [String]?
        let incident_reference, purpose, priority, incident_type, from, to, hosts, users, ips, text, intent: String?
    }

    /// Preview or file what the desk's form describes; problems come back on the same page with the form as typed.
    func compose(_ request: Request) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let fields = try await self.form(DeskFields.self, of: request)
        guard validCSRF(fields.csrf_token, session) else { return try csrfRefused(request, session: session) }
        guard session.principal.mayFileRequests else { return try notAllowed(request, session: session) }
        let form = DeskForm(sources: fields.sources ?? [], incident: fields.incident_reference ?? "", purpose: fields.purpose ?? "",
                            priority: fields.priority ?? "", incidentType: fields.incident_type ?? "", from: fields.from ?? "", to: fields.to ?? "",
                            hosts: fields.hosts ?? "",
                            users: fields.users ?? "", ips: fields.ips ?? "", text: fields.text ?? "")
        let caller = session.principal, now = clock()
        do {
            let draft = try ConsoleViews.draft(form).get()
            if fields.intent == "file" {
                let plan = try await requests.file(draft, sla: sla, now: now, as: caller)
                return redirect(to: "/requests/\(plan.request.id.rawValue.uuidString.lowercased())")
            }
            let plan = try await requests.preview(draft, sla: sla, now: now, as: caller)
            return try await renderDesk(request, session: session, filter: SourceFilter(), form: form, plan: plan, errors: [])
        } catch RequestError.invalid(let issues) {
            return try await renderDesk(request, session: session, filter: SourceFilter(), form: form, plan: nil, errors: issues,
                                        status: .unprocessableContent)
        }
    }

    func renderDesk(_ request: Request, session: ConsoleSession, filter: SourceFilter, form: DeskForm, plan: RequestPlanner.Plan?,
                            errors: [ValidationIssue], status: HTTPResponse.Status = .ok) async throws -> Response {
        let caller = session.principal
        var sources = try await inventory.sources(matching: filter, as: caller, page: PageRequest(limit: 100)).items
        // The sources already chosen stay on the page, whatever the search shows.
        for id in form.sources.compactMap({ UUID(uuidString: $0).map(LogSourceID.init) }) where !sources.contains(where: { $0.id == id }) {
            if let source = try? await inventory.source(id, as: caller) { sources.append(source) }
        }
        let t = strings(request, session: session)
        return try render("desk", ConsoleViews.desk(layout: layout(request, session: session, title: t["desk_title"]!), filter: filter,
                                                    sources: sources, form: form, plan: plan, errors: errors), status: status)
    }

    struct ActionForm: Decodable {
        let csrf_token: String?
        let note: String?
        /// A proposed delivery date: the browser's `datetime-local` value, read as UTC (or a full ISO 8601 time).
        let deliver_due: String?

        var deliverDue: Date? {
            guard let raw = deliver_due?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return Timestamp.parse(raw) ?? Timestamp.parse(raw + (raw.count == 16 ? ":00Z" : "Z"))
        }
    }

    func transition(_ request: Request, id: String, item: String, action: String) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let form = try await self.form(ActionForm.self, of: request)
        guard validCSRF(form.csrf_token, session) else { return try csrfRefused(request, session: session) }
        guard let requestUUID = UUID(uuidString: id), let itemUUID = UUID(uuidString: item), let action = ItemAction(rawValue: action),
              action != .expire else { return try notFound(request, session: session) }
        do {
            _ = try await requests.transition(action, item: RequestItemID(itemUUID), of: RequestID(requestUUID), note: form.note.flatMap { $0.isEmpty ? nil : $0 },
                                              deliverDue: form.deliverDue, as: session.principal, now: clock())
        } catch let error as RequestError {
            guard let status = Self.pageStatus(of: error) else { throw error }
            return try await requestPage(request, id: id, error: ConsoleViews.refusal(error, t: strings(request, session: session)), status: status)
        }
        return redirect(to: "/requests/\(id)#panel-\(item)")
    }

    struct CommentForm: Decodable {
        let csrf_token: String?
        let body: String?
    }

    func comment(_ request: Request, id: String) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let form = try await self.form(CommentForm.self, of: request)
        guard validCSRF(form.csrf_token, session) else { return try csrfRefused(request, session: session) }
        guard let uuid = UUID(uuidString: id) else { return try notFound(request, session: session) }
        do {
            _ = try await requests.addComment(form.body ?? "", addressedTo: nil, on: RequestID(uuid), as: session.principal, now: clock())
        } catch let error as RequestError {
            guard let status = Self.pageStatus(of: error) else { throw error }
            return try await requestPage(request, id: id, error: ConsoleViews.refusal(error, t: strings(request, session: session)), status: status)
        }
        return redirect(to: "/requests/\(id)#comments")
    }


    /// What the page's script shows once an upload is stored.
    struct Stored: Encodable {
        let name: String
        let size: Int64
        let sha256: String
    }

    /// A file streamed from the browser into the same intake as `PUT /v1/…/artifacts`: the page's script sends the
    /// file itself as the body with the session's CSRF token in `X-CSRF-Token`; the form without the script posts it
    /// as `multipart/form-data` with the token as a field before the file.
    func upload(_ request: Request, id: String, item: String) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        guard let requestUUID = UUID(uuidString: id), let itemUUID = UUID(uuidString: item) else { return try notFound(request, session: session) }
        return try await store(request, session: session, token: { validCSRF($0, session) }, item: RequestItemID(itemUUID),
                               of: RequestID(requestUUID), as: session.principal, page: "/requests/\(id)")
    }

    /// Streams the upload into the evidence intake as `caller` if `token` accepts its CSRF token; answers what the
    /// page's script shows (JSON), or for the form without the script the request's page again (`page`), where the
    /// stored file is listed with its SHA-256.
    func store(_ request: Request, session: ConsoleSession?, token valid: (String?) -> Bool, item: RequestItemID,
               of requestID: LogAtlasCore.RequestID, as caller: Principal, page: String) async throws -> Response {
        let t = strings(request, session: session)
        let refused = { (text: String, status: HTTPResponse.Status) in
            try self.message(request, session: session, heading: t["upload_refused_title"]!, text: text, status: status)
        }
        do {
            if let boundary = MultipartUpload.boundary(of: request.headers[.contentType]) {
                let form = MultipartUpload(request.body, boundary: boundary)
                try await form.readFields()
                guard valid(form.fields["csrf_token"]) else { return try csrfRefused(request, session: session) }
                _ = try await evidence.upload(form.file, fileName: form.fileName.map { String($0.prefix(255)) }, mediaType: "application/octet-stream",
                                              expectedSHA256: nil, item: item, of: requestID, as: caller)
                return redirect(to: page + "#artifacts")
            }
            guard valid(request.headers[Self.csrfHeader]) else { return try csrfRefused(request, session: session) }
            guard request.headers[.contentType]?.hasPrefix("application/octet-stream") == true else {
                return try refused(t["upload_unsupported"]!, .unsupportedMediaType)
            }
            let name = request.uri.queryParameters["name"].map(String.init).flatMap { $0.isEmpty ? nil : String($0.prefix(255)) }
            let artifact = try await evidence.upload(request.body.map { ArraySlice($0.readableBytesView) }, fileName: name,
                                                     mediaType: "application/octet-stream", expectedSHA256: nil, item: item, of: requestID, as: caller)
            let json = try JSONEncoder().encode(Stored(name: artifact.fileName ?? "", size: artifact.size ?? 0, sha256: artifact.sha256))
            return Response(status: .created, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: json)))
        } catch let failure as MultipartUpload.Failure {
            switch failure {
            case .noFile: return try refused(t["upload_no_file"]!, .unprocessableContent)
            case .fieldsTooLarge: return try refused(t["upload_malformed"]!, .contentTooLarge)
            case .malformed: return try refused(t["upload_malformed"]!, .badRequest)
            }
        } catch let error as RequestError {
            switch error {
            case .notFound, .forbidden, .refused(.notPermitted): throw error
            case .tooLarge: return try refused(t["upload_too_large"]!, .contentTooLarge)
            default: return try refused(ConsoleViews.refusal(error, t: t), .conflict)
            }
        }
    }

    /// Evidence for the requesting team, streamed, with its digest; every download is an audit event (as over the API).
    func download(_ request: Request, id: String, artifact: String) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        guard let requestUUID = UUID(uuidString: id), let artifactUUID = UUID(uuidString: artifact) else { return try notFound(request, session: session) }
        let found = try await requests.artifactForDownload(ArtifactID(artifactUUID), of: RequestID(requestUUID), as: session.principal)
        guard let key = found.storageKey else { return try notFound(request, session: session) }
        let bytes = try await evidence.artifactStore.read(key)
        let name = (found.fileName ?? "\(found.id).bin").filter { $0.isASCII && $0 != "\"" && $0 != "\\" && !$0.isNewline }
        return Response(status: .ok, headers: [
            .contentType: "application/octet-stream", .contentDisposition: "attachment; filename=\"\(name)\"",
            .contentLength: String(bytes.size), HTTPField.Name("Content-Digest")!: "sha-256=:\(ContentDigest.base64(ofHex: found.sha256)):",
            .cacheControl: "no-store",
        ], body: .init(asyncSequence: bytes.map { ByteBuffer(bytes: $0) }))
    }
}
