import Foundation
import Hummingbird
import MultipartKit
import NIOCore
import NIOHTTP1

/// A file posted by the upload form without the page's script (`multipart/form-data`), read with MultipartKit's
/// parser as the body arrives: first the form's text fields before the file (the CSRF token), then the file's bytes as
/// a stream for the evidence intake, so a large file is never held in memory. Parts after the file are not read.
final class MultipartUpload: @unchecked Sendable {
    // @unchecked: one task uses it at a time — the handler reads the fields, then the evidence intake the file.
    enum Failure: Error { case malformed, fieldsTooLarge, noFile }

    /// The form's text fields before the file, by name.
    private(set) var fields: [String: String] = [:]
    /// The file's name as the browser sent it, if any.
    private(set) var fileName: String?

    private var body: RequestBody.AsyncIterator
    private let parser: MultipartParser
    private var headers = HTTPHeaders()
    private var value: [UInt8] = []
    private var inFile = false, fileStarted = false, fileDone = false, bodyDone = false
    private var pending: [ArraySlice<UInt8>] = []
    /// Text fields are small: a form whose fields before the file exceed this is refused.
    static let fieldLimit = 16 * 1024

    /// The boundary of a `multipart/form-data` content type, or nil for any other.
    static func boundary(of contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        let parameter = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.lowercased().hasPrefix("boundary=") }
        let boundary = parameter.map { String($0.dropFirst("boundary=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        return boundary.flatMap { (1...70).contains($0.utf8.count) ? $0 : nil }
    }

    init(_ body: RequestBody, boundary: String) {
        self.body = body.makeAsyncIterator()
        parser = MultipartParser(boundary: boundary)
        parser.onHeader = { [unowned self] name, value in headers.add(name: name, value: value) }
        parser.onBody = { [unowned self] buffer in
            guard !fileDone else { return }
            if !fileStarted { begin() }
            if inFile { pending.append(ArraySlice(buffer.readableBytesView)) } else { value += buffer.readableBytesView }
        }
        parser.onPartComplete = { [unowned self] in
            guard !fileDone else { return }
            if !fileStarted { begin() }
            if inFile {
                fileDone = true
            } else if let name = MultipartPart(headers: headers, body: ByteBuffer()).name {
                fields[name] = String(decoding: value, as: UTF8.self)
            }
            (headers, value, fileStarted) = (HTTPHeaders(), [], fileDone)
        }
    }

    /// A part's headers are complete when its first bytes (or its end) arrive: a part with a file name is the file.
    private func begin() {
        fileStarted = true
        let disposition = headers.first(name: "Content-Disposition") ?? ""
        if let name = Self.fileName(inDisposition: disposition) {
            inFile = true
            fileName = name
        }
    }

    /// The `filename` of a part's Content-Disposition. MultipartKit reads a part's `name` but keeps `filename`
    /// internal; browsers quote it and escape `"` as %22. A file input with no file chosen sends an empty name: none.
    static func fileName(inDisposition disposition: String) -> String? {
        disposition.range(of: #"filename="[^"]+""#, options: .regularExpression)
            .map { String(disposition[$0].dropFirst("filename=\"".count).dropLast()) }
    }

    /// A part of a small form read whole: its field name, file name (for a file) and bytes.
    struct Part {
        var name: String?
        var fileName: String?
        var bytes: [UInt8]
    }

    /// Every part of a `multipart/form-data` body already in memory (a form of several small files).
    static func parts(of body: ByteBuffer, boundary: String) throws -> [Part] {
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = [], headers = HTTPHeaders(), bytes: [UInt8] = []
        parser.onHeader = { name, value in headers.add(name: name, value: value) }
        parser.onBody = { buffer in bytes += buffer.readableBytesView }
        parser.onPartComplete = {
            parts.append(Part(name: MultipartPart(headers: headers, body: ByteBuffer()).name,
                              fileName: fileName(inDisposition: headers.first(name: "Content-Disposition") ?? ""), bytes: bytes))
            (headers, bytes) = (HTTPHeaders(), [])
        }
        do { try parser.execute(body) } catch { throw Failure.malformed }
        // The parser stops quietly where a cut body ends: a whole form ends with its closing boundary.
        let tail = String(decoding: body.readableBytesView.suffix(boundary.utf8.count + 8), as: UTF8.self)
        guard tail.contains("--\(boundary)--") else { throw Failure.malformed }
        return parts
    }

    /// Reads the body up to the file's first bytes; the text fields before it are then in `fields`.
    func readFields() async throws {
        while !inFile || (pending.isEmpty && !fileDone) {
            guard try await feed() else { break }
            if !inFile, fields.values.reduce(value.count, { $0 + $1.utf8.count }) > Self.fieldLimit { throw Failure.fieldsTooLarge }
        }
        guard inFile else { throw Failure.noFile }
    }

    /// Feeds the parser the next piece of the body; false at its end.
    private func feed() async throws -> Bool {
        guard !bodyDone, let buffer = try await body.next() else {
            bodyDone = true
            return false
        }
        do { try parser.execute(buffer) } catch { throw Failure.malformed }
        return true
    }

    /// The file's bytes as they arrive (after `readFields`).
    var file: FileBytes { FileBytes(upload: self) }

    struct FileBytes: AsyncSequence, Sendable {
        typealias Element = ArraySlice<UInt8>
        let upload: MultipartUpload

        struct AsyncIterator: AsyncIteratorProtocol {
            let upload: MultipartUpload
            mutating func next() async throws -> ArraySlice<UInt8>? { try await upload.nextFileChunk() }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(upload: upload) }
    }

    private func nextFileChunk() async throws -> ArraySlice<UInt8>? {
        while pending.isEmpty {
            if fileDone { return nil }
            // A body that ends inside the file is a broken upload, not a shorter file.
            guard try await feed() else { throw Failure.malformed }
        }
        return pending.removeFirst()
    }
}
