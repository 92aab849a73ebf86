import Foundation
import LogAtlasCore

/// Stores an uploaded artifact: the one path by which evidence enters, for the API and the console alike. The
/// caller's right to deliver for the item is checked before a byte is read; the bytes stream into the artifact store
/// with their SHA-256 (checked against the sender's digest when given); the metadata is recorded under the caller.
struct EvidenceIntake: Sendable {
    let requests: any RequestRepository
    let artifactStore: any ArtifactStore
    let maxBytes: Int64
    let clock: @Sendable () -> Date

    func upload<Chunks: AsyncSequence & Sendable>(_ chunks: Chunks, fileName: String?, mediaType: String?, expectedSHA256: String?,
                                                   item: RequestItemID, of request: RequestID, as caller: Principal) async throws -> Artifact
        where Chunks.Element == ArraySlice<UInt8> {
        try await requests.authorizeEvidence(item: item, of: request, as: caller)
        let blob = try await artifactStore.write(chunks, limit: maxBytes, expectedSHA256: expectedSHA256)
        let artifact = Artifact(requestID: request, itemID: item, kind: .upload, fileName: fileName,
                                mediaType: mediaType ?? "application/octet-stream", size: blob.size, sha256: blob.sha256,
                                storageKey: blob.key, createdBy: caller.name, createdAt: clock())
        do {
            return try await requests.record(artifact, as: caller)
        } catch {
            // The metadata was refused (the item moved on meanwhile): do not keep orphaned bytes.
            try? await artifactStore.delete(blob.key)
            throw error
        }
    }
}
