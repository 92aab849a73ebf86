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
    let retention: EvidenceRetentionPolicy
    /// The gap report of the chosen policies on what the caller may see (the API's own orchestration), and the IDs of
    /// the current policies.
    let gapReport: @Sendable (_ policies: [String]?, _ org: String?, _ system: String?, _ severity: Priority?, _ caller: Principal) async throws -> GapReport
    /// Runs that report and stores it (as `POST /v1/gap-reports` does): a point of the readiness trend.
    let recordGapReport: @Sendable (_ policies: [String]?, _ org: String?, _ caller: Principal) async throws -> Void
    /// The readiness trend per policy from the stored runs (`GapReportRepository.trend`).
    let trend: @Sendable (_ policy: String?, _ org: String?, _ caller: Principal) async throws -> [TrendPoint]
    let policyIDs: @Sendable (_ caller: Principal) async throws -> [String]
    /// A source's probe heartbeats, newest first (`HeartbeatRepository`).
    let heartbeats: any HeartbeatRepository
    /// Systems' action cards, printed from the source page.
    let actionCards: any ActionCardRepository
    /// The organisation's OpenID Connect provider, when sign-in through it is configured.
    let openID: OpenIDProvider?
    /// Whether the sign-in form for LogAtlas passwords is offered.
    let localPasswords: Bool
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
        router.get("/login/oidc") { request, context in try await page(request, context) { try await startOpenIDSignIn(request) } }
        router.get("/login/oidc/callback") { request, context in try await page(request, context) { try await finishOpenIDSignIn(request) } }
        router.post("/logout") { request, context in try await page(request, context) { try await signOut(request) } }
        router.post("/console/language") { request, context in try await page(request, context) { try await switchLanguage(request) } }
        router.get("/") { request, context in try await page(request, context) { try await home(request) } }
        router.get("/readiness") { request, context in try await page(request, context) { try await readiness(request) } }
        router.post("/readiness") { request, context in try await page(request, context) { try await recordReadiness(request) } }
        router.post("/readiness/sigma") { request, context in try await page(request, context) { try await sigmaReadiness(request) } }
        router.get("/friction") { request, context in try await page(request, context) { try await friction(request) } }
        router.get("/inventory") { request, context in try await page(request, context) { try await inventoryPage(request) } }
        router.get("/sources/{id}") { request, context in
            try await page(request, context) { try await sourcePage(request, id: context.parameters.require("id")) }
        }
        router.get("/systems/{id}/action-card") { request, context in
            try await page(request, context) { try await actionCardPage(request, system: context.parameters.require("id")) }
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
