/// Who may read `/metrics`: anyone when the service listens on loopback only (the scraper runs on the same host);
/// otherwise only a caller presenting the configured metrics token — and nobody when none is configured.
public enum MetricsAccess: Equatable, Sendable {
    case allowed
    /// 401: a token is configured and the caller did not present it.
    case tokenRequired
    /// 404: the service is reachable from outside and no token is configured, so metrics are not served.
    case notServed

    public static func decide(loopbackOnly: Bool, configuredToken: String?, presentedToken: String?) -> MetricsAccess {
        if loopbackOnly { return .allowed }
        guard let configuredToken, !configuredToken.isEmpty else { return .notServed }
        guard let presentedToken, constantTimeEqual(Array(configuredToken.utf8), Array(presentedToken.utf8)) else { return .tokenRequired }
        return .allowed
    }

    /// Compares without stopping at the first difference, so the time taken tells nothing about the token.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
