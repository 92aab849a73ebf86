import ArgumentParser
import Foundation

struct ActionCardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "action-card", abstract: "Action cards: who acts for a system per incident type and severity (set them with `apply`).",
        subcommands: [ListActionCards.self, ShowActionCard.self])
}

struct ListActionCards: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the action cards you may see.")
    @OptionGroup var server: ServerOptions
    @Flag(help: "Print the JSON answer.") var json = false

    func run() async throws {
        try emit(try await server.client().json(.GET, "/v1/action-cards"), json: json) { page in
            let items = (page as? [String: Any])?["items"] as? [[String: Any]] ?? []
            return (items.map { card in
                "\(card["system"].map { "system \($0)" } ?? "org \(card["org"] ?? "") (defaults)")  v\(card["version"] ?? "")  "
                    + "\((card["entries"] as? [Any])?.count ?? 0) entr(ies), by \(card["updated_by"] ?? "") at \(card["updated_at"] ?? "")"
            } + ["\(items.count) card(s)"]).joined(separator: "\n")
        }
    }
}

struct ShowActionCard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "A system's card, resolved against its owner's defaults: printable Markdown or HTML, English or Japanese.",
        discussion: "logatlas action-card show public-web --format html --lang ja -o public-web-card.html")
    @OptionGroup var server: ServerOptions
    @Argument(help: "The system.") var system: String
    @Option(help: "md (default), html or json.") var format: String = "md"
    @Option(help: "en or ja.") var lang: String = "en"
    @Option(name: .shortAndLong, help: "Write to this file instead of printing.") var output: String?

    func run() async throws {
        guard ["md", "html", "json"].contains(format) else { throw ValidationError("--format is md, html or json") }
        guard ["en", "ja"].contains(lang) else { throw ValidationError("--lang is en or ja") }
        let path = "/v1/systems/\(QueryEncoding.encode(system))/action-card?format=\(format)&lang=\(lang)"
        let text = try await server.client().text(path)
        if let output {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output))
            print("wrote \(output)")
        } else {
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
    }
}
