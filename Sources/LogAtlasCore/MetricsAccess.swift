/// Who may read `/metrics`. On the service's own port: anyone when it listens on loopback only (the scraper runs on
/// the same host); otherwise only a caller presenting the configured metrics token — and nobody when none is
/// configured. With a separate metrics port (`--metrics-port`), the service's port serves no metrics and the metrics
/// port is open, for a network policy or firewall to restrict, unless a token is configured, which it then asks for.
public enum MetricsAccess: Equatable, Sendable {
    case allowed
    /// 401: a token is configured and the caller did not present it.
    case tokenRequired
    /// 404: the service is reachable from outside and no token is configured, so metrics are not served.
    case notServed

    /// Where a request for `/metrics` arrived.
    public enum Listener: Equatable, Sendable {
        /// The service's port, which also serves the metrics; `loopbackOnly` when it listens on loopback only.
        case service(loopbackOnly: Bool)
        /// The service's port while metrics have a port of their own.
        case serviceWithSeparateMetricsPort
        /// The metrics port.
        case metricsPort
    }

    public static func decide(_ listener: Listener, configuredToken: String?, presentedToken: String?) -> MetricsAccess {
        let token = configuredToken.flatMap { $0.isEmpty ? nil : $0 }
        switch listener {
        case .serviceWithSeparateMetricsPort:
            return .notServed
        case .service(loopbackOnly: true):
            return .allowed
        case .metricsPort where token == nil:
            return .allowed
        case .service(loopbackOnly: false) where token == nil:
            return .notServed
        case .service, .metricsPort:
            guard let token, let presentedToken, constantTimeEqual(Array(token.utf8), Array(presentedToken.utf8)) else { return .tokenRequired }
            return .allowed
        }
    }

    /// Compares without stopping at the first difference, so the time taken tells nothing about the token.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
