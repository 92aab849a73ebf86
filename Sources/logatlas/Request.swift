import ArgumentParser
import Foundation
import LogAtlasCore
import LogAtlasStore

/// `logatlas request …`: the retrieval broker from the command line, through the API (so a vendor's custodian
/// needs only a token, never database access).
struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request", abstract: "File, follow and answer log retrieval requests through the LogAtlas API.",
        subcommands: [FileRequest.self, ListRequests.self, ShowRequest.self, Transition.self, Upload.self, Download.self, Custody.self])
}

/// Prints JSON, or a short human summary.
func emit(_ value: Any, json: Bool, summary: (Any) -> String) throws {
    if json {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    } else {
        print(summary(value))
    }
}

/// One line per item: organisation, state, deadlines, preservation instruction.
func describe(request: Any) -> String {
    let request = request as? [String: Any] ?? [:]
    var lines = ["\(request["id"] as? String ?? "(preview)")  \(request["incident_reference"] ?? "")  \(request["priority"] ?? "")  by \(request["requested_by"] ?? "")",
                 "  purpose: \(request["purpose"] ?? "")"]
    for warning in request["warnings"] as? [String] ?? [] { lines.append("  warning: \(warning)") }
    for item in request["items"] as? [[String: Any]] ?? [] {
        lines.append("  item \(item["id"] ?? "") \(item["custodian_org"] ?? ""): \(item["state"] ?? "")\((item["overdue"] as? Bool) == true ? " OVERDUE" : "")"
                     + "  ack by \(item["acknowledge_due"] ?? "")  deliver by \(item["deliver_due"] ?? "")")
        if let preservation = item["preservation"] as? String { lines.append("    \(preservation)") }
        if let agreement = item["agreement"] as? [String: Any] {
            lines.append("    approved by standing agreement \(agreement["id"] ?? "") v\(agreement["version"] ?? "") (promised \(agreement["promised_lead_hours"] ?? "") h)")
        }
        if let proposal = item["due_date_proposal"] as? [String: Any] {
            lines.append("    proposed delivery date \(proposal["deliver_due"] ?? "") by \(proposal["proposed_by"] ?? ""): \(proposal["reason"] ?? "")")
        }
        for source in item["feasibility"] as? [[String: Any]] ?? [] {
            let segments = (source["segments"] as? [[String: Any]] ?? []).map { "\($0["availability"] ?? "")\(($0["medium"] as? String).map { " (\($0))" } ?? "")" }
            lines.append("    \(source["source_name"] ?? ""): \(segments.joined(separator: " → "))")
        }
        if let actions = item["available_actions"] as? [String], !actions.isEmpty { lines.append("    you can: \(actions.joined(separator: ", "))") }
    }
    return lines.joined(separator: "\n")
}

struct FileRequest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "file", abstract: "File a request (or --preview its feasibility).")
    @OptionGroup var server: ServerOptions
    @Option(help: "Incident reference, e.g. INC-2026-0142.") var incident: String
    @Option(help: "Why these logs are needed.") var purpose: String
    @Option(help: "informational, medium, serious or critical.") var priority: String = "medium"
    @Option(help: "Window start, ISO 8601 UTC.") var from: String
    @Option(help: "Window end, ISO 8601 UTC.") var to: String
    @Option(name: .customLong("source"), help: "A log source id (repeat).") var sources: [String]
    @Option(name: .customLong("host"), help: "Host hint (repeat).") var hosts: [String] = []
    @Option(name: .customLong("user"), help: "User hint (repeat).") var users: [String] = []
    @Option(name: .customLong("ip"), help: "IP hint (repeat).") var ips: [String] = []
    @Option(help: "Free-text hint.") var text: String?
    @Option(help: "The incident type on the action card: 100, 200, … 600 (standing agreements may require one).") var incidentType: Int?
    @Flag(help: "Only predict feasibility; file nothing.") var preview = false
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        var body: [String: Any] = ["incident_reference": incident, "purpose": purpose, "priority": priority, "window": ["from": from, "to": to],
                                   "sources": sources, "hints": ["hosts": hosts, "users": users, "ips": ips, "text": text as Any].compactMapValues { $0 is NSNull ? nil : $0 }]
        if let incidentType { body["incident_type"] = incidentType }
        let answer = try await server.client().json(.POST, preview ? "/v1/requests:preview" : "/v1/requests", body: body)
        try emit(answer, json: json, summary: describe(request:))
    }
}

struct ListRequests: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the requests you may see.")
    @OptionGroup var server: ServerOptions
    @Option(help: "Only requests with an item in this state.") var state: String?
    @Option(help: "Only this priority.") var priority: String?
    @Option(help: "Only requests with an item for this custodian organisation.") var org: String?
    @Flag(help: "Only requests past a deadline.") var overdue = false
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        var query = [("state", state), ("priority", priority), ("org", org), ("overdue", overdue ? "true" : nil), ("limit", "500")]
            .compactMap { name, value in value.map { "\(name)=\(QueryEncoding.encode($0))" } }.joined(separator: "&")
        if !query.isEmpty { query = "?" + query }
        let answer = try await server.client().json(.GET, "/v1/requests\(query)")
        try emit(answer, json: json) { page in
            let page = page as? [String: Any] ?? [:]
            let rows = (page["items"] as? [[String: Any]] ?? []).map { request in
                let states = (request["items"] as? [[String: Any]] ?? []).map { "\($0["custodian_org"] ?? "")=\($0["state"] ?? "")\(($0["overdue"] as? Bool) == true ? "!" : "")" }
                return "\(request["id"] ?? "")  \(request["incident_reference"] ?? "")  \(request["priority"] ?? "")  \(states.joined(separator: " "))"
            }
            return (rows + ["\(page["total"] ?? 0) request(s)"]).joined(separator: "\n")
        }
    }
}

