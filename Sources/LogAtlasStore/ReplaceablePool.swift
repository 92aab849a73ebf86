import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The connection pool `serve` runs, replaced by a fresh one when PostgreSQL is back while the pool is still waiting
/// out PostgresNIO's reconnection back-off. That back-off (100 ms × 1.25ⁿ per failed attempt, up to a minute) is not
/// configurable: after a 30 s outage the next attempt may be 7 s away, after a few minutes a whole minute.
/// `Database` asks for a replacement only while it is answering 503 and none of its work holds a connection, so a
/// pool that is merely busy is never replaced; a replaced pool is shut down after in-flight calls had time to end.
public final class ReplaceablePool: Service, Sendable {
    private struct State {
        var client: PostgresClient
        var task: Task<Void, Never>?
        var retired: [Task<Void, Never>] = []
        var stopped = false
    }

    private let configuration: PostgresClient.Configuration
    private let logger: Logger
    private let state: Mutex<State>
    private let replacing = Mutex(false)
    /// Units of work of `Database` that hold one of this pool's connections now…
    let inUse = Atomic<Int>(0)
    /// …and those waiting for one (at most `acquireTimeout` each).
    let waiting = Atomic<Int>(0)

    public init(configuration: PostgresClient.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        state = Mutex(State(client: PostgresClient(configuration: configuration, backgroundLogger: logger)))
    }

    /// The pool to lease from now.
    public var client: PostgresClient { state.withLock { $0.client } }

    /// Drives the current pool (and any replacement) until the service group shuts down, then stops them all.
    public func run() async {
        state.withLock { state in
            let client = state.client
            state.task = Task { await client.run() }
        }
        try? await gracefulShutdown()
        let tasks = state.withLock { state in
            state.stopped = true
            return state.retired + [state.task].compactMap { $0 }
        }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    /// Starts a fresh pool and, when it hands out a connection within `timeout`, makes it the pool. Returns whether
    /// it did; `false` when PostgreSQL still does not answer, or another replacement is under way.
    func replace(within timeout: Duration) async -> Bool {
        guard replacing.withLock({ busy in defer { busy = true }; return !busy }) else { return false }
        defer { replacing.withLock { $0 = false } }
        let candidate = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let task = Task { await candidate.run() }
        guard (try? await Self.withConnection(candidate, within: timeout) { _ in }) != nil else {
            task.cancel()
            return false
        }
        let (swapped, old) = state.withLock { state -> (Bool, Task<Void, Never>?) in
            guard !state.stopped else { return (false, nil) }
            let old = state.task
            state.client = candidate
            state.task = task
            if let old { state.retired.append(old) }
            return (true, old)
        }
        guard swapped else {
            task.cancel()
            return false
        }
        logger.notice("PostgreSQL answers again; the connection pool still waiting to retry was replaced")
        // Calls that took the old pool just before the swap get time to finish before it is shut down.
        Task {
            try? await Task.sleep(for: .seconds(30))
            old?.cancel()
        }
        return true
    }

    /// Runs `body` with a connection of `client` leased within `timeout`, or throws `NoConnection` when none came.
    /// postgres-nio's lease waits as long as it takes (a pool whose connections PostgreSQL just closed waits out its
    /// reconnection back-off), so a child task leases and hands the connection over, holding the lease until `body`
    /// is done; when the time is up first, the child is cancelled, which withdraws the lease.
    static func withConnection<Result>(_ client: PostgresClient, within timeout: Duration,
                                       _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let (leased, handOver) = AsyncStream.makeStream(of: PostgresConnection.self)
        let (done, release) = AsyncStream.makeStream(of: Never.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { handOver.finish() }
                try await client.withConnection { connection in
                    handOver.yield(connection)
                    handOver.finish()
                    for await _ in done {}
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                handOver.finish()
            }
            defer {
                release.finish()
                group.cancelAll()
            }
            var connections = leased.makeAsyncIterator()
            guard let connection = await connections.next() else { throw NoConnection(timeout: timeout) }
            return try await body(connection)
        }
    }

    /// No connection of the pool within the time allowed: PostgreSQL is down, or every connection is busy.
    struct NoConnection: Error {
        let timeout: Duration
    }
}
