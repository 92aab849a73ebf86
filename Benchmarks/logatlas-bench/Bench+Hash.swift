import ArgumentParser
import Crypto
import Foundation

extension Bench {
    /// `logatlas-bench hash --mib N`: swift-crypto's SHA-256 alone, in 1 MiB chunks — the ceiling of an upload
    /// or download that hashes every byte on one core.
    struct Hash: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Time SHA-256 (swift-crypto) over N MiB held in memory.")
        @Option(help: "MiB to hash.") var mib: Int = 1024

        func run() async throws {
            let chunk = [UInt8](repeating: 0x5a, count: 1 << 20)
            var hasher = SHA256()
            let start = ContinuousClock.now
            for _ in 0..<mib { chunk.withUnsafeBytes { hasher.update(bufferPointer: $0) } }
            _ = hasher.finalize()
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(String(format: "sha256 of %d MiB: %.3f s, %.0f MB/s", mib, seconds, Double(mib) / seconds))
        }
    }
}
