import Foundation
import HTTPTypes
import Hummingbird
import LogAtlasCore
import LogAtlasStore
import Logging
import Mustache
import NIOCore

/// The web console: server-rendered pages under the caller's session, on the same repositories and `Principal`
/// decisions as `/v1` (every repository call runs as the signed-in user, so row-level security applies). Handlers
/// read the form, call the store, build a view with `ConsoleViews` and let a template place it.
struct Console: Sendable {
    let templates: MustacheLibrary
    let sessions: ConsoleStore
    let identity: IdentityStore
    let requests: any RequestRepository
    let inventory: any InventoryRepository
    let audit: AuditTrail
    let evidence: EvidenceIntake
    let guestLinks: GuestLinkIssuer
    let sla: SLAPolicy
    /// The gap report of the chosen policies on what the caller may see (the API's own orchestration), and the IDs of
    /// the current policies.
    let gapReport: @Sendable (_ policies: [String]?, _ org: String?, _ system: String?, _ caller: Principal) async throws -> GapReport
    let policyIDs: @Sendable (_ caller: Principal) async throws -> [String]
    let cookieSecure: Bool
    let clock: @Sendable () -> Date
    let logger: Logger

    static let sessionCookie = "la_session"
    static let loginCookie = "la_login_csrf"
    static let languageCookie = "la_lang"
    /// Forms are small; uploads do not come through form posts.
    static let formLimit = 64 * 1024

