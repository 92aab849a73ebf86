import Foundation
import Hummingbird
import HummingbirdTesting
import LogAtlasCore
@testable import LogAtlasServer
import LogAtlasStore
import Logging
import ServiceLifecycle
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
            #expect(!text.contains("logatlas_readiness_score{"), "no stored gap analysis yet")

            // The latest stored gap analysis gives each policy and organisation its score (0…1).
            let report = try await world.send(.post, "/v1/gap-reports?policy=ir-baseline", as: "cyd")
            let percent = try #require(((report.json["by_org"] as? [String: Any])?["dept-a"] as? [String: Any])?["percent"] as? Double)
            let scraped = try await world.send(.get, "/metrics", as: nil).text
            let line = try #require(scraped.firstMatch(of: /logatlas_readiness_score\{policy="ir-baseline",org="dept-a"\} ([0-9.e-]+)/), "\(scraped)")
            let share = try #require(Double(line.output.1))
            #expect(abs(share * 100 - percent) < 0.051, "\(share) against \(percent) %")
        }
    }

    @Test func backgroundJobPassesAreCountedByOutcomeAndTimed() async throws {
        let metrics = ServiceMetrics()
        let passes = Mutex(0)
        let job = PeriodicJob(name: "probe", interval: .milliseconds(5), metrics: metrics, logger: .testApp) {
            struct Flaky: Error {}
            if passes.withLock({ $0 += 1; return $0 }) % 2 == 0 { throw Flaky() }
        }
        let running = Task { try await job.run() }
        while passes.withLock({ $0 }) < 6 { try await Task.sleep(for: .milliseconds(5)) }
        running.cancel()
        _ = try? await running.value
        let text = metrics.registry.emitToString()
        let ok = try #require(text.firstMatch(of: /logatlas_job_runs_total\{job="probe",outcome="ok"\} (\d+)/)?.output.1).flatMap { Int($0) }
        let failed = try #require(text.firstMatch(of: /logatlas_job_runs_total\{job="probe",outcome="failed"\} (\d+)/)?.output.1).flatMap { Int($0) }
        let count = try #require(text.firstMatch(of: /logatlas_job_duration_seconds_count\{job="probe"\} (\d+)/)?.output.1).flatMap { Int($0) }
        #expect(ok != nil && failed != nil && ok! >= 3 && failed! >= 3 && count == ok! + failed!, "\(text)")
    }

    @Test func outsideLoopbackMetricsNeedTheirToken() async throws {
        #expect(MetricsAccess.decide(.service(loopbackOnly: true), configuredToken: nil, presentedToken: nil) == .allowed)
        #expect(MetricsAccess.decide(.service(loopbackOnly: false), configuredToken: nil, presentedToken: "x") == .notServed)
        #expect(MetricsAccess.decide(.service(loopbackOnly: false), configuredToken: "s3cret-token", presentedToken: "s3cret-tokeN") == .tokenRequired)
        #expect(MetricsAccess.decide(.service(loopbackOnly: false), configuredToken: "s3cret-token", presentedToken: "s3cret-token") == .allowed)
        // A metrics port of its own: the service's port serves none, the metrics port is open unless a token is set.
        #expect(MetricsAccess.decide(.serviceWithSeparateMetricsPort, configuredToken: nil, presentedToken: nil) == .notServed)
        #expect(MetricsAccess.decide(.metricsPort, configuredToken: nil, presentedToken: nil) == .allowed)
        #expect(MetricsAccess.decide(.metricsPort, configuredToken: "s3cret-token", presentedToken: nil) == .tokenRequired)
        #expect(MetricsAccess.decide(.metricsPort, configuredToken: "s3cret-token", presentedToken: "s3cret-token") == .allowed)
        try await withTestDatabase { database in
            for (token, header, status) in [(nil, nil, 404), ("s3cret-token", nil, 401), ("s3cret-token", "Bearer wrong", 401),
                                            ("s3cret-token", "Bearer s3cret-token", 200)] as [(String?, String?, Int)] {
                let configuration = ServerConfiguration(host: "0.0.0.0", metricsToken: token)
                let router = try buildRouter(configuration: configuration, database: database, logger: .testApp)
                try await Application(router: router).test(.router) { client in
                    try await client.execute(uri: "/metrics", method: .get, headers: header.map { [.authorization: $0] } ?? [:]) { response in
                        #expect(Int(response.status.code) == status, "\(token ?? "-") \(header ?? "-")")
                    }
                }
            }
        }
    }

    /// `serve`'s pool counts the units of work holding a connection and those waiting for one, and `/metrics`
    /// exports both.
    @Test func thePoolCountsWorkHoldingAndWaitingForAConnection() async throws {
        var configuration = try await TestCluster.shared.freshDatabase()
        configuration.options.maximumConnections = 1
        let pool = ReplaceablePool(configuration: configuration, logger: Logger(label: "test"))
        let group = ServiceGroup(configuration: .init(services: [pool], logger: Logger(label: "test")))
        let running = Task { try await group.run() }
        let database = Database(pool: pool, acquireTimeout: .seconds(20))
        let (entered, enter) = AsyncStream.makeStream(of: Void.self)
        let (released, release) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await database.asOwner(actor: "test") { _ in
                enter.yield()
                for await _ in released {}
            }
        }
        for await _ in entered { break }
        let waiter = Task { try await database.checkAvailable() }
        for _ in 0..<200 where database.connectionsWaiting != 1 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(database.connectionsInUse == 1 && database.connectionsWaiting == 1)
        release.finish()
        try await holder.value
        try await waiter.value
        #expect(database.connectionsInUse == 0 && database.connectionsWaiting == 0)
        // Scraping reads the database too, so it runs once the pool is free again.
        let scraped = try await ServiceMetrics().exposition(database: database, now: Date())
        #expect(scraped.contains("logatlas_db_connections_in_use 0") && scraped.contains("logatlas_db_connections_waiting 0"), "\(scraped)")
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
