import Foundation
import HTTPTypes
import LogAtlasFormats
import OpenAPIRuntime

/// Serves the JSON form of `POST /v1/gap-reports` and `GET /v1/gap-reports/{id}` with `GapReportJSON`.
///
/// The generated code would encode the report through `JSONEncoder`: 1.2 s of a 3.5 s report over 100,000
/// sources. `GapReportJSON` writes the same bytes (tested against the generated types) in a tenth of that.
/// Every other format, and any request this does not fully understand, goes on to the generated handlers.
struct GapReportJSONMiddleware: ServerMiddleware {
    let api: LogAtlasAPI

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard operationID == "createGapReport" || operationID == "getGapReport",
              let components = request.path.flatMap({ URLComponents(string: $0) }),
              Self.acceptsJSON(request.headerFields[.accept]) else {
            return try await next(request, body, metadata)
        }
        let query = components.queryItems ?? []
        func value(_ name: String) -> String? { query.first { $0.name == name }.map { $0.value ?? "" } }
        guard value("format").map({ $0 == "json" }) ?? true else { return try await next(request, body, metadata) }

        let json: [UInt8]
        if operationID == "createGapReport" {
            let policies = query.filter { $0.name == "policy" }.map { $0.value ?? "" }
            json = try await api.runGapReport(policies: policies.isEmpty ? nil : policies, org: value("org"), system: value("system")) {
                GapReportJSON.render($0, id: $1)
            }
        } else {
            guard let raw = metadata.pathParameters["reportId"], let id = String(raw).removingPercentEncoding else {
                return try await next(request, body, metadata)
            }
            json = GapReportJSON.render(try await api.storedGapReport(id), id: id)
        }
        var response = HTTPResponse(status: .ok)
        response.headerFields[.contentType] = "application/json; charset=utf-8"
        return (response, HTTPBody(json))
    }

    /// Whether an `Accept` header (if any) admits JSON, as the generated code checks it.
    static func acceptsJSON(_ accept: String?) -> Bool {
        guard let accept, !accept.isEmpty else { return true }
        return accept.split(separator: ",").contains { range in
            let type = range.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            return type == "application/json" || type == "application/*" || type == "*/*"
        }
    }
}
