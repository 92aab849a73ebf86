import Foundation
import Hummingbird
import HummingbirdTesting
import LogAtlasCore
@testable import LogAtlasServer
import LogAtlasStore
import Logging
import Synchronization
import Testing
import TestSupport

/// #15: `/metrics` in Prometheus text format, by route template, with the figures PostgreSQL holds.
@Suite("Metrics")
struct MetricsTests {
    @Test func requestsAndOperationalFiguresAreExposedByRouteTemplate() async throws {
        let now = Mutex(Date())
        try await withTestApp(clock: { now.withLock { $0 } }) { world in
            let id = try #require(try await world.send(.get, "/v1/sources", as: "cyd").json["items"].flatMap { ($0 as? [[String: Any]])?.first?["id"] as? String })
            #expect(try await world.send(.get, "/v1/sources/\(id)", as: "cyd").status == 200)
            #expect(try await world.send(.get, "/v1/sources/\(UUID())", as: "cyd").status == 404)
            _ = try await world.file(["firewall"])
            now.withLock { $0 += 40 * 86_400 }   // past every due date of the filed item

            let reply = try await world.send(.get, "/metrics", as: nil)
            #expect(reply.status == 200 && reply.contentType?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = reply.text
            #expect(text.contains(#"logatlas_http_requests_total{method="GET",route="/v1/sources/{sourceId}",status="200"} 1"#), "\(text)")
            #expect(text.contains(#"logatlas_http_requests_total{method="GET",route="/v1/sources/{sourceId}",status="404"} 1"#))
            #expect(text.contains(#"logatlas_http_request_duration_seconds_bucket{method="GET",route="/v1/sources",status="200",le="+Inf"} 1"#))
            #expect(!text.contains(id), "route templates, never ids")
            #expect(text.contains(#"logatlas_items_overdue{priority="serious",org="dept-a"} 1"#), "\(text)")
            #expect(text.contains("logatlas_webhook_outbox_backlog "))
            #expect(text.split(separator: "\n").allSatisfy { $0.hasPrefix("#") || $0.hasPrefix("logatlas_") }, "every name is prefixed logatlas_")
        }
    }

    @Test func outsideLoopbackMetricsNeedTheirToken() async throws {
        #expect(MetricsAccess.decide(loopbackOnly: true, configuredToken: nil, presentedToken: nil) == .allowed)
        #expect(MetricsAccess.decide(loopbackOnly: false, configuredToken: nil, presentedToken: "x") == .notServed)
        #expect(MetricsAccess.decide(loopbackOnly: false, configuredToken: "s3cret-token", presentedToken: "s3cret-tokeN") == .tokenRequired)
        try await withTestDatabase { database in
            for (token, header, status) in [(nil, nil, 404), ("s3cret-token", nil, 401), ("s3cret-token", "Bearer wrong", 401),
                                            ("s3cret-token", "Bearer s3cret-token", 200)] as [(String?, String?, Int)] {
                let configuration = ServerConfiguration(host: "0.0.0.0", metricsToken: token)
                let router = try buildRouter(configuration: configuration, database: database, logger: Logger(label: "test"))
                try await Application(router: router).test(.router) { client in
                    try await client.execute(uri: "/metrics", method: .get, headers: header.map { [.authorization: $0] } ?? [:]) { response in
                        #expect(Int(response.status.code) == status, "\(token ?? "-") \(header ?? "-")")
                    }
                }
            }
        }
    }
}
