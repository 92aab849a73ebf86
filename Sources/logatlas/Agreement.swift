import ArgumentParser
import Foundation

struct AgreementCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agreement", abstract: "Standing retrieval agreements: a custodian pre-authorises a CSIRT team for a scope of its sources.",
        subcommands: [ListAgreements.self, ShowAgreement.self, ProposeAgreement.self, ReviseAgreement.self, AcceptAgreement.self,
                      WithdrawAgreement.self])
}

/// The terms, as options shared by `propose` and `revise`.
struct AgreementTermsOptions: ParsableArguments {
    @Option(name: .customLong("system"), help: "A system in scope (repeat; none: any).") var systems: [String] = []
    @Option(name: .customLong("log-type"), help: "A log type in scope (repeat; none: any).") var logTypes: [String] = []
    @Option(name: .customLong("tag"), help: "A system tag in scope (repeat; none: any).") var tags: [String] = []
    @Option(name: .customLong("incident-type"), help: "An incident type covered, 100–600 (repeat; none: any).") var incidentTypes: [Int] = []
    @Option(help: "The least severe request covered: informational, medium, serious or critical.") var minimumSeverity: String
    @Option(help: "The longest window a covered request may ask for, in days.") var maxWindowDays: Int
    @Option(help: "search-access, file-export or vendor-ticket.") var deliveryMethod: String
    @Option(help: "Hours from filing to delivery the custodian promises.") var promisedLeadHours: Double
    @Option(help: "Start of validity, ISO 8601 UTC.") var validFrom: String
    @Option(help: "End of validity, ISO 8601 UTC.") var validUntil: String
    @Option(help: "Who approved it on the custodian's side.") var approverName: String
    @Option(help: "Their role, e.g. privacy officer.") var approverRole: String
    @Option(help: "The legal basis, e.g. the contract clause.") var legalBasis: String

    var json: [String: Any] {
        ["scope": ["systems": systems, "log_types": logTypes, "tags": tags], "incident_types": incidentTypes,
         "minimum_severity": minimumSeverity, "max_window_days": maxWindowDays, "delivery_method": deliveryMethod,
         "promised_lead_hours": promisedLeadHours, "valid_from": validFrom, "valid_until": validUntil,
         "approver": ["name": approverName, "role": approverRole], "legal_basis": legalBasis]
    }
}

/// One line per agreement: id, version, sides, status, promise and validity.
func describe(agreement: Any) -> String {
    let a = agreement as? [String: Any] ?? [:], terms = a["terms"] as? [String: Any] ?? [:]
    let accepted = [("custodian", a["custodian_accepted"]), ("csirt", a["csirt_accepted"])]
        .map { side, signature in "\(side) \((signature as? [String: Any])?["by"].map { "accepted by \($0)" } ?? "not accepted")" }
    return "\(a["id"] ?? "") v\(a["version"] ?? "")  \(a["custodian_org"] ?? "") → \(a["csirt_org"] ?? "")  \(a["status"] ?? "")"
        + ((a["lapsing_soon"] as? Bool) == true ? " (lapsing soon)" : "")
        + "\n  \(terms["minimum_severity"] ?? "")+, ≤ \(terms["max_window_days"] ?? "") days, \(terms["delivery_method"] ?? "") within \(terms["promised_lead_hours"] ?? "") h,"
        + " \(terms["valid_from"] ?? "") – \(terms["valid_until"] ?? "")\n  \(accepted.joined(separator: "; "))"
}

struct ListAgreements: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the agreements you may see.")
    @OptionGroup var server: ServerOptions
    @Option(help: "proposed, scheduled, active, lapsed or withdrawn.") var status: String?
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        let answer = try await server.client().json(.GET, "/v1/agreements" + (status.map { "?status=\(QueryEncoding.encode($0))" } ?? ""))
        try emit(answer, json: json) { page in
            let items = (page as? [String: Any])?["items"] as? [Any] ?? []
            return (items.map(describe(agreement:)) + ["\(items.count) agreement(s)"]).joined(separator: "\n")
        }
    }
}

struct ShowAgreement: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one agreement and its earlier versions.")
    @OptionGroup var server: ServerOptions
    @Argument(help: "Agreement id.") var id: String
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        try emit(try await server.client().json(.GET, "/v1/agreements/\(id)"), json: json, summary: describe(agreement:))
    }
}

struct ProposeAgreement: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "propose", abstract: "Propose an agreement; both sides then accept it.")
    @OptionGroup var server: ServerOptions
    @Option(help: "The custodian organisation that pre-authorises.") var custodianOrg: String
    @Option(help: "The CSIRT team it authorises.") var csirtOrg: String
    @OptionGroup var terms: AgreementTermsOptions
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        let answer = try await server.client().json(.POST, "/v1/agreements",
                                                    body: ["custodian_org": custodianOrg, "csirt_org": csirtOrg, "terms": terms.json])
        try emit(answer, json: json, summary: describe(agreement:))
    }
}

struct ReviseAgreement: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revise", abstract: "New terms as the next version; both sides accept again.")
    @OptionGroup var server: ServerOptions
    @Argument(help: "Agreement id.") var id: String
    @Option(help: "The version you revise (the current one).") var version: Int
    @OptionGroup var terms: AgreementTermsOptions
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        let answer = try await server.client().json(.PUT, "/v1/agreements/\(id)", body: ["version": version, "terms": terms.json])
        try emit(answer, json: json, summary: describe(agreement:))
    }
}

struct AcceptAgreement: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "accept", abstract: "Accept a version for your side.")
    @OptionGroup var server: ServerOptions
    @Argument(help: "Agreement id.") var id: String
    @Option(help: "The version you accept.") var version: Int
    @Option(help: "custodian or csirt (admins, who may act for either, name one).") var side: String?
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        var body: [String: Any] = ["version": version]
        if let side { body["side"] = side }
        try emit(try await server.client().json(.POST, "/v1/agreements/\(id)/acceptances", body: body), json: json, summary: describe(agreement:))
    }
}

struct WithdrawAgreement: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "withdraw", abstract: "End an agreement for good.")
    @OptionGroup var server: ServerOptions
    @Argument(help: "Agreement id.") var id: String
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        try emit(try await server.client().json(.POST, "/v1/agreements/\(id)/withdrawal"), json: json, summary: describe(agreement:))
    }
}
