import ArgumentParser
import Foundation

struct ObservedGapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "observed-gap", abstract: "Gaps learned from incidents: what a rejected, expired or insufficient answer showed missing.",
        subcommands: [ListObservedGaps.self, ShowObservedGap.self, RecordObservedGap.self, CloseObservedGap.self])
}

/// One line per gap: id, status, incident, what fell short where, and how it was closed.
func describe(observedGap: Any) -> String {
    let g = observedGap as? [String: Any] ?? [:]
    var need: [String] = []
    if let days = g["needed_days"] { need.append("\(days) d") }
    if let hours = g["needed_hours"] { need.append("within \(hours) h") }
    if let fields = g["fields"] as? [String], !fields.isEmpty { need.append(fields.joined(separator: ", ")) }
    var text = "\(g["id"] ?? "") \(g["status"] ?? "")  \(g["incident_reference"] ?? "")  \(g["log_type"] ?? "") of \(g["system"] ?? ""): \(g["kind"] ?? "")"
        + (need.isEmpty ? "" : " (\(need.joined(separator: "; ")))")
    if let note = g["note"] as? String, !note.isEmpty { text += "\n  \(note)" }
    if let by = g["closed_by"] { text += "\n  closed by \(by): \(g["close_reason"] ?? "")" }
    return text
}

struct ListObservedGaps: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the observed gaps you may see, newest first.")
    @OptionGroup var server: ServerOptions
    @Option(help: "open or closed.") var status: String?
    @Option(help: "Only this system's.") var system: String?
    @Option(help: "Only this incident's, e.g. INC-2026-0142.") var incident: String?
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        let query = [("status", status), ("system", system), ("incident", incident)].compactMap { name, value in
            value.map { "\(name)=\(QueryEncoding.encode($0))" }
        }
        let answer = try await server.client().json(.GET, "/v1/observed-gaps" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
        try emit(answer, json: json) { page in
            let items = (page as? [String: Any])?["items"] as? [Any] ?? []
            return (items.map(describe(observedGap:)) + ["\(items.count) observed gap(s)"]).joined(separator: "\n")
        }
    }
}

struct ShowObservedGap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one observed gap.")
    @OptionGroup var server: ServerOptions
    @Argument(help: "Observed gap id.") var id: String
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        try emit(try await server.client().json(.GET, "/v1/observed-gaps/\(id)"), json: json, summary: describe(observedGap:))
    }
}

struct RecordObservedGap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record", abstract: "Record what an incident showed missing: against a request item, or an incident reference.",
        discussion: """
            logatlas observed-gap record --request R --item I --source S --kind too_short --needed-days 400
            logatlas observed-gap record --incident INC-2026-0142 --system shop-web --log-type web.access --kind missing
            """)
    @OptionGroup var server: ServerOptions
    @Option(help: "The request whose item revealed the gap (with --item).") var request: String?
    @Option(help: "The item, rejected, expired or received.") var item: String?
    @Option(help: "The incident reference (when no item is named).") var incident: String?
    @Option(help: "The source that fell short.") var source: String?
    @Option(help: "The system (with --log-type) when no source is named.") var system: String?
    @Option(help: "The log type (with --system).") var logType: String?
    @Option(help: "missing, too_short, too_slow or fields_missing.") var kind: String
    @Option(help: "too_short: days back the incident needed; too_slow: the window.") var neededDays: Int?
    @Option(help: "too_slow: hours within which the logs were needed.") var neededHours: Double?
    @Option(name: .customLong("field"), help: "fields_missing: a field the logs lacked (repeat).") var fields: [String] = []
    @Option(help: "What happened.") var note: String?
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        var body: [String: Any] = ["kind": kind]
        for (key, value) in [("request_id", request), ("item_id", item), ("incident_reference", incident), ("source_id", source),
                             ("system_id", system), ("log_type", logType), ("note", note)] {
            if let value { body[key] = value }
        }
        if let neededDays { body["needed_days"] = neededDays }
        if let neededHours { body["needed_hours"] = neededHours }
        if !fields.isEmpty { body["fields"] = fields }
        try emit(try await server.client().json(.POST, "/v1/observed-gaps", body: body), json: json, summary: describe(observedGap:))
    }
}

struct CloseObservedGap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "close", abstract: "Close an open gap by hand, with a reason (admins).")
    @OptionGroup var server: ServerOptions
    @Argument(help: "Observed gap id.") var id: String
    @Option(help: "Why it is closed.") var reason: String
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        try emit(try await server.client().json(.POST, "/v1/observed-gaps/\(id)/closure", body: ["reason": reason]), json: json,
                 summary: describe(observedGap:))
    }
}
