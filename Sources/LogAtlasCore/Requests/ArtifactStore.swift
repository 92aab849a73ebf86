import Foundation

/// Where evidence bytes live (a folder under the data directory, or an S3-compatible bucket).
public protocol ArtifactStore: Sendable {
    /// Streams `chunks` into a new blob, computing its SHA-256. The blob becomes visible only when this returns:
    /// a failure, a digest mismatch (`RequestError.digestMismatch`) or more than `limit` bytes (`RequestError.tooLarge`)
    /// leave nothing behind.
    func write<Chunks: AsyncSequence & Sendable>(_ chunks: Chunks, limit: Int64, expectedSHA256: String?) async throws -> StoredBlob
        where Chunks.Element == ArraySlice<UInt8>
    /// The blob's bytes, read on demand.
    func read(_ key: String) async throws -> ArtifactBytes
    /// Deletes the blob; deleting one that is already gone succeeds.
    func delete(_ key: String) async throws
}

/// A blob as stored.
public struct StoredBlob: Hashable, Sendable {
    public var key: String
    public var size: Int64
    public var sha256: String

    public init(key: String, size: Int64, sha256: String) {
        self.key = key
        self.size = size
        self.sha256 = sha256
    }
}

/// Pulls the next chunk of a blob; `nil` at the end.
public protocol ArtifactChunkSource: Sendable {
    func nextChunk() async throws -> ArraySlice<UInt8>?
}

/// A blob's bytes as an async sequence that reads only when the consumer asks (so a slow client throttles the disk).
public struct ArtifactBytes: AsyncSequence, Sendable {
    public typealias Element = ArraySlice<UInt8>
    public let size: Int64
    let source: any ArtifactChunkSource

    public init(size: Int64, source: any ArtifactChunkSource) {
        self.size = size
        self.source = source
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let source: any ArtifactChunkSource
        public mutating func next() async throws -> ArraySlice<UInt8>? { try await source.nextChunk() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: source) }
}
