import ArgumentParser
import Foundation

struct DrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill", abstract: "Retrieval drills: ask a custodian for the oldest day each tier claims to keep, regularly.",
        subcommands: [ListDrills.self, ScheduleDrills.self])
}

struct ListDrills: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The drill calendar and the drills filed, with their outcome.")
    @OptionGroup var server: ServerOptions
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        try emit(try await server.client().json(.GET, "/v1/drills"), json: json) { answer in
            let a = answer as? [String: Any] ?? [:]
            let schedules = (a["schedules"] as? [[String: Any]] ?? []).map {
                "schedule \($0["id"] ?? "")  \($0["custodian_org"] ?? "") for \($0["csirt_org"] ?? ""), every \($0["every_days"] ?? "") d, next due \($0["next_due"] ?? "")"
            }
            let drills = (a["drills"] as? [[String: Any]] ?? []).map {
                "drill \($0["outcome"] ?? "")  source \($0["source_id"] ?? "") tier \($0["tier"] ?? "") (\($0["medium"] ?? ""), \($0["tier_days"] ?? "") d)"
                    + (($0["reason"] as? String).map { ": \($0)" } ?? "")
            }
            return (schedules + drills + ["\(schedules.count) schedule(s), \(drills.count) drill(s)"]).joined(separator: "\n")
        }
    }
}

struct ScheduleDrills: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "schedule", abstract: "Drill a custodian organisation's sources every N days.",
                                                    discussion: "logatlas drill schedule --custodian-org netcare --csirt-org csirt --every-days 90")
    @OptionGroup var server: ServerOptions
    @Option(help: "The organisation holding the sources.") var custodianOrg: String
    @Option(help: "The CSIRT team that files the drills.") var csirtOrg: String
    @Option(help: "Days between drills (7–3650).") var everyDays: Int
    @Option(name: .customLong("source"), help: "A source to drill (repeat; none: every source it holds).") var sources: [String] = []
    @Option(help: "Hours of the tier's oldest day to ask for.") var windowHours: Double = 1
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        let answer = try await server.client().json(.POST, "/v1/drills", body: [
            "custodian_org": custodianOrg, "csirt_org": csirtOrg, "every_days": everyDays, "sources": sources, "window_hours": windowHours])
        try emit(answer, json: json) { schedule in
            let s = schedule as? [String: Any] ?? [:]
            return "scheduled \(s["id"] ?? ""): \(s["custodian_org"] ?? "") every \(s["every_days"] ?? "") d, first drills at the next SLA pass, "
                + "then from \(s["next_due"] ?? "")"
        }
    }
}
