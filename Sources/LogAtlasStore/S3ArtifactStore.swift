import AsyncHTTPClient
import Crypto
import Foundation
import LogAtlasCore
import NIOCore

/// Artifacts in an S3-compatible bucket (path-style URLs, SigV4), so that replicas share evidence. Uploads go in
/// 8 MiB multipart parts; the upload is completed only after the size limit and digest are checked, and aborted
/// otherwise, so a failed or refused upload leaves no object behind.
public struct S3ArtifactStore: ArtifactStore {
    let bucketURL: URL
    let signer: SigV4
    let client: HTTPClient
    static let partSize = 8 << 20

    public init(bucketURL: URL, accessKey: String, secretKey: String, region: String = "us-east-1", client: HTTPClient = .shared) {
        self.bucketURL = bucketURL
        self.signer = SigV4(accessKey: accessKey, secretKey: secretKey, region: region)
        self.client = client
    }

    public func write<Chunks: AsyncSequence & Sendable>(_ chunks: Chunks, limit: Int64, expectedSHA256: String?) async throws -> StoredBlob
        where Chunks.Element == ArraySlice<UInt8> {
        let key = UUID().uuidString.lowercased()
        var meter = UploadMeter(limit: limit)
        var pending: [UInt8] = []
        var uploadID: String?
        var parts: [String] = []
        do {
            for try await chunk in chunks {
                try meter.add(chunk)
                pending.append(contentsOf: chunk)
                if pending.count >= Self.partSize {
                    if uploadID == nil { uploadID = try await startMultipart(key) }
                    parts.append(try await uploadPart(key, uploadID: uploadID!, number: parts.count + 1, bytes: pending))
                    pending.removeAll(keepingCapacity: true)
                }
            }
            // Checked before the upload is completed: a mismatch aborts it and leaves no object.
            let digest = try meter.digest(expected: expectedSHA256)
            if let uploadID {
                if !pending.isEmpty { parts.append(try await uploadPart(key, uploadID: uploadID, number: parts.count + 1, bytes: pending)) }
                try await completeMultipart(key, uploadID: uploadID, etags: parts)
            } else {
                _ = try await send("PUT", url(key), body: pending, expect: 200)
            }
            return StoredBlob(key: key, size: meter.size, sha256: digest)
        } catch {
            if let uploadID { _ = try? await send("DELETE", url(key, query: "uploadId=\(SigV4.encode(uploadID))"), expect: 204) }
            throw error
        }
    }

    public func read(_ key: String) async throws -> ArtifactBytes {
        let response = try await execute("GET", url(try checked(key)), body: [])
        guard response.status.code == 200 else {
            throw RequestError.notFound(kind: "artifact content", id: key)
        }
        let size = response.headers.first(name: "content-length").flatMap(Int64.init) ?? 0
        return ArtifactBytes(size: size, source: ResponseChunkSource(body: response.body))
    }

    public func delete(_ key: String) async throws {
        _ = try await send("DELETE", url(try checked(key)), expect: 204)
    }

    func startMultipart(_ key: String) async throws -> String {
        let body = try await send("POST", url(key, query: "uploads="), expect: 200)
        guard let id = Self.element("UploadId", in: body) else { throw S3Error(status: 200, message: "no UploadId in the answer") }
        return id
    }

    func uploadPart(_ key: String, uploadID: String, number: Int, bytes: [UInt8]) async throws -> String {
        let response = try await execute("PUT", url(key, query: "partNumber=\(number)&uploadId=\(SigV4.encode(uploadID))"), body: bytes)
        let answer = try await response.body.collect(upTo: 1 << 20)
        guard response.status.code == 200, let etag = response.headers.first(name: "etag") else {
            throw S3Error(status: Int(response.status.code), message: String(buffer: answer))
        }
        return etag
    }

    func completeMultipart(_ key: String, uploadID: String, etags: [String]) async throws {
        let xml = "<CompleteMultipartUpload>" + etags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\($0.element)</ETag></Part>" }.joined()
            + "</CompleteMultipartUpload>"
        let body = try await send("POST", url(key, query: "uploadId=\(SigV4.encode(uploadID))"), body: Array(xml.utf8), expect: 200)
        // S3 may answer 200 with an error document.
        if body.contains("<Error>") { throw S3Error(status: 200, message: body) }
    }

    /// Sends a request and returns the answer's body, throwing unless the status is `expect` (or 2xx for 200).
    public func send(_ method: String, _ url: URL, body: [UInt8] = [], expect: Int) async throws -> String {
        let response = try await execute(method, url, body: body)
        let text = String(buffer: try await response.body.collect(upTo: 4 << 20))
        let code = Int(response.status.code)
        guard code == expect || (expect == 200 && (200..<300).contains(code)) || (expect == 204 && code == 200) else {
            throw S3Error(status: code, message: text)
        }
        return text
    }

    func execute(_ method: String, _ url: URL, body: [UInt8]) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .init(rawValue: method)
        let hash = body.isEmpty ? SigV4.emptyPayloadHash : SigV4.hex(SHA256.hash(data: body))
        for (name, value) in signer.headers(method: method, url: url, payloadHash: hash, date: Date()) where name != "host" {
            request.headers.add(name: name, value: value)
        }
        if !body.isEmpty || method == "PUT" || method == "POST" {
            request.headers.add(name: "content-length", value: String(body.count))
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return try await client.execute(request, timeout: .minutes(5))
    }

    func url(_ key: String, query: String? = nil) -> URL {
        var text = bucketURL.absoluteString
        if !text.hasSuffix("/") { text += "/" }
        text += key
        if let query { text += "?\(query)" }
        return URL(string: text)!
    }

    func checked(_ key: String) throws -> String {
        guard UUID(uuidString: key) != nil else { throw RequestError.notFound(kind: "artifact content", id: key) }
        return key
    }

    static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex) else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
    }
}

/// An S3 error answer.
public struct S3Error: Error, CustomStringConvertible {
    public let status: Int
    public let message: String
    public var description: String { "S3 answered \(status): \(message.prefix(300))" }
}

/// Streams an HTTP response body chunk by chunk as the consumer asks. `ArtifactBytes` has one consumer that
/// reads sequentially, which is what makes the unchecked sendability sound.
final class ResponseChunkSource: ArtifactChunkSource, @unchecked Sendable {
    private var iterator: HTTPClientResponse.Body.AsyncIterator

    init(body: HTTPClientResponse.Body) { iterator = body.makeAsyncIterator() }

    func nextChunk() async throws -> ArraySlice<UInt8>? {
        try await iterator.next().map { ArraySlice($0.readableBytesView) }
    }
}

extension S3ArtifactStore {
    /// Creates the bucket (for set-up and tests); an existing bucket owned by the caller is fine.
    public func createBucket() async throws {
        let response = try await execute("PUT", bucketURL, body: [])
        let code = Int(response.status.code)
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard (200..<300).contains(code) || text.contains("BucketAlreadyOwnedByYou") else { throw S3Error(status: code, message: text) }
    }
}
