import Foundation
import LogAtlasCore
import LogAtlasFormats
import OpenAPIRuntime

extension LogAtlasAPI {
    /// `POST /v1/detections/sigma`: the uploaded rule files, or one `.tar.gz` of them, judged against the inventory
    /// the caller may see.
    func sigmaReadiness(_ input: Operations.SigmaReadiness.Input) async throws -> Operations.SigmaReadiness.Output {
        let caller = try RequestPrincipal.required()
        let pack: SigmaPack
        switch input.body {
        case .multipartForm(let parts): pack = try await Self.pack(of: parts)
        case .applicationGzip(let archive): pack = try Self.pack(ofArchive: try await Data(collecting: archive, upTo: .max))
        }
        guard !pack.rules.isEmpty || !pack.unreadable.isEmpty || !pack.skipped.isEmpty else {
            throw Problem(status: 422, title: "Unprocessable Content", detail: "no rule files: send each as a part named 'rules', or one .tar.gz",
                          errors: [.init(path: "rules", message: "at least one rule file")])
        }
        let report = DetectionReadiness.evaluate(pack, in: try await inventory.export(as: caller), now: clock())
        switch input.query.format ?? .json {
        case .json: return .ok(.init(body: .json(APIMapping.detectionReadiness(report))))
        case .csv: return .ok(.init(body: .csv(HTTPBody(DetectionReport.csv(report)))))
        case .md: return .ok(.init(body: .textMarkdown(HTTPBody(DetectionReport.markdown(report)))))
        case .html: return .ok(.init(body: .html(HTTPBody(DetectionReport.html(report)))))
        }
    }

    private static func pack(of parts: MultipartBody<Operations.SigmaReadiness.Input.Body.MultipartFormPayload>) async throws -> SigmaPack {
        var pack = SigmaPack()
        do {
            for try await part in parts {
                switch part {
                case .rules(let file):
                    let name = file.filename ?? "rule-\(pack.rules.count + pack.unreadable.count + 1).yml"
                    SigmaRules.add(try await Data(collecting: file.payload.body, upTo: .max), path: name, to: &pack)
                case .undocumented(let other):
                    // Each part's bytes must be read before the next part; parts of other names are ignored.
                    for try await _ in other.body {}
                }
            }
        } catch {
            // The parts are parsed as they are read: a malformed body (a part without headers, a missing boundary)
            // surfaces here, and is the client's.
            throw Problem(status: 400, title: "Bad Request", detail: "the multipart/form-data body cannot be read: \(error)")
        }
        return pack
    }

    /// A damaged archive is a 400 naming what is wrong; one too large once decompressed a 413.
    private static func pack(ofArchive data: Data) throws -> SigmaPack {
        do {
            return try SigmaRules.read(archive: data, file: "request body")
        } catch let error as ArchiveTooLarge {
            throw Problem(status: 413, title: "Content Too Large", detail: "\(error); nothing was judged")
        } catch let error as FormatError {
            throw Problem(status: 400, title: "Bad Request", detail: error.problems.map(\.message).joined(separator: "; "))
        }
    }
}

/// The formats `logatlas detections` writes; JSON is the API's document, encoded as the server encodes it.
public enum DetectionReportFormat: String, CaseIterable, Sendable {
    case json, csv, md, html

    public func render(_ report: DetectionReadiness) throws -> String {
        switch self {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(APIMapping.detectionReadiness(report)), as: UTF8.self) + "\n"
        case .csv: return DetectionReport.csv(report)
        case .md: return DetectionReport.markdown(report)
        case .html: return DetectionReport.html(report)
        }
    }
}

/// Sigma rule readiness in the shape `openapi.yaml` declares (the CLI's JSON is the same document).
extension APIMapping {
    static func detectionReadiness(_ report: DetectionReadiness) -> Components.Schemas.DetectionReadiness {
        func logsource(_ source: SigmaLogsource?) -> Components.Schemas.SigmaLogsource? {
            source.map { .init(product: $0.product, category: $0.category, service: $0.service) }
        }
        func tally(_ tally: DetectionReadiness.Tally) -> Components.Schemas.DetectionTally {
            .init(id: tally.id, runnable: tally.runnable, slowerMedia: tally.slowerMedia, cannotRun: tally.cannotRun)
        }
        return .init(
            rules: report.rules.map { rule in
                .init(id: rule.id, title: rule.title, level: rule.level.flatMap { .init(rawValue: $0.rawValue) }, status: rule.status,
                      file: rule.file, line: rule.line, logsource: logsource(rule.logsource), techniques: rule.techniques,
                      logTypes: rule.logTypes, verdict: .init(rawValue: rule.verdict.rawValue)!, lookBackDays: rule.lookBackDays,
                      retrievalHours: rule.retrievalHours, sources: rule.sources, missingLogTypes: rule.missingLogTypes)
            },
            otherRules: report.otherRules.map { .init(id: $0.id, title: $0.title, kind: .init(rawValue: $0.kind.rawValue)!, file: $0.file, line: $0.line) },
            unreadable: report.unreadable.map { .init(file: $0.file, line: $0.line, column: $0.column, reason: $0.reason) },
            skipped: .init(additionalProperties: report.skipped), totals: .init(additionalProperties: report.totals),
            systems: report.systems.map(tally), orgs: report.orgs.map(tally),
            unlocks: report.unlocks.map { .init(logType: $0.logType, title: $0.title, rules: $0.rules, byLevel: .init(additionalProperties: $0.byLevel)) })
    }
}
