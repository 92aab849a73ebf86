import Crypto
import Foundation
import LogAtlasCore
import _NIOFileSystem

/// Artifacts as files in one folder (by default `artifacts/` under the data folder). Writes are transactional:
/// the file appears under its name only once every byte is written and the digest checked.
public struct FileSystemArtifactStore: ArtifactStore {
    public let folder: URL
    /// Bytes gathered before each write to disk.
    static let writeChunk = 1 << 20

    public init(folder: URL) { self.folder = folder }

    public func write<Chunks: AsyncSequence & Sendable>(_ chunks: Chunks, limit: Int64, expectedSHA256: String?) async throws -> StoredBlob
        where Chunks.Element == ArraySlice<UInt8> {
        try await FileSystem.shared.createDirectory(at: FilePath(folder.path), withIntermediateDirectories: true)
        let key = UUID().uuidString.lowercased()
        let (size, digest) = try await FileSystem.shared.withFileHandle(forWritingAt: path(of: key), options: .newFile(replaceExisting: false)) { handle in
            var meter = UploadMeter(limit: limit)
            var pending: [UInt8] = []
            pending.reserveCapacity(Self.writeChunk)
            for try await chunk in chunks {
                try meter.add(chunk)
                pending.append(contentsOf: chunk)
                if pending.count >= Self.writeChunk {
                    try await handle.write(contentsOf: pending, toAbsoluteOffset: meter.size - Int64(pending.count))
                    pending.removeAll(keepingCapacity: true)
                }
            }
            if !pending.isEmpty { try await handle.write(contentsOf: pending, toAbsoluteOffset: meter.size - Int64(pending.count)) }
            // Throwing here (a digest mismatch) discards the file: nothing becomes visible.
            return (meter.size, try meter.digest(expected: expectedSHA256))
        }
        return StoredBlob(key: key, size: size, sha256: digest)
    }

    public func read(_ key: String) async throws -> ArtifactBytes {
        let url = try location(of: key)
        let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int64 ?? 0
        return ArtifactBytes(size: size, source: try FileChunkSource(url: url))
    }

    public func delete(_ key: String) async throws {
        let url = try location(of: key)
        // Deleting what is already gone succeeds, as in S3: the retention job may repeat a deletion.
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        try FileManager.default.removeItem(at: url)
    }

    func path(of key: String) -> FilePath { FilePath(folder.appendingPathComponent(key).path) }

    /// Keys are UUIDs this store made; anything else is refused so that no key can point outside the folder.
    func location(of key: String) throws -> URL {
        guard UUID(uuidString: key) != nil else { throw RequestError.notFound(kind: "artifact content", id: key) }
        return folder.appendingPathComponent(key)
    }
}

/// Reads a file in 1 MiB chunks as the consumer asks for them. Foundation's FileHandle closes itself when
/// released, so a client that disconnects mid-download leaks nothing.
final class FileChunkSource: ArtifactChunkSource, @unchecked Sendable {
    private let handle: Foundation.FileHandle
    private let lock = NSLock()

    init(url: URL) throws { handle = try Foundation.FileHandle(forReadingFrom: url) }

    /// Reads straight into the array the consumer receives (no intermediate Data).
    func nextChunk() async throws -> ArraySlice<UInt8>? {
        let descriptor = handle.fileDescriptor
        let bytes = try lock.withLock {
            try [UInt8](unsafeUninitializedCapacity: FileSystemArtifactStore.writeChunk) { buffer, count in
                var filled = 0
                while filled < buffer.count {
                    let got = read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
                    if got < 0, errno == EINTR { continue }
                    if got < 0 { throw CocoaError(.fileReadUnknown) }
                    if got == 0 { break }
                    filled += got
                }
                count = filled
            }
        }
        return bytes.isEmpty ? nil : ArraySlice(bytes)
    }
}
