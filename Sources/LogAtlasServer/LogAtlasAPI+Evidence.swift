import Foundation
import LogAtlasCore
import OpenAPIRuntime

/// Evidence: streamed uploads, hand-over records, downloads and the chain of custody.
extension LogAtlasAPI {
    func uploadArtifact(_ input: Operations.UploadArtifact.Input) async throws -> Operations.UploadArtifact.Output {
        let body = switch input.body { case .binary(let body): body }
        let caller = try RequestPrincipal.required()
        let requestID = RequestID(try APIMapping.uuid(input.path.requestId, kind: "request"))
        let itemID = RequestItemID(try APIMapping.uuid(input.path.itemId, kind: "request item"))
        let expected = try input.headers.contentDigest.map(ContentDigest.sha256(fromHeader:))
        let artifact = try await evidence.upload(body, fileName: input.query.fileName, mediaType: input.query.mediaType, expectedSHA256: expected,
                                                 item: itemID, of: requestID, as: caller)
        return .created(.init(body: .json(APIMapping.artifact(artifact))))
    }

    func recordHandover(_ input: Operations.RecordHandover.Input) async throws -> Operations.RecordHandover.Output {
        let body = switch input.body { case .json(let body): body }
        let caller = try RequestPrincipal.required()
        let artifact = Artifact(requestID: RequestID(try APIMapping.uuid(input.path.requestId, kind: "request")),
                                itemID: RequestItemID(try APIMapping.uuid(input.path.itemId, kind: "request item")),
                                kind: .handover, fileName: body.fileName, size: body.size, sha256: body.sha256,
                                location: body.location, method: body.method, createdBy: caller.name, createdAt: clock())
        return .created(.init(body: .json(APIMapping.artifact(try await requests.record(artifact, as: caller)))))
    }

    func listArtifacts(_ input: Operations.ListArtifacts.Input) async throws -> Operations.ListArtifacts.Output {
        let id = RequestID(try APIMapping.uuid(input.path.requestId, kind: "request"))
        return .ok(.init(body: .json(try await requests.artifacts(of: id, as: try RequestPrincipal.required()).map(APIMapping.artifact))))
    }

    func downloadArtifact(_ input: Operations.DownloadArtifact.Input) async throws -> Operations.DownloadArtifact.Output {
        let caller = try RequestPrincipal.required()
        let artifact = try await requests.artifactForDownload(ArtifactID(try APIMapping.uuid(input.path.artifactId, kind: "artifact")),
                                                              of: RequestID(try APIMapping.uuid(input.path.requestId, kind: "request")), as: caller)
        guard let key = artifact.storageKey else { throw RequestError.notFound(kind: "artifact content", id: artifact.id.description) }
        let bytes = try await artifactStore.read(key)
        let base64 = ContentDigest.base64(ofHex: artifact.sha256)
        let name = (artifact.fileName ?? "\(artifact.id).bin").replacingOccurrences(of: "\"", with: "")
        return .ok(.init(headers: .init(contentDigest: "sha-256=:\(base64):", digest: "SHA-256=\(base64)",
                                        contentDisposition: "attachment; filename=\"\(name)\""),
                         body: .binary(HTTPBody(bytes, length: .known(bytes.size), iterationBehavior: .single))))
    }

    func setEvidenceRetention(_ input: Operations.SetEvidenceRetention.Input) async throws -> Operations.SetEvidenceRetention.Output {
        let caller = try RequestPrincipal.required()
        let body = switch input.body { case .json(let body): body }
        let request = try await requests.setRetention(of: RequestID(try APIMapping.uuid(input.path.requestId, kind: "request")),
                                                      days: body.days, legalHold: body.legalHold, now: clock(), as: caller)
        return .ok(.init(body: .json(APIMapping.retention(request.retention, policy: broker.retention))))
    }

    func getTeamEvidenceRetention(_ input: Operations.GetTeamEvidenceRetention.Input) async throws -> Operations.GetTeamEvidenceRetention.Output {
        let team = OrgID(input.path.orgId)
        let days = try await requests.teamRetention(of: team, as: try RequestPrincipal.required())
        return .ok(.init(body: .json(.init(org: team.rawValue, days: days ?? broker.retention.defaultDays, defaultPeriod: days == nil))))
    }

    func setTeamEvidenceRetention(_ input: Operations.SetTeamEvidenceRetention.Input) async throws -> Operations.SetTeamEvidenceRetention.Output {
        let team = OrgID(input.path.orgId)
        let body = switch input.body { case .json(let body): body }
        let days = try await requests.setTeamRetention(of: team, days: body.days, as: try RequestPrincipal.required())
        return .ok(.init(body: .json(.init(org: team.rawValue, days: days ?? broker.retention.defaultDays, defaultPeriod: days == nil))))
    }

    func custody(_ input: Operations.Custody.Input) async throws -> Operations.Custody.Output {
        let id = RequestID(try APIMapping.uuid(input.path.requestId, kind: "request"))
        let manifest = try await requests.custody(of: id, as: try RequestPrincipal.required(), now: clock())
        return .ok(.init(body: .json(APIMapping.custody(manifest))))
    }
}

/// RFC 9530 `Content-Digest` values.
enum ContentDigest {
    /// The SHA-256 in a `Content-Digest` header as lower-case hex. A header that names only other algorithms is
    /// refused: the server checks SHA-256 and would otherwise store a body whose digest the sender believes verified.
    static func sha256(fromHeader header: String) throws -> String {
        for member in header.split(separator: ",") {
            let parts = member.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0].lowercased() == "sha-256" else { continue }
            let value = parts[1]
            guard value.hasPrefix(":"), value.hasSuffix(":"), value.count > 2,
                  let data = Data(base64Encoded: String(value.dropFirst().dropLast())), data.count == 32 else {
                throw Problem(status: 400, title: "Bad Request", detail: "Content-Digest: expected sha-256=:BASE64: with a 32-byte digest",
                              errors: [.init(path: "Content-Digest", message: "malformed sha-256 value")])
            }
            return data.map { String(format: "%02x", $0) }.joined()
        }
        throw Problem(status: 400, title: "Bad Request", detail: "Content-Digest names no sha-256 value; this server verifies sha-256 only",
                      errors: [.init(path: "Content-Digest", message: "send sha-256=:BASE64: or leave the header out")])
    }

    static func base64(ofHex hex: String) -> String {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return Data(bytes).base64EncodedString()
    }
}
