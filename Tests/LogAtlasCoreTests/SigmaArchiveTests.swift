import CompressNIO
import Foundation
import LogAtlasCore
import LogAtlasFormats
import NIOCore
import Testing

/// #17: a Sigma rule pack as one `.tar.gz`, as GNU tar writes it in each of its formats, reads as the folder does.
@Suite("Sigma rule packs as .tar.gz")
struct SigmaArchiveTests {
    /// A path longer than ustar's 100-byte name field, so that each format spells it its own way.
    static let longPath = "rules/windows/process_creation/" + String(repeating: "deep_folder/", count: 6)
        + "proc_creation_win_a_rule_with_a_name_as_long_as_some_real_ones.yml"

    /// `tar czf pack.tar.gz .` in the readiness tests' folder with one more rule at `longPath`, in `format`.
    static func archive(format: String) throws -> Data {
        let folder = try SigmaReadinessTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let long = folder.appendingPathComponent(longPath)
        try FileManager.default.createDirectory(at: long.deletingLastPathComponent(), withIntermediateDirectories: true)
        try SigmaReadinessTests.rule("55555555-0000-0000-0000-000000000001", "Long path", level: "low", logsource: "category: proxy")
            .write(to: long, atomically: true, encoding: .utf8)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("la-sigma-\(UUID().uuidString).tar.gz")
        defer { try? FileManager.default.removeItem(at: output) }
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "--format=\(format)", "-czf", output.path, "-C", folder.path, "."]
        try tar.run()
        tar.waitUntilExit()
        try #require(tar.terminationStatus == 0)
        return try Data(contentsOf: output)
    }

    @Test(arguments: ["gnu", "pax", "ustar"])
    func aPackReadsAsItsFolderDoes(format: String) throws {
        let archived = try SigmaRules.read(archive: try Self.archive(format: format), file: "pack.tar.gz")
        let folder = try SigmaReadinessTests.pack()
        #expect(archived.rules.map(\.file).filter { $0 != Self.longPath } == folder.rules.map(\.file))
        #expect(archived.rules.contains { $0.file == Self.longPath && $0.title == "Long path" }, "\(archived.rules.map(\.file))")
        #expect(archived.skipped == folder.skipped)
        #expect(archived.unreadable.map { "\($0.file):\($0.line):\($0.column)" } == folder.unreadable.map { "\($0.file):\($0.line):\($0.column)" })
    }

    @Test func whatIsNotAPackIsRefusedWithItsReason() throws {
        #expect(throws: FormatError.self) { try SigmaRules.read(archive: Data("title: x\n".utf8), file: "rule.yml") }
        #expect(throws: FormatError.self) { try SigmaRules.read(archive: Data(), file: "empty.tar.gz") }
        // A gzip stream cut short, which the decompressor itself passes.
        let whole = try Self.archive(format: "gnu")
        do {
            _ = try SigmaRules.read(archive: whole.prefix(whole.count - 10), file: "cut.tar.gz")
            Issue.record("a cut-off gzip stream was read")
        } catch let error as FormatError {
            #expect(error.problems.first?.message.contains("cut short") == true, "\(error)")
        }
        do {
            _ = try SigmaRules.read(archive: try Self.gzip(Data(repeating: 0x41, count: 2048)), file: "pack.tar.gz")
            Issue.record("gzip of text read as a tar archive")
        } catch let error as FormatError {
            #expect(error.problems.first?.message.contains("not a tar archive") == true, "\(error)")
        }
        // A pack cut off inside a member.
        var tar = try Self.gunzip(try Self.archive(format: "gnu"))
        tar = tar.prefix(tar.count / 2 / 512 * 512 + 100)
        do {
            _ = try SigmaRules.read(archive: try Self.gzip(tar), file: "pack.tar.gz")
            Issue.record("a cut-off tar archive was read")
        } catch let error as FormatError {
            #expect(error.problems.first?.message.contains("ends inside") == true, "\(error)")
        }
    }

    @Test func aPackLargerThanTheLimitOnceDecompressedIsRefused() throws {
        // 8 MiB of zeros compress to a few kilobytes: a gzip bomb in miniature.
        let bomb = try Self.gzip(Data(count: 8 << 20))
        #expect(bomb.count < 64 << 10)
        #expect(throws: ArchiveTooLarge.self) { try SigmaRules.read(archive: bomb, file: "bomb.tar.gz", limit: 1 << 20) }
        // Just past the limit too (the decompressor's buffers are rounded up, so the limit is checked on its output).
        #expect(throws: ArchiveTooLarge.self) { try SigmaRules.read(archive: try Self.gzip(Data(count: (1 << 20) + 1)), file: "b.tar.gz", limit: 1 << 20) }
    }

    static func gzip(_ data: Data) throws -> Data {
        var buffer = ByteBuffer(bytes: data)
        var compressed = try buffer.compress(with: .gzip)
        return Data(compressed.readBytes(length: compressed.readableBytes)!)
    }

    static func gunzip(_ data: Data) throws -> Data {
        var buffer = ByteBuffer(bytes: data)
        var plain = try buffer.decompress(with: .gzip)
        return Data(plain.readBytes(length: plain.readableBytes)!)
    }
}
