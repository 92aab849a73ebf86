import _CryptoExtras
import Crypto
import Foundation

/// Console passwords, hashed with scrypt (memory-hard) from swift-crypto. The stored string names its parameters,
/// `scrypt$ln$r$p$salt$hash` (salt and hash in base64), so that a later increase of the cost still verifies old
/// hashes. The password itself is never stored or logged.
public struct PasswordHasher: Sendable {
    /// log2 of the scrypt cost N; 2^15 with r = 8 takes 32 MiB and about a tenth of a second per hash.
    public var logRounds: Int
    public var blockSize: Int
    public var parallelism: Int

    public init(logRounds: Int = 15, blockSize: Int = 8, parallelism: Int = 1) {
        self.logRounds = logRounds
        self.blockSize = blockSize
        self.parallelism = parallelism
    }

    public static let minimumLength = 12

    /// The stored form of `password`, with a fresh random salt.
    public func hash(_ password: String) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let key = try Self.derive(password, salt: salt, logRounds: logRounds, blockSize: blockSize, parallelism: parallelism)
        return ["scrypt", String(logRounds), String(blockSize), String(parallelism), Data(salt).base64EncodedString(),
                Data(key).base64EncodedString()].joined(separator: "$")
    }

    /// Whether `password` matches `stored`; a malformed stored string matches nothing. Compares in constant time.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt", let logRounds = Int(parts[1]), (10...20).contains(logRounds),
              let blockSize = Int(parts[2]), (1...16).contains(blockSize), let parallelism = Int(parts[3]), (1...4).contains(parallelism),
              let salt = Data(base64Encoded: String(parts[4])), let expected = Data(base64Encoded: String(parts[5])), expected.count == 32,
              let key = try? derive(password, salt: Array(salt), logRounds: logRounds, blockSize: blockSize, parallelism: parallelism)
        else { return false }
        return zip(key, expected).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func derive(_ password: String, salt: [UInt8], logRounds: Int, blockSize: Int, parallelism: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: 1 << logRounds,
                                           blockSize: blockSize, parallelism: parallelism)
        return key.withUnsafeBytes { Array($0) }
    }
}