    /// The templates (`*.mustache`, named by file) from the resource bundle beside the binary.
    static func loadTemplates() throws -> MustacheLibrary {
        guard let folder = Bundle.module.url(forResource: "templates", withExtension: nil) else {
            throw MissingResource(description: "the console templates are missing from the LogAtlasServer resource bundle")
        }
        var library = MustacheLibrary()
        for file in try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil) where file.pathExtension == "mustache" {
            try library.register(String(contentsOf: file, encoding: .utf8), named: file.deletingPathExtension().lastPathComponent)
        }
        return library
    }

    func register(on router: Router<LogAtlasRequestContext>) throws {
        for (name, type) in [("console.css", "text/css; charset=utf-8"), ("console.js", "text/javascript; charset=utf-8")] {
            guard let url = Bundle.module.url(forResource: "templates/\(name)", withExtension: nil) else {
                throw MissingResource(description: "\(name) is missing from the LogAtlasServer resource bundle")
            }
            let body = ByteBuffer(bytes: try Data(contentsOf: url))
            router.get("/console/\(name)") { _, _ in
                Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=300"], body: .init(byteBuffer: body))
            }
        }
        router.get("/login") { request, context in try await page(request, context) { try await loginPage(request) } }
        router.post("/login") { request, context in try await page(request, context) { try await signIn(request, context) } }
        router.post("/logout") { request, context in try await page(request, context) { try await signOut(request) } }
        router.post("/console/language") { request, context in try await page(request, context) { try await switchLanguage(request) } }
        router.get("/") { request, context in try await page(request, context) { try await home(request) } }
        router.get("/readiness") { request, context in try await page(request, context) { try await readiness(request) } }
        router.get("/friction") { request, context in try await page(request, context) { try await friction(request) } }
        router.get("/inventory") { request, context in try await page(request, context) { try await inventoryPage(request) } }
        router.get("/sources/{id}") { request, context in
            try await page(request, context) { try await sourcePage(request, id: context.parameters.require("id")) }
        }
        router.post("/sources/{id}") { request, context in
            try await page(request, context) { try await editSource(request, id: context.parameters.require("id")) }
        }
        router.get("/requests/new") { request, context in try await page(request, context) { try await desk(request) } }
        router.post("/requests/new") { request, context in try await page(request, context) { try await compose(request) } }
        router.get("/requests/{id}") { request, context in
            try await page(request, context) { try await requestPage(request, id: context.parameters.require("id"), error: nil) }
        }
        router.post("/requests/{id}/items/{item}/{action}") { request, context in
            try await page(request, context) {
                try await transition(request, id: context.parameters.require("id"), item: context.parameters.require("item"),
                                     action: context.parameters.require("action"))
            }
        }
        router.post("/requests/{id}/comments") { request, context in
            try await page(request, context) { try await comment(request, id: context.parameters.require("id")) }
        }
        router.post("/requests/{id}/items/{item}/guest-links") { request, context in
            try await page(request, context) {
                try await makeGuestLink(request, id: context.parameters.require("id"), item: context.parameters.require("item"))
            }
        }
        router.post("/requests/{id}/items/{item}/artifacts") { request, context in
            try await page(request, context) {
                try await upload(request, id: context.parameters.require("id"), item: context.parameters.require("item"))
            }
        }
        router.get("/guest/{secret}") { request, context in
            try await page(request, context) { try await guestPage(request, secret: context.parameters.require("secret"), error: nil) }
        }
        router.post("/guest/{secret}/unlock") { request, context in
            try await page(request, context) { try await unlockGuest(request, context, secret: context.parameters.require("secret")) }
        }
        router.post("/guest/{secret}/artifacts") { request, context in
            try await page(request, context) { try await guestUpload(request, secret: context.parameters.require("secret")) }
        }
        router.post("/guest/{secret}/{action}") { request, context in
            try await page(request, context) {
                try await guestAction(request, secret: context.parameters.require("secret"), action: context.parameters.require("action"))
            }
        }
        router.get("/requests/{id}/artifacts/{artifact}") { request, context in
            try await page(request, context) {
                try await download(request, id: context.parameters.require("id"), artifact: context.parameters.require("artifact"))
            }
        }
    }

    // MARK: Sign-in and session

    private struct LoginForm: Decodable {
        let username: String?
        let password: String?
        let csrf_token: String?
    }

    private func loginPage(_ request: Request) async throws -> Response {
        if try await session(of: request) != nil { return redirect(to: "/") }
        return try loginForm(request, username: "", error: nil, status: .ok)
    }

    /// The sign-in form, with a fresh token in the form and in a cookie (double submit: a page of another site can
    /// post the form but cannot read or set the cookie).
    private func loginForm(_ request: Request, username: String, error: String?, status: HTTPResponse.Status) throws -> Response {
        let csrf = TokenSecret.generate()
        let layout = layout(request, session: nil, title: strings(request, session: nil)["sign_in_title"]!, csrf: csrf)
        var response = try render("login", LoginView(layout: layout, csrf: csrf, username: username, error: error), status: status)
        response.setCookie(cookie(Self.loginCookie, csrf, maxAge: 3_600))
        return response
    }

    private func signIn(_ request: Request, _ context: LogAtlasRequestContext) async throws -> Response {
        let form = try await self.form(LoginForm.self, of: request)
        guard let token = form.csrf_token, let expected = request.cookies[Self.loginCookie]?.value, constantTimeEqual(token, expected) else {
            return try csrfRefused(request, session: nil)
        }
        let username = form.username ?? "", t = strings(request, session: nil)
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        switch try await sessions.signIn(userName: username, password: form.password ?? "", address: address, now: clock()) {
        case .throttled:
            logger.notice("console sign-in throttled", metadata: ["user": "\(username)", "address": "\(address)"])
            var response = try message(request, session: nil, heading: t["throttled_title"]!, text: t["throttled"]!, status: .tooManyRequests)
            response.headers[.retryAfter] = "600"
            return response
        case .wrongCredentials:
            return try loginForm(request, username: username, error: t["wrong_credentials"]!, status: .unauthorized)
        case .signedIn(let secret, let session):
            var response = redirect(to: "/")
            response.setCookie(cookie(Self.sessionCookie, secret, maxAge: nil))
            response.setCookie(cookie(Self.loginCookie, "", maxAge: 0))
            if session.language == nil, let chosen = request.cookies[Self.languageCookie]?.value, ConsoleLanguage(rawValue: chosen) != nil {
                try await sessions.setLanguage(chosen, for: session)
            }
            return response
        }
    }

    private struct SignOutForm: Decodable {
        let csrf_token: String?
        let everywhere: String?
    }

    private func signOut(_ request: Request) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let form = try await self.form(SignOutForm.self, of: request)
        guard validCSRF(form.csrf_token, session) else { return try csrfRefused(request, session: session) }
        try await sessions.signOut(session, everywhere: form.everywhere != nil, now: clock())
        var response = redirect(to: "/login")
        response.setCookie(cookie(Self.sessionCookie, "", maxAge: 0))
        return response
    }

    private struct LanguageForm: Decodable {
        let csrf_token: String?
        let language: String?
        let back: String?
    }

    /// Switches the language: remembered for the user when signed in, in a cookie always.
    private func switchLanguage(_ request: Request) async throws -> Response {
        let session = try await session(of: request)
        let form = try await self.form(LanguageForm.self, of: request)
        let valid = session.map { validCSRF(form.csrf_token, $0) }
            ?? (form.csrf_token.flatMap { token in request.cookies[Self.loginCookie].map { constantTimeEqual(token, $0.value) } } ?? false)
        guard valid else { return try csrfRefused(request, session: session) }
        guard let language = form.language.flatMap(ConsoleLanguage.init(rawValue:)) else { return try notFound(request, session: session) }
        if let session { try await sessions.setLanguage(language.rawValue, for: session) }
        let back = form.back.flatMap { $0.hasPrefix("/") && !$0.hasPrefix("//") && !$0.contains("\\") ? $0 : nil } ?? "/"
        var response = redirect(to: back)
        response.setCookie(cookie(Self.languageCookie, language.rawValue, maxAge: 365 * 86_400))
        return response
    }

    // MARK: Pages

    private func home(_ request: Request) async throws -> Response {
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
        let retrieval = try await requests.request(requestID, as: caller)
        let input = RequestPageInput(
            request: retrieval, history: try await requests.history(of: requestID, as: caller),
            comments: try await requests.comments(on: requestID, as: caller), artifacts: try await requests.artifacts(of: requestID, as: caller),
            custodyIntact: try? await requests.custody(of: requestID, as: caller, now: now).chainIntact)
        var view = ConsoleViews.requestPage(input, for: caller, now: now,
                                            layout: layout(request, session: session, title: retrieval.draft.incidentReference), error: error)
        view.newGuestLink = newGuestLink
        return try render("request", view, status: status)
    }

    // MARK: Readiness

    private func readiness(_ request: Request) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let query = request.uri.queryParameters
        let value = { (name: String) -> String? in query[name[...]].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        let policy = value("policy"), org = value("org"), caller = session.principal
        let report = try await gapReport(policy.map { [$0] }, org, nil, caller)
        var cell: (SystemID, IncidentType)?
        var detail: GapReport?
        if let system = value("system"), let type = value("incident").flatMap(Int.init).flatMap(IncidentType.init(rawValue:)) {
            cell = (SystemID(system), type)
            detail = try await gapReport(policy.map { [$0] }, org, system, caller)
        }
        let t = strings(request, session: session)
        return try render("readiness", ConsoleViews.readiness(report, layout: layout(request, session: session, title: t["readiness_title"]!),
                                                              policies: try await policyIDs(caller), selected: policy, org: org,
                                                              cell: cell, detail: detail))
    }

    // MARK: Inventory

    private func sourceFilter(_ request: Request) -> SourceFilter {
        let query = request.uri.queryParameters
        let value = { (name: String) -> String? in query[name[...]].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        return SourceFilter(org: value("org").map(OrgID.init), system: value("system").map(SystemID.init), logType: value("log_type"),
                            medium: value("medium").flatMap(StorageMedium.init(rawValue:)), text: value("q"))
    }

    private func inventoryPage(_ request: Request) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let caller = session.principal, filter = sourceFilter(request)
        let orgs = try await inventory.orgs(as: caller, page: PageRequest(limit: 200)).items
        let sources = try await inventory.sources(matching: filter, as: caller, page: PageRequest(limit: 200))
        let t = strings(request, session: session)
        return try render("inventory", ConsoleViews.inventory(layout: layout(request, session: session, title: t["inventory_title"]!), orgs: orgs,
                                                              filter: filter, sources: sources, now: clock()))
    }

    private func sourcePage(_ request: Request, id: String, form: SourceEditForm? = nil, changed: [String] = [], error: String? = nil,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        guard let uuid = UUID(uuidString: id) else { return try notFound(request, session: session) }
        let caller = session.principal
        let source = try await inventory.source(LogSourceID(uuid), as: caller)
        let owner = try await inventory.system(source.systemID, as: caller).ownerOrgID
        // The requirements that judge this source: those of the current policies' findings that name it.
        let findings = try await gapReport(nil, nil, source.systemID.rawValue, caller).findings.filter { $0.sourceIDs.contains(source.id) }
        var requirements: [String: (Requirement, String)] = [:]
        for finding in findings { requirements["\(finding.policyID)/\(finding.requirement.id)"] = (finding.requirement, finding.policyID) }
        let chosen = requirements.keys.sorted().map { requirements[$0]! }
        let view = ConsoleViews.sourcePage(source, requirements: chosen.map(\.0),
                                           policyOf: Dictionary(chosen.map { ($0.0.id, $0.1) }, uniquingKeysWith: { first, _ in first }),
                                           layout: layout(request, session: session, title: source.name), now: clock(),
                                           canEdit: caller.may(.update, sourceHeldBy: source.custodianOrgID, systemOwner: owner),
                                           form: form, changed: changed, error: error)
        return try render("source", view, status: status)
    }

    private struct SourceFields: Decodable {
        let csrf_token: String?
        let version: String?
        let product, format, notes, lead_time_hours: String?
        let base_product, base_format, base_notes, base_lead_time_hours: String?
    }

    /// Saves a custodian's edit if nobody changed the source since the form was opened (its version, as an ETag over
    /// the API); otherwise shows what changed instead of overwriting it.
    private func editSource(_ request: Request, id: String) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let fields = try await self.form(SourceFields.self, of: request)
        guard validCSRF(fields.csrf_token, session) else { return try csrfRefused(request, session: session) }
        guard session.principal.mayEditInventory else { return try notAllowed(request, session: session) }
        guard let uuid = UUID(uuidString: id), let version = fields.version.flatMap(Int.init) else { return try notFound(request, session: session) }
        let text: @Sendable (String?) -> String? = { value in value.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 } }
        let lead = text(fields.lead_time_hours)
        if let lead, Double(lead) == nil {
            return try await sourcePage(request, id: id, error: strings(request, session: session)["refusal_invalid"]! + " lead_time_hours", status: .unprocessableContent)
        }
        do {
            _ = try await inventory.updateSource(LogSourceID(uuid), ifVersion: version, as: session.principal) { source in
                source.product = text(fields.product)
                source.format = text(fields.format)
                source.notes = text(fields.notes)
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
                                      notes: fields.base_notes ?? "", leadTimeHours: fields.base_lead_time_hours ?? "")
            return try await sourcePage(request, id: id, form: current,
                                        changed: ConsoleViews.changedFields(from: base, to: current, t: strings(request, session: session)),
                                        status: .preconditionFailed)
        } catch InventoryError.invalid(let issues) {
            return try await sourcePage(request, id: id, error: issues.map { "\($0.path): \($0.message)" }.joined(separator: "; "), status: .unprocessableContent)
        }
        return redirect(to: "/sources/\(id)")
    }

    // MARK: Friction

    private func friction(_ request: Request) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let report = try await requests.friction(org: nil, now: clock(), as: session.principal)
        let t = strings(request, session: session)
        return try render("friction", ConsoleViews.friction(report, layout: layout(request, session: session, title: t["friction_title"]!)))
    }

    // MARK: The request desk

    private func desk(_ request: Request) async throws -> Response {
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

    private struct DeskFields: Decodable {
        let csrf_token: String?
        let sources: [String]?
        let incident_reference, purpose, priority, from, to, hosts, users, ips, text, intent: String?
    }

    /// Preview or file what the desk's form describes; problems come back on the same page with the form as typed.
    private func compose(_ request: Request) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let fields = try await self.form(DeskFields.self, of: request)
        guard validCSRF(fields.csrf_token, session) else { return try csrfRefused(request, session: session) }
        guard session.principal.mayFileRequests else { return try notAllowed(request, session: session) }
        let form = DeskForm(sources: fields.sources ?? [], incident: fields.incident_reference ?? "", purpose: fields.purpose ?? "",
                            priority: fields.priority ?? "", from: fields.from ?? "", to: fields.to ?? "", hosts: fields.hosts ?? "",
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

    private func renderDesk(_ request: Request, session: ConsoleSession, filter: SourceFilter, form: DeskForm, plan: RequestPlanner.Plan?,
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

    private struct ActionForm: Decodable {
        let csrf_token: String?
        let note: String?
    }

    private func transition(_ request: Request, id: String, item: String, action: String) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let form = try await self.form(ActionForm.self, of: request)
        guard validCSRF(form.csrf_token, session) else { return try csrfRefused(request, session: session) }
        guard let requestUUID = UUID(uuidString: id), let itemUUID = UUID(uuidString: item), let action = ItemAction(rawValue: action),
              action != .expire else { return try notFound(request, session: session) }
        do {
            _ = try await requests.transition(action, item: RequestItemID(itemUUID), of: RequestID(requestUUID), note: form.note.flatMap { $0.isEmpty ? nil : $0 },
                                              as: session.principal, now: clock())
        } catch let error as RequestError {
            guard let status = Self.pageStatus(of: error) else { throw error }
            return try await requestPage(request, id: id, error: ConsoleViews.refusal(error, t: strings(request, session: session)), status: status)
        }
        return redirect(to: "/requests/\(id)#panel-\(item)")
    }

    private struct CommentForm: Decodable {
        let csrf_token: String?
        let body: String?
    }

    private func comment(_ request: Request, id: String) async throws -> Response {
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

    // MARK: Evidence

    /// What the page's script shows once an upload is stored.
    private struct Stored: Encodable {
        let name: String
        let size: Int64
        let sha256: String
    }

    /// A file streamed from the browser (the page's script sends the file itself as the body, with the session's
    /// CSRF token in `X-CSRF-Token`) into the same intake as `PUT /v1/…/artifacts`.
    private func upload(_ request: Request, id: String, item: String) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        guard validCSRF(request.headers[Self.csrfHeader], session) else { return try csrfRefused(request, session: session) }
        guard let requestUUID = UUID(uuidString: id), let itemUUID = UUID(uuidString: item) else { return try notFound(request, session: session) }
        return try await store(request, session: session, item: RequestItemID(itemUUID), of: RequestID(requestUUID), as: session.principal)
    }

    /// Streams the body into the evidence intake as `caller` and answers what the page's script shows.
    private func store(_ request: Request, session: ConsoleSession?, item: RequestItemID, of requestID: LogAtlasCore.RequestID, as caller: Principal) async throws -> Response {
        let t = strings(request, session: session)
        guard request.headers[.contentType]?.hasPrefix("application/octet-stream") == true else {
            return try message(request, session: session, heading: t["upload_needs_script_title"]!, text: t["upload_needs_script"]!,
                               status: .unsupportedMediaType)
        }
        let name = request.uri.queryParameters["name"].map(String.init).flatMap { $0.isEmpty ? nil : String($0.prefix(255)) }
        do {
            let artifact = try await evidence.upload(request.body.map { ArraySlice($0.readableBytesView) }, fileName: name,
                                                     mediaType: "application/octet-stream", expectedSHA256: nil, item: item, of: requestID, as: caller)
            let json = try JSONEncoder().encode(Stored(name: artifact.fileName ?? "", size: artifact.size ?? 0, sha256: artifact.sha256))
            return Response(status: .created, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: json)))
        } catch let error as RequestError {
            switch error {
            case .notFound, .forbidden, .refused(.notPermitted): throw error
            case .tooLarge: return try message(request, session: session, heading: t["forbidden_title"]!, text: t["upload_too_large"]!, status: .contentTooLarge)
            default: return try message(request, session: session, heading: t["forbidden_title"]!, text: ConsoleViews.refusal(error, t: t), status: .conflict)
            }
        }
    }

    /// Evidence for the requesting team, streamed, with its digest; every download is an audit event (as over the API).
    private func download(_ request: Request, id: String, artifact: String) async throws -> Response {
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

    // MARK: Guest links

    private struct GuestLinkForm: Decodable {
        let csrf_token: String?
        let days: String?
        let passphrase: String?
    }

    /// Makes a guest link for an item and shows its address once, on the request page.
    private func makeGuestLink(_ request: Request, id: String, item: String) async throws -> Response {
        guard let session = try await session(of: request) else { return redirect(to: "/login") }
        let form = try await self.form(GuestLinkForm.self, of: request)
        guard validCSRF(form.csrf_token, session) else { return try csrfRefused(request, session: session) }
        guard let requestUUID = UUID(uuidString: id), let itemUUID = UUID(uuidString: item) else { return try notFound(request, session: session) }
        do {
            let (_, secret) = try await guestLinks.create(item: RequestItemID(itemUUID), of: LogAtlasCore.RequestID(requestUUID),
                                                          days: form.days.flatMap { Int($0) } ?? 0,
                                                          passphrase: form.passphrase.flatMap { $0.isEmpty ? nil : $0 }, as: session.principal)
            let origin = request.head.authority.map { "\(cookieSecure ? "https" : "http")://\($0)" } ?? ""
            return try await requestPage(request, id: id, error: nil, status: .created, newGuestLink: "\(origin)/guest/\(secret)")
        } catch let error as RequestError {
            guard let status = Self.pageStatus(of: error) else { throw error }
            return try await requestPage(request, id: id, error: ConsoleViews.refusal(error, t: strings(request, session: session)), status: status)
        }
    }

    /// The usable link behind a secret, or nil (unknown, expired and revoked links are all the same 404 page).
    private func guestLink(_ secret: String) async throws -> (link: GuestLink, passphraseHash: String?)? {
        guard let found = try await guestLinks.store.link(forSecret: secret), found.link.isUsable(now: clock()) else { return nil }
        return found
    }

    /// A guest's forms carry a token derived from the link's secret; a page elsewhere cannot know it.
    private static func guestToken(_ secret: String) -> String { TokenSecret.hashHex("guest-csrf|" + secret) }

    /// The cookie value that says the link's passphrase was given in this browser.
    private static func unlockToken(_ secret: String, _ passphraseHash: String) -> String {
        TokenSecret.hashHex("guest-unlock|" + secret + "|" + passphraseHash)
    }

    private func isUnlocked(_ request: Request, secret: String, passphraseHash: String?) -> Bool {
        guard let passphraseHash else { return true }
        return request.cookies["la_guest"].map { constantTimeEqual($0.value, Self.unlockToken(secret, passphraseHash)) } ?? false
    }

    private func guestPage(_ request: Request, secret: String, error: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let found = try await guestLink(secret) else { return try notFound(request, session: nil) }
        let (link, passphraseHash) = found
        let t = strings(request, session: nil), csrf = Self.guestToken(secret)
        guard isUnlocked(request, secret: secret, passphraseHash: passphraseHash) else {
            let layout = layout(request, session: nil, title: t["guest_passphrase_title"]!, csrf: csrf)
            var response = try render("guest-unlock", GuestUnlockView(layout: layout, action: "/guest/\(secret)/unlock", error: error),
                                      status: error == nil ? .ok : status)
            response.setCookie(cookie(Self.loginCookie, csrf, maxAge: 3_600))   // for the language switch, as below
            return response
        }
        let guest = link.principal, now = clock()
        var retrieval = try await requests.request(link.requestID, as: guest)
        retrieval.items = retrieval.items.filter { $0.id == link.itemID }
        guard !retrieval.items.isEmpty else { return try notFound(request, session: nil) }
        let input = RequestPageInput(request: retrieval, history: try await requests.history(of: link.requestID, as: guest).filter { $0.itemID == link.itemID },
                                     comments: [], artifacts: try await requests.artifacts(of: link.requestID, as: guest).filter { $0.itemID == link.itemID },
                                     custodyIntact: nil, guest: link, guestPath: "/guest/\(secret)")
        var layout = layout(request, session: nil, title: retrieval.draft.incidentReference, csrf: csrf)
        layout.guest = true
        var response = try render("request", ConsoleViews.requestPage(input, for: guest, now: now, layout: layout, error: error), status: status)
        // The language switch posts with the same token (double submit, as on the sign-in page).
        response.setCookie(cookie(Self.loginCookie, csrf, maxAge: 3_600))
        return response
    }

    private struct UnlockForm: Decodable {
        let csrf_token: String?
        let passphrase: String?
    }

    private func unlockGuest(_ request: Request, _ context: LogAtlasRequestContext, secret: String) async throws -> Response {
        guard let found = try await guestLink(secret) else { return try notFound(request, session: nil) }
        let (link, passphraseHash) = found
        let form = try await self.form(UnlockForm.self, of: request)
        guard let token = form.csrf_token, constantTimeEqual(token, Self.guestToken(secret)) else { return try csrfRefused(request, session: nil) }
        guard let passphraseHash else { return redirect(to: "/guest/\(secret)") }
        let t = strings(request, session: nil)
        switch try await sessions.verifyGuestPassphrase(form.passphrase ?? "", against: passphraseHash, link: link,
                                                        address: context.remoteAddress?.ipAddress ?? "unknown", now: clock()) {
        case .none:
            var response = try message(request, session: nil, heading: t["throttled_title"]!, text: t["throttled"]!, status: .tooManyRequests)
            response.headers[.retryAfter] = "600"
            return response
        case .some(false):
            return try await guestPage(request, secret: secret, error: t["wrong_passphrase"]!, status: .unauthorized)
        case .some(true):
            var response = redirect(to: "/guest/\(secret)")
            response.setCookie(Cookie(name: "la_guest", value: Self.unlockToken(secret, passphraseHash), maxAge: 8 * 3_600, path: "/guest/\(secret)",
                                      secure: cookieSecure, httpOnly: true, sameSite: .lax))
            return response
        }
    }

    private func guestAction(_ request: Request, secret: String, action: String) async throws -> Response {
        guard let found = try await guestLink(secret) else { return try notFound(request, session: nil) }
        let (link, passphraseHash) = found
        let form = try await self.form(ActionForm.self, of: request)
        guard let token = form.csrf_token, constantTimeEqual(token, Self.guestToken(secret)),
              isUnlocked(request, secret: secret, passphraseHash: passphraseHash) else { return try csrfRefused(request, session: nil) }
        guard let action = ItemAction(rawValue: action), link.permits(action, on: link.itemID) else { return try notFound(request, session: nil) }
        do {
            _ = try await requests.transition(action, item: link.itemID, of: link.requestID, note: form.note.flatMap { $0.isEmpty ? nil : $0 },
                                              as: link.principal, now: clock())
        } catch let error as RequestError {
            guard let status = Self.pageStatus(of: error) else { throw error }
            return try await guestPage(request, secret: secret, error: ConsoleViews.refusal(error, t: strings(request, session: nil)), status: status)
        }
        return redirect(to: "/guest/\(secret)")
    }

    private func guestUpload(_ request: Request, secret: String) async throws -> Response {
        guard let found = try await guestLink(secret) else { return try notFound(request, session: nil) }
        let (link, passphraseHash) = found
        guard let token = request.headers[Self.csrfHeader], constantTimeEqual(token, Self.guestToken(secret)),
              isUnlocked(request, secret: secret, passphraseHash: passphraseHash) else { return try csrfRefused(request, session: nil) }
        return try await store(request, session: nil, item: link.itemID, of: link.requestID, as: link.principal)
    }

    // MARK: Helpers

    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    /// The signed-in session of the request's cookie, if any.
    private func session(of request: Request) async throws -> ConsoleSession? {
        guard let secret = request.cookies[Self.sessionCookie]?.value, !secret.isEmpty else { return nil }
        return try await sessions.session(forSecret: secret, now: clock())
    }

    private func validCSRF(_ token: String?, _ session: ConsoleSession) -> Bool {
        token.map { constantTimeEqual($0, session.csrfToken) } ?? false
    }

    private func language(_ request: Request, session: ConsoleSession?) -> ConsoleLanguage {
        session?.language.flatMap(ConsoleLanguage.init(rawValue:))
            ?? request.cookies[Self.languageCookie].flatMap { ConsoleLanguage(rawValue: $0.value) }
            ?? ConsoleLanguage.preferred(acceptLanguage: request.headers[.acceptLanguage])
    }

    private func strings(_ request: Request, session: ConsoleSession?) -> [String: String] {
        ConsoleStrings.strings(language(request, session: session))
    }

    private func layout(_ request: Request, session: ConsoleSession?, title: String, csrf: String? = nil) -> LayoutView {
        let language = language(request, session: session)
        return LayoutView(lang: language.rawValue, t: ConsoleStrings.strings(language), title: title, user: session?.principal.name,
                          role: session.map { ConsoleStrings.strings(language)["role_" + $0.principal.role.rawValue]! }, csrf: session?.csrfToken ?? csrf,
                          otherLanguage: language == .en ? ConsoleLanguage.ja.rawValue : ConsoleLanguage.en.rawValue,
                          path: request.uri.path)
    }

    private func form<Form: Decodable>(_ type: Form.Type, of request: Request) async throws -> Form {
        let body = try await request.body.collect(upTo: Self.formLimit)
        do {
            return try URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body))
        } catch {
            throw HTTPError(.badRequest, message: "the form could not be read")
        }
    }

    private func cookie(_ name: String, _ value: String, maxAge: Int?) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: cookieSecure, httpOnly: true, sameSite: .lax)
    }

    private func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    private func render<View>(_ template: String, _ view: View, status: HTTPResponse.Status = .ok) throws -> Response {
        guard let html = templates.render(view, withTemplate: template) else {
            throw MissingResource(description: "the console template \(template) is missing")
        }
        return Response(status: status, headers: Self.pageHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Pages are never cached and run nothing from elsewhere; timeline bars need inline style attributes only.
    static let pageHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
        .contentSecurityPolicy: "default-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff", HTTPField.Name("Referrer-Policy")!: "same-origin",
    ]

    private func message(_ request: Request, session: ConsoleSession?, heading: String, text: String, reference: String? = nil,
                         status: HTTPResponse.Status) throws -> Response {
        try render("message", MessageView(layout: layout(request, session: session, title: heading), heading: heading, message: text,
                                          reference: reference), status: status)
    }

    private func csrfRefused(_ request: Request, session: ConsoleSession?) throws -> Response {
        let t = strings(request, session: session)
        return try message(request, session: session, heading: t["forbidden_title"]!, text: t["csrf_refused"]!, status: .forbidden)
    }

    private func notAllowed(_ request: Request, session: ConsoleSession?) throws -> Response {
        let t = strings(request, session: session)
        return try message(request, session: session, heading: t["forbidden_title"]!, text: t["not_allowed"]!, status: .forbidden)
    }

    private func notFound(_ request: Request, session: ConsoleSession?) throws -> Response {
        let t = strings(request, session: session)
        return try message(request, session: session, heading: t["not_found_title"]!, text: t["not_found"]!, status: .notFound)
    }

    /// Runs a page handler and turns what it throws into a page (never problem+json, never a stack trace).
    private func page(_ request: Request, _ context: LogAtlasRequestContext, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as RequestError {
            let session = try? await session(of: request)
            switch error {
            case .notFound: return try notFound(request, session: session)
            case .forbidden, .refused(.notPermitted): return try notAllowed(request, session: session)
            default: return try failure(request, error)
            }
        } catch let error as InventoryError {
            switch error {
            case .notFound: return try notFound(request, session: try? await session(of: request))
            case .forbidden: return try notAllowed(request, session: try? await session(of: request))
            default: return try failure(request, error)
            }
        } catch is DatabaseUnavailable {
            let t = strings(request, session: nil)
            var response = try message(request, session: nil, heading: t["unavailable_title"]!, text: t["unavailable"]!, status: .serviceUnavailable)
            response.headers[.retryAfter] = "5"
            return response
        } catch is NIOTooManyBytesError {
            return try message(request, session: nil, heading: HTTPResponse.Status.contentTooLarge.reasonPhrase,
                               text: strings(request, session: nil)["form_too_large"]!, status: .contentTooLarge)
        } catch let error as HTTPError where error.status == .badRequest || error.status == .contentTooLarge {
            return try message(request, session: nil, heading: error.status.reasonPhrase, text: error.body ?? "", status: error.status)
        } catch {
            return try failure(request, error)
        }
    }

    private func failure(_ request: Request, _ error: any Error) throws -> Response {
        let reference = UUID().uuidString.lowercased()
        logger.error("console page failed", metadata: ["request_id": "\(reference)", "path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
        let t = strings(request, session: nil)
        return try message(request, session: nil, heading: t["error_title"]!, text: t["error"]!, reference: reference, status: .internalServerError)
    }
}

/// Compares two secrets in time that does not depend on where they differ.
func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
    let (a, b) = (Array(lhs.utf8), Array(rhs.utf8))
    guard a.count == b.count else { return false }
    return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
}

extension Console {
    /// The status of the request page that explains a refused action; nil for errors that are pages of their own
    /// (not found, a role that may not do this at all). The same statuses as the API's.
    static func pageStatus(of error: RequestError) -> HTTPResponse.Status? {
        switch error {
        case .notFound, .forbidden, .refused(.notPermitted): nil
        case .conflict: .conflict
        default: .unprocessableContent
        }
    }
}
