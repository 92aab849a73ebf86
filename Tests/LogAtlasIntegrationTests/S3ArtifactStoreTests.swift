import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import LogAtlasCore
import LogAtlasStore
import NIOCore
import Testing
import TestSupport

/// The S3 artifact store against a real S3-compatible server (moto), with path-style URLs and SigV4.
@Suite("S3 artifact store")
struct S3ArtifactStoreTests {
    /// A store on a fresh bucket.
    static func store() async throws -> (S3ArtifactStore, URL) {
        let bucket = try await MotoServer.shared.url().appendingPathComponent("evidence-\(UUID().uuidString.prefix(8).lowercased())")
        let store = S3ArtifactStore(bucketURL: bucket, accessKey: "test", secretKey: "test")
        try await store.createBucket()
        return (store, bucket)
    }

    /// Chunks of `count` pseudo-random bytes, 64 KiB at a time, optionally failing after `failAfter` bytes.
    struct Chunks: AsyncSequence, Sendable {
        let count: Int
        var failAfter: Int? = nil
        struct Interrupted: Error {}
        func makeAsyncIterator() -> Iterator { Iterator(count: count, failAfter: failAfter) }
        struct Iterator: AsyncIteratorProtocol {
            let count: Int
            let failAfter: Int?
            var sent = 0
            mutating func next() async throws -> ArraySlice<UInt8>? {
                if let failAfter, sent >= failAfter { throw Interrupted() }
                guard sent < count else { return nil }
                let size = Swift.min(65_536, count - sent)
                let chunk = ArraySlice((0..<size).map { UInt8(truncatingIfNeeded: (sent + $0) &* 31 &+ 7) })
                sent += size
                return chunk
            }
        }
        var all: [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }
    }

    static func collect(_ bytes: ArtifactBytes) async throws -> [UInt8] {
        var all: [UInt8] = []
        for try await chunk in bytes { all += chunk }
        return all
    }

    @Test("small and multipart uploads read back byte for byte with their SHA-256")
    func roundTrip() async throws {
        let (store, bucket) = try await Self.store()
        for size in [1_000, 20 << 20] {   // one PUT; three multipart parts
            let chunks = Chunks(count: size)
            let expected = SHA256.hash(data: chunks.all).map { String(format: "%02x", $0) }.joined()
            let blob = try await store.write(chunks, limit: 1 << 30, expectedSHA256: expected)
            #expect(blob.size == Int64(size))
            #expect(blob.sha256 == expected)
            #expect(try await Self.collect(try await store.read(blob.key)) == chunks.all)
            try await store.delete(blob.key)
        }
        #expect(try await Self.objects(in: bucket).isEmpty)
    }

    @Test("a digest mismatch, an oversize body or an interrupted upload leave no object and no open multipart upload")
    func refusalsLeaveNothing() async throws {
        let (store, bucket) = try await Self.store()
        await #expect(throws: RequestError.self) {
            _ = try await store.write(Chunks(count: 10 << 20), limit: 1 << 30, expectedSHA256: String(repeating: "0", count: 64))
        }
        await #expect(throws: RequestError.tooLarge(limit: 9 << 20)) {
            _ = try await store.write(Chunks(count: 20 << 20), limit: 9 << 20, expectedSHA256: nil)
        }
        await #expect(throws: Chunks.Interrupted.self) {
            _ = try await store.write(Chunks(count: 20 << 20, failAfter: 12 << 20), limit: 1 << 30, expectedSHA256: nil)
        }
        #expect(try await Self.objects(in: bucket).isEmpty)
        let uploads = try await Self.get(bucket.absoluteString + "?uploads", store: store)
        #expect(!uploads.contains("<Upload>"), "\(uploads)")
    }

    @Test("the filesystem store leaves nothing behind an interrupted upload either")
    func fileSystemInterrupted() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("la-fs-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = FileSystemArtifactStore(folder: folder)
        await #expect(throws: Chunks.Interrupted.self) {
            _ = try await store.write(Chunks(count: 5 << 20, failAfter: 3 << 20), limit: 1 << 30, expectedSHA256: nil)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        let blob = try await store.write(Chunks(count: 3 << 20), limit: 1 << 30, expectedSHA256: nil)
        #expect(try await Self.collect(try await store.read(blob.key)) == Chunks(count: 3 << 20).all)
    }

    static func objects(in bucket: URL) async throws -> [String] {
        let listing = try await get(bucket.absoluteString + "?list-type=2", store: nil)
        return listing.components(separatedBy: "<Key>").dropFirst().map { String($0.prefix { $0 != "<" }) }
    }

    static func get(_ url: String, store: S3ArtifactStore?) async throws -> String {
        let signer = S3ArtifactStore(bucketURL: URL(string: url)!, accessKey: "test", secretKey: "test")
        return try await signer.send("GET", URL(string: url)!, expect: 200)
    }
}

extension S3ArtifactStoreTests {
    @Test("the API stores evidence in the bucket when configured so: upload, digest check, download")
    func throughTheAPI() async throws {
        let (store, bucket) = try await Self.store()
        try await withTestApp(artifactStore: store) { world in
            let (id, items) = try await world.file(["firewall"])
            let item = items["dept-a"]!
            try await world.approve(id, item: item, as: "cus-a")
            let bytes = Chunks(count: 9 << 20).all   // two multipart parts
            let mismatch = try await world.send(.post, "/v1/requests/\(id)/items/\(item)/artifacts", as: "cus-a", bytes: bytes,
                                                headers: [HTTPField.Name("Content-Digest")!: "sha-256=:\(sha256Base64([0])):"])
            #expect(mismatch.status == 400)
            #expect(try await Self.objects(in: bucket).isEmpty)
            let upload = try await world.send(.post, "/v1/requests/\(id)/items/\(item)/artifacts", as: "cus-a", bytes: bytes,
                                              headers: [HTTPField.Name("Content-Digest")!: "sha-256=:\(sha256Base64(bytes)):"])
            #expect(upload.status == 201, "\(upload.text)")
            #expect(try await Self.objects(in: bucket).count == 1)
            let artifact = try #require(upload.json["id"] as? String)
            let download = try await world.send(.get, "/v1/requests/\(id)/artifacts/\(artifact)/content", as: "cyd")
            #expect(download.status == 200)
            #expect(Array(download.body) == bytes)
            #expect(download.headers[HTTPField.Name("Content-Digest")!] == "sha-256=:\(sha256Base64(bytes)):")
        }
    }
}
