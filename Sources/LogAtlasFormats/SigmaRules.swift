import Foundation
import LogAtlasCore
import Yams

/// Reads Sigma rules (the Sigma specification's rule format) from a folder such as a SigmaHQ checkout: every
/// `.yml`/`.yaml` file below it, one rule per file. A file that cannot be read is listed with its position and
/// reason and the rest of the pack is read on; `deprecated` and `unsupported` folders (and rules whose status says
/// so) are counted, not judged.
public enum SigmaRules {
    static let setAside: Set<String> = ["deprecated", "unsupported"]
    static let levels = Dictionary(uniqueKeysWithValues: SigmaRule.Level.allCases.map { ($0.rawValue, $0) })

    /// Every rule file below `folder`, in path order.
    public static func read(folder: URL) throws -> SigmaPack {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue,
              let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw FormatError(file: folder.path, problems: [FormatProblem(line: 1, column: 1, path: "", message: "not a folder of Sigma rules")])
        }
        let base = folder.standardizedFileURL.path
        var files: [(path: String, url: URL)] = []
        for case let url as URL in walker where ["yml", "yaml"].contains(url.pathExtension.lowercased()) {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let full = url.standardizedFileURL.path
            files.append((full.hasPrefix(base + "/") ? String(full.dropFirst(base.count + 1)) : full, url))
        }
        var pack = SigmaPack()
        for (path, url) in files.sorted(by: { $0.path < $1.path }) {
            guard let data = try? Data(contentsOf: url) else {
                pack.unreadable.append(UnreadableRule(file: path, line: 1, column: 1, reason: "cannot read the file"))
                continue
            }
            add(data, path: path, to: &pack)
        }
        return pack
    }

    /// Adds the rule file at `path` (relative to the pack): set aside when it sits in a `deprecated` or
    /// `unsupported` folder, read otherwise.
    public static func add(_ data: Data, path: String, to pack: inout SigmaPack) {
        if let folder = path.split(separator: "/").dropLast().first(where: { setAside.contains(String($0)) }) {
            pack.skipped[String(folder), default: 0] += 1
        } else {
            read(data, file: path, into: &pack)
        }
    }

    /// Reads one rule file into `pack`: its rule, its reason for being set aside, or why it cannot be read.
    public static func read(_ data: Data, file: String, into pack: inout SigmaPack) {
        do {
            let document = try YAMLDocument.compose(try FormatError.text(of: data, file: file), file: file)
            guard let document else { throw located(file, 1, 1, "the file holds no rule") }
            let rule = try rule(document, file: file)
            if let status = rule.status, setAside.contains(status) {
                pack.skipped[status, default: 0] += 1
            } else {
                pack.rules.append(rule)
            }
        } catch let error as FormatError {
            for problem in error.problems {
                pack.unreadable.append(UnreadableRule(file: file, line: problem.line, column: problem.column, reason: problem.description))
            }
        } catch {
            pack.unreadable.append(UnreadableRule(file: file, line: 1, column: 1, reason: "\(error)"))
        }
    }

    static func rule(_ document: Node, file: String) throws -> SigmaRule {
        guard let pairs = document.pairs else { throw located(file, document, "a rule is a mapping of fields") }
        var fields: [String: Node] = [:]
        for (key, value) in pairs { if let name = key.text { fields[name] = value } }
        func text(_ name: String) throws -> String? {
            guard let node = fields[name], !node.isNull else { return nil }
            guard let text = node.text else { throw located(file, node, "\(name): expected text") }
            return text
        }
        guard let title = try text("title"), !title.isEmpty else { throw located(file, document, "title: a rule needs a title") }
        let kind: SigmaRule.Kind = fields["correlation"] != nil ? .correlation : fields["filter"] != nil ? .filter : .detection
        var logsource: SigmaLogsource?
        if let node = fields["logsource"] {
            guard let parts = node.pairs else { throw located(file, node, "logsource: expected a mapping") }
            var values: [String: String] = [:]
            for (key, value) in parts { if let name = key.text, let text = value.text, !value.isNull { values[name] = text.lowercased() } }
            logsource = SigmaLogsource(product: values["product"], service: values["service"], category: values["category"])
        } else if kind == .detection {
            throw located(file, document, "logsource: a detection rule needs one")
        }
        if kind == .detection, fields["detection"] == nil { throw located(file, document, "detection: a detection rule needs one") }
        var level: SigmaRule.Level?
        if let name = try text("level") {
            guard let known = levels[name.lowercased()] else {
                throw located(file, fields["level"]!, "level: '\(name)' is not informational, low, medium, high or critical")
            }
            level = known
        }
        let tags = (fields["tags"]?.items ?? []).compactMap(\.text)
        let techniques = tags.compactMap { tag -> String? in
            let lower = tag.lowercased()
            guard lower.hasPrefix("attack.t"), lower.dropFirst(8).first?.isNumber == true else { return nil }
            return String(lower.dropFirst(7)).uppercased()
        }
        return SigmaRule(id: try text("id") ?? file, title: title, kind: kind, status: try text("status")?.lowercased(), level: level,
                         logsource: logsource, techniques: techniques, file: file, line: document.position.line)
    }

    static func located(_ file: String, _ node: Node, _ message: String) -> FormatError {
        located(file, node.position.line, node.position.column, message)
    }

    static func located(_ file: String, _ line: Int, _ column: Int, _ message: String) -> FormatError {
        FormatError(file: file, problems: [FormatProblem(line: line, column: column, path: "", message: message)])
    }
}
