import Crypto
import Foundation

/// AWS Signature Version 4 for S3 requests (header-based, path-style addressing).
struct SigV4: Sendable {
    let accessKey: String
    let secretKey: String
    let region: String
    let service = "s3"

    /// SHA-256 of an empty payload.
    static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The headers to add to a request: `host`, `x-amz-date`, `x-amz-content-sha256` and `authorization`.
    func headers(method: String, url: URL, payloadHash: String, date: Date, extra: [String: String] = [:]) -> [String: String] {
        let (amzDate, day) = Self.timestamps(date)
        var headers = extra.reduce(into: [String: String]()) { $0[$1.key.lowercased()] = $1.value.trimmingCharacters(in: .whitespaces) }
        headers["host"] = Self.host(of: url)
        headers["x-amz-date"] = amzDate
        headers["x-amz-content-sha256"] = payloadHash
        let signed = headers.keys.sorted()
        let canonical = [method, Self.canonicalPath(url), Self.canonicalQuery(url),
                         signed.map { "\($0):\(headers[$0]!)\n" }.joined(), signed.joined(separator: ";"), payloadHash].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = ["AWS4-HMAC-SHA256", amzDate, scope, Self.hex(SHA256.hash(data: Data(canonical.utf8)))].joined(separator: "\n")
        var key = SymmetricKey(data: Data("AWS4\(secretKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Data(toSign.utf8), using: key))
        headers["authorization"] = "AWS4-HMAC-SHA256 Credential=\(accessKey)/\(scope), SignedHeaders=\(signed.joined(separator: ";")), Signature=\(signature)"
        return headers
    }

    static func timestamps(_ date: Date) -> (amzDate: String, day: String) {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let amzDate = formatter.string(from: date)
        return (amzDate, String(amzDate.prefix(8)))
    }

    static func host(of url: URL) -> String {
        guard let host = url.host else { return "" }
        if let port = url.port, !(url.scheme == "http" && port == 80), !(url.scheme == "https" && port == 443) { return "\(host):\(port)" }
        return host
    }

    static func canonicalPath(_ url: URL) -> String {
        let path = URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedPath ?? "/"
        return path.isEmpty ? "/" : path
    }

    static func canonicalQuery(_ url: URL) -> String {
        let items = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        return items.map { (encode($0.name), encode($0.value ?? "")) }.sorted { $0 < $1 }.map { "\($0)=\($1)" }.joined(separator: "&")
    }

    /// RFC 3986 unreserved characters stay; everything else is percent-encoded.
    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 { digest.map { String(format: "%02x", $0) }.joined() }
}
