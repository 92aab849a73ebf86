import ArgumentParser
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

/// Where the LogAtlas API is and who the caller is, for the commands that work through it (the broker's).
struct ServerOptions: ParsableArguments {
    @Option(help: "LogAtlas API base URL (env: LOGATLAS_URL).")
    var server: String = Environment.value("LOGATLAS_URL") ?? "http://127.0.0.1:8080"

    @Option(help: "Bearer token (env: LOGATLAS_TOKEN).")
    var token: String? = Environment.value("LOGATLAS_TOKEN")

    func client() throws -> APIClient {
        guard let token else { throw ValidationError("a token is needed: --token or LOGATLAS_TOKEN") }
        guard let base = URL(string: server), base.host != nil else { throw ValidationError("--server: not a URL: \(server)") }
        return APIClient(base: base, token: token)
    }
}

/// A small client of the LogAtlas REST API: JSON in and out, streamed uploads and downloads.
struct APIClient {
    let base: URL
    let token: String

    /// Sends a JSON request; returns the decoded JSON answer or throws the server's problem as one line.
    func json(_ method: HTTPMethod, _ path: String, body: Any? = nil) async throws -> Any {
        var request = request(method, path)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let data = Data(buffer: try await response.body.collect(upTo: 64 << 20))
        try Self.check(response, data)
        return data.isEmpty ? [:] : try JSONSerialization.jsonObject(with: data)
    }

    /// A GET answer as text (Markdown, HTML, CSV), or the server's problem as one line.
    func text(_ path: String) async throws -> String {
        let response = try await HTTPClient.shared.execute(request(.GET, path), timeout: .seconds(60))
        let data = Data(buffer: try await response.body.collect(upTo: 64 << 20))
        try Self.check(response, data)
        return String(decoding: data, as: UTF8.self)
    }

    /// Streams `file` as the body of a POST, with its SHA-256 in `Content-Digest` so that the server checks it.
    func upload(_ path: String, file: URL, digest: String?) async throws -> Any {
        var request = request(.POST, path)
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        if let digest { request.headers.add(name: "Content-Digest", value: "sha-256=:\(digest):") }
        let size = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int64 ?? 0
        request.body = .stream(FileChunks(url: file), length: .known(size))
        let response = try await HTTPClient.shared.execute(request, timeout: .hours(6))
        let data = Data(buffer: try await response.body.collect(upTo: 1 << 20))
        try Self.check(response, data)
        return try JSONSerialization.jsonObject(with: data)
    }

    /// Streams a GET answer into `file`; returns its SHA-256 (base64) and the `Content-Digest` the server sent.
    func download(_ path: String, to file: URL) async throws -> (computed: String, announced: String?, bytes: Int64) {
        let response = try await HTTPClient.shared.execute(request(.GET, path), timeout: .hours(6))
        guard response.status.code == 200 else {
            try Self.check(response, Data(buffer: try await response.body.collect(upTo: 1 << 20)))
            throw CommandFailure(description: "unexpected answer \(response.status.code)")
        }
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var hasher = SHA256()
        var bytes: Int64 = 0
        for try await buffer in response.body {
            buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            try handle.write(contentsOf: Data(buffer: buffer))
            bytes += Int64(buffer.readableBytes)
        }
        return (Data(hasher.finalize()).base64EncodedString(), response.headers.first(name: "Content-Digest"), bytes)
    }

    func request(_ method: HTTPMethod, _ path: String) -> HTTPClientRequest {
        var text = base.absoluteString
        if text.hasSuffix("/") { text.removeLast() }
        var request = HTTPClientRequest(url: text + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        return request
    }

    static func check(_ response: HTTPClientResponse, _ data: Data) throws {
        guard !(200..<300).contains(Int(response.status.code)) else { return }
        let problem = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        let detail = problem?["detail"] as? String ?? String(decoding: data.prefix(300), as: UTF8.self)
        throw CommandFailure(description: "\(response.status.code) \(problem?["title"] as? String ?? ""): \(detail)")
    }

    /// SHA-256 of a file, base64 (as Content-Digest wants it), read in 1 MiB chunks.
    static func sha256Base64(of file: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty { hasher.update(data: data) }
        return Data(hasher.finalize()).base64EncodedString()
    }
}

/// A file as an async sequence of 1 MiB buffers, read as the upload consumes them.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let url: URL

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle?
        mutating func next() async throws -> ByteBuffer? {
            guard let handle, let data = try handle.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
            return ByteBuffer(data: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: try? FileHandle(forReadingFrom: url)) }
}
