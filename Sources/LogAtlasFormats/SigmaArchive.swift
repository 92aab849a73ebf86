import CompressNIO
import Foundation
import LogAtlasCore
import NIOCore

/// A Sigma rule pack as one `.tar.gz` — GitHub's archive of a SigmaHQ release, or `tar czf pack.tar.gz rules/` —
/// read like a folder: every regular `.yml`/`.yaml` member, in path order, through `SigmaRules.add`.
extension SigmaRules {
    /// The most a pack may hold once decompressed: a larger one, such as a gzip bomb, is refused without being
    /// unpacked further.
    public static let archiveLimit = 64 << 20

    /// The rules of a gzip-compressed tar archive named `file` (in problems).
    public static func read(archive data: Data, file: String, limit: Int = archiveLimit) throws -> SigmaPack {
        var pack = SigmaPack()
        for member in try TarMembers.read(try gunzip(data, file: file, limit: limit), file: file).sorted(by: { $0.path < $1.path })
        where ["yml", "yaml"].contains((member.path as NSString).pathExtension.lowercased()) {
            add(member.data, path: member.path, to: &pack)
        }
        return pack
    }

    static func gunzip(_ data: Data, file: String, limit: Int) throws -> [UInt8] {
        try Gzip.decompress(data, file: file, limit: limit, what: "gzip-compressed tar archive")
    }

    static func archiveProblem(_ file: String, _ message: String) -> FormatError {
        FormatError(file: file, problems: [FormatProblem(line: 1, column: 1, path: "", message: message)])
    }
}

/// gzip, through compress-nio.
public enum Gzip {
    /// The bytes `data` inflates to, at most `limit` (else `ArchiveTooLarge`); a damaged or truncated stream is a
    /// `FormatError` at 1:1 of `file` saying it is not a valid `what`.
    public static func decompress(_ data: Data, file: String, limit: Int, what: String = "gzip-compressed file") throws -> [UInt8] {
        // compress-nio sizes its output buffers from the input's size, so an empty input would never get one.
        guard !data.isEmpty else { throw SigmaRules.archiveProblem(file, "the archive is empty") }
        var buffer = ByteBuffer(bytes: data)
        var inflated: ByteBuffer
        do {
            // `maxSize` bounds what is allocated (buffers are rounded up, so a little past `limit`); the limit itself
            // is checked on what came out.
            inflated = try buffer.decompress(with: .gzip, maxSize: limit)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw ArchiveTooLarge(limit: limit)
        } catch {
            throw SigmaRules.archiveProblem(file, "not a \(what) (\(error))")
        }
        guard inflated.readableBytes <= limit else { throw ArchiveTooLarge(limit: limit) }
        // compress-nio returns what it inflated from a stream cut short; gzip's trailer ends with the size of the
        // uncompressed data (mod 2^32), which a stream that ended early does not match.
        let trailer = data.suffix(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard data.count >= 18, trailer == UInt32(truncatingIfNeeded: inflated.readableBytes) else {
            throw SigmaRules.archiveProblem(file, "not a \(what) (the stream is cut short or damaged)")
        }
        return inflated.readBytes(length: inflated.readableBytes) ?? []
    }
}

/// A rule pack that decompresses to more than `limit` bytes.
public struct ArchiveTooLarge: Error, CustomStringConvertible {
    public let limit: Int
    public var description: String { "the archive holds more than \(limit) bytes once decompressed" }
}

/// The regular files of a tar archive (POSIX ustar, with GNU long names and pax `path` records, as GNU tar and
/// bsdtar write them). Directories, links and devices are passed over; a header whose checksum does not add up or a
/// member cut short is an error.
enum TarMembers {
    struct Member {
        let path: String
        let data: Data
    }

    static func read(_ bytes: [UInt8], file: String) throws -> [Member] {
        var members: [Member] = []
        var offset = 0, longName: String?
        while offset < bytes.count {
            guard offset + 512 <= bytes.count else {
                throw SigmaRules.archiveProblem(file, "the tar archive ends inside a header at byte \(offset)")
            }
            let header = bytes[offset..<offset + 512]
            if header.allSatisfy({ $0 == 0 }) { break }
            guard checksumMatches(header), let size = octal(header, 124, 12) else {
                throw SigmaRules.archiveProblem(file, "not a tar archive: the header at byte \(offset) is damaged")
            }
            let start = offset + 512
            guard start + size <= bytes.count else {
                throw SigmaRules.archiveProblem(file, "the tar archive ends inside the member at byte \(offset)")
            }
            let content = Data(bytes[start..<start + size])
            offset = start + (size + 511) / 512 * 512
            switch header[header.startIndex + 156] {
            case UInt8(ascii: "L"):   // GNU: the next member's long name
                longName = text(content[...])
            case UInt8(ascii: "x"):   // pax: the next member's attributes
                longName = paxPath(content) ?? longName
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
                members.append(Member(path: clean(longName ?? name(header)), data: content))
                longName = nil
            default:
                longName = nil
            }
        }
        return members
    }

    /// `prefix/name` of a ustar header (GNU tar's own format keeps other fields where ustar has the prefix).
    private static func name(_ header: ArraySlice<UInt8>) -> String {
        let name = text(field(header, 0, 100))
        let ustar = Array(field(header, 257, 8)) == Array("ustar\u{0}00".utf8)
        let prefix = ustar ? text(field(header, 345, 155)) : ""
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    private static func clean(_ path: String) -> String {
        path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }

    private static func field(_ header: ArraySlice<UInt8>, _ at: Int, _ length: Int) -> ArraySlice<UInt8> {
        header[header.startIndex + at..<header.startIndex + at + length]
    }

    private static func text<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func octal(_ header: ArraySlice<UInt8>, _ at: Int, _ length: Int) -> Int? {
        let digits = text(field(header, at, length)).trimmingCharacters(in: .whitespaces)
        guard digits.allSatisfy({ ("0"..."7").contains($0) }) else { return nil }
        return digits.isEmpty ? 0 : Int(digits, radix: 8)
    }

    /// The header's bytes add up to its checksum field, which counts as eight spaces.
    private static func checksumMatches(_ header: ArraySlice<UInt8>) -> Bool {
        guard let stored = octal(header, 148, 8) else { return false }
        let sum = header.indices.reduce(0) { sum, index in
            let relative = index - header.startIndex
            return sum + ((148..<156).contains(relative) ? 32 : Int(header[index]))
        }
        return sum == stored
    }

    /// The `path` record of a pax extended header (`"<length> path=<value>\n"` records).
    private static func paxPath(_ content: Data) -> String? {
        for record in text(content).split(separator: "\n") {
            guard let space = record.firstIndex(of: " ") else { continue }
            let pair = record[record.index(after: space)...]
            if pair.hasPrefix("path=") { return String(pair.dropFirst(5)) }
        }
        return nil
    }
}
