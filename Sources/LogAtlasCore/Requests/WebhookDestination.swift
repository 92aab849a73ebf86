import Foundation

/// An IPv4 or IPv6 network in CIDR notation, e.g. `10.20.0.0/16` or `fd00::/8`.
public struct IPRange: Sendable, Hashable, CustomStringConvertible {
    /// 4 or 16 bytes.
    public let network: [UInt8]
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let bytes = IPRange.bytes(of: parts[0]) else { return nil }
        let prefix = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
        guard let prefix, (0...bytes.count * 8).contains(prefix) else { return nil }
        network = bytes
        prefixLength = prefix
    }

    public var description: String { "\(IPRange.text(of: network))/\(prefixLength)" }

    /// Whether `address` (4 or 16 bytes) lies in this network.
    public func contains(_ address: [UInt8]) -> Bool {
        guard address.count == network.count else { return false }
        var remaining = prefixLength
        for (a, n) in zip(address, network) where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if a & mask != n & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// The bytes of an IPv4 or IPv6 address literal (brackets allowed), or nil.
    public static func bytes(of text: String) -> [UInt8]? {
        let literal = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        var v4 = in_addr()
        if inet_pton(AF_INET, literal, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, literal, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// The usual text of a 4- or 16-byte address.
    public static func text(of bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Where the service may send webhooks: never into the network it runs in (loopback, link-local — the cloud
/// metadata service —, private, unique-local, shared, multicast and reserved ranges), unless an administrator
/// allows a range (`LOGATLAS_WEBHOOK_ALLOW`). Otherwise a custodian's subscription would be a port scanner of
/// the internal network, reading each answer's status in its delivery log.
public enum WebhookDestination {
    static let internalRanges: [(range: IPRange, kind: String)] = [
        ("0.0.0.0/8", "unspecified"), ("10.0.0.0/8", "private"), ("100.64.0.0/10", "shared (carrier-grade NAT)"),
        ("127.0.0.0/8", "loopback"), ("169.254.0.0/16", "link-local"), ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"), ("192.168.0.0/16", "private"), ("198.18.0.0/15", "benchmarking"),
        ("224.0.0.0/4", "multicast"), ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"), ("::1/128", "loopback"), ("fc00::/7", "unique-local"), ("fe80::/10", "link-local"),
        ("ff00::/8", "multicast"), ("64:ff9b::/96", "NAT64"),
    ].map { (IPRange($0.0)!, $0.1) }

    /// Why `address` may not be a webhook destination, or nil when it may. IPv4-mapped IPv6 addresses are
    /// judged as the IPv4 address they carry.
    public static func refusal(of address: [UInt8], allowing allowed: [IPRange]) -> String? {
        if address.count == 16, address.prefix(10).allSatisfy({ $0 == 0 }), address[10] == 0xFF, address[11] == 0xFF {
            return refusal(of: Array(address.suffix(4)), allowing: allowed)
        }
        if allowed.contains(where: { $0.contains(address) }) { return nil }
        return internalRanges.first { $0.range.contains(address) }.map { "a \($0.kind) address" }
    }

    /// Why the URL's host may not be a destination, judged before any lookup: an address literal in a refused
    /// range, or a name that always means this machine. Names are resolved and judged again at delivery.
    public static func refusal(ofURL url: String, allowing allowed: [IPRange]) -> String? {
        guard let host = URL(string: url)?.host?.lowercased() else { return nil }
        if let bytes = IPRange.bytes(of: host) { return refusal(of: bytes, allowing: allowed) }
        if host == "localhost" || host.hasSuffix(".localhost") {
            return refusal(of: [127, 0, 0, 1], allowing: allowed)
        }
        return nil
    }
}