struct ShowRequest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one request with its items and history.")
    @OptionGroup var server: ServerOptions
    @Argument(help: "Request id.") var id: String
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        let answer = try await server.client().json(.GET, "/v1/requests/\(id)")
        try emit(answer, json: json) { request in
            let events = ((request as? [String: Any])?["events"] as? [[String: Any]] ?? []).map {
                "  \($0["at"] ?? "")  \($0["actor"] ?? "") \($0["action"] ?? ""): \($0["from"] ?? "") → \($0["to"] ?? "")\(($0["note"] as? String).map { " — \($0)" } ?? "")"
            }
            return ([describe(request: request)] + (events.isEmpty ? [] : ["history:"] + events)).joined(separator: "\n")
        }
    }
}

struct Transition: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transition",
        abstract: "Fire an action on an item: acknowledge, approve, reject, start, deliver, receive, ask_info, answer, cancel, "
            + "propose_due_date (with --deliver-due), accept_due_date, decline_due_date.")
    @OptionGroup var server: ServerOptions
    @Argument(help: "Request id.") var request: String
    @Argument(help: "Item id.") var item: String
    @Argument(help: "The action.") var action: String
    @Option(help: "Reason (reject, propose_due_date, decline_due_date), question (ask_info), answer, or outcome (receive).") var note: String?
    @Option(help: "The later delivery date propose_due_date asks for, ISO 8601 UTC.") var deliverDue: String?

    func run() async throws {
        var body: [String: Any] = ["action": action]
        if let note { body["note"] = note }
        if let deliverDue { body["deliver_due"] = deliverDue }
        let answer = try await server.client().json(.POST, "/v1/requests/\(request)/items/\(item)/transitions", body: body) as? [String: Any] ?? [:]
        print("item \(item): \(answer["state"] ?? "?")  deliver by \(answer["deliver_due"] ?? "?")"
              + ((answer["due_date_proposal"] as? [String: Any]).map { "  (proposed: \($0["deliver_due"] ?? ""))" } ?? ""))
    }
}

struct Upload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Upload evidence for an item, streamed, with its SHA-256 for the server to check.")
    @OptionGroup var server: ServerOptions
    @Argument(help: "Request id.") var request: String
    @Argument(help: "Item id.") var item: String
    @Argument(help: "The file.") var file: String
    @Option(help: "Media type of the logs.") var mediaType: String = "application/octet-stream"

    func run() async throws {
        let url = URL(fileURLWithPath: file)
        let digest = try APIClient.sha256Base64(of: url)
        let name = QueryEncoding.encode(url.lastPathComponent)
        let answer = try await server.client().upload("/v1/requests/\(request)/items/\(item)/artifacts?file_name=\(name)&media_type=\(QueryEncoding.encode(mediaType))",
                                                      file: url, digest: digest) as? [String: Any] ?? [:]
        print("artifact \(answer["id"] ?? "")  \(answer["size"] ?? 0) bytes  sha256 \(answer["sha256"] ?? "")")
    }
}

struct Download: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Download evidence, streamed, and check it against the server's Content-Digest.")
    @OptionGroup var server: ServerOptions
    @Argument(help: "Request id.") var request: String
    @Argument(help: "Artifact id.") var artifact: String
    @Option(name: [.short, .long], help: "Where to write it.") var output: String

    func run() async throws {
        let url = URL(fileURLWithPath: output)
        let result = try await server.client().download("/v1/requests/\(request)/artifacts/\(artifact)/content", to: url)
        guard result.announced == "sha-256=:\(result.computed):" else {
            try? FileManager.default.removeItem(at: url)
            throw CommandFailure(description: "digest mismatch: the server announced \(result.announced ?? "none"), the bytes hash to sha-256=:\(result.computed):; file removed")
        }
        print("\(output): \(result.bytes) bytes, sha-256 verified")
    }
}

struct Custody: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a request's chain-of-custody manifest as a signed-off JSON file, after checking every quoted audit event's hash.")
    @OptionGroup var server: ServerOptions
    @Argument(help: "Request id.") var request: String
    @Option(name: [.short, .long], help: "Where to write the manifest.") var output: String

    func run() async throws {
        let client = try server.client()
        var manifest = try await client.json(.GET, "/v1/requests/\(request)/custody") as? [String: Any] ?? [:]
        let me = try await client.json(.GET, "/v1/me") as? [String: Any] ?? [:]
        let events = manifest["events"] as? [[String: Any]] ?? []
        let broken = events.filter { !CustodyCheck.hashMatches($0) }.compactMap { $0["seq"] }
        guard broken.isEmpty else { throw CommandFailure(description: "audit events \(broken) do not match their hashes: the manifest is not trustworthy") }
        guard manifest["chain_intact"] as? Bool == true else { throw CommandFailure(description: "the server reports a broken audit chain: run logatlas audit verify") }
        let canonical = try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys])
        manifest["sign_off"] = ["by": me["name"] ?? "", "role": me["role"] ?? "", "at": Feasibility.format(Date()),
                                "events_verified": events.count, "manifest_sha256": CustodyCheck.hex(canonical),
                                "statement": "Every quoted audit event's hash was recomputed and matched; the server reported the whole chain intact."]
        try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: output))
        print("\(output): \((manifest["artifacts"] as? [Any])?.count ?? 0) artifact(s), \(events.count) audit event(s) verified")
    }
}
