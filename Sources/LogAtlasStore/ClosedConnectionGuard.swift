import Logging
import PostgresNIO
import Synchronization

/// Statements are sent through these instead of `query`/`execute`: when PostgreSQL closes the connection, a statement
/// waiting for its answer fails at once with `DatabaseUnavailable` (a 503) instead of waiting forever.
///
/// postgres-nio 1.33.2 writes every statement to its channel without a write promise. A statement written just after
/// the channel closed — PostgreSQL's FATAL 57P01 at a fast shutdown closes connections idle in a transaction, between
/// two statements of a unit of work — never reaches the handler that would fail it, and its caller waits forever. So
/// each statement runs in a task of its own, and its caller waits for whichever comes first: that task's answer, or
/// the connection's close (`StatementWatch`). A statement the channel dropped leaves its task waiting on a dead
/// connection; one per such fault, not one per request.
extension PostgresConnection {
    @discardableResult
    func checkedQuery(_ query: PostgresQuery, logger: Logger, file: String = #fileID, line: Int = #line) async throws -> PostgresRowSequence {
        try await StatementWatch.shared.run(on: self) {
            try await self.query(query, logger: logger, file: file, line: line)
        }
    }

    /// A prepared statement's rows, read in full.
    func checkedExecute<Statement: PostgresPreparedStatement>(_ statement: Statement, logger: Logger) async throws -> [Statement.Row]
    where Statement.Row: Sendable {
        try await StatementWatch.shared.run(on: self) {
            var rows: [Statement.Row] = []
            for try await row in try await self.execute(statement, logger: logger) { rows.append(row) }
            return rows
        }
    }
}

/// The statements waiting for an answer on each open connection, failed together when the connection closes. One
/// close callback per connection, registered with its first statement and gone with the connection.
final class StatementWatch: Sendable {
    static let shared = StatementWatch()

    /// Per statement: fail it with `closed`.
    private typealias Waiters = [UInt64: @Sendable () -> Void]
    private struct State {
        var next: UInt64 = 0
        var connections: [ObjectIdentifier: Waiters] = [:]
    }

    private let state = Mutex(State())

    func run<T: Sendable>(on connection: PostgresConnection, _ statement: @escaping @Sendable () async throws -> T) async throws -> T {
        if connection.isClosed { throw Self.closed }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let answer = Answer(continuation)
            let ticket = watch(connection) { answer.resume(with: .failure(Self.closed)) }
            Task {
                do {
                    answer.resume(with: .success(try await statement()))
                } catch {
                    answer.resume(with: .failure(error))
                }
                self.forget(connection, ticket)
            }
        }
    }

    private func watch(_ connection: PostgresConnection, fail: @escaping @Sendable () -> Void) -> UInt64 {
        let id = ObjectIdentifier(connection)
        let (ticket, first) = state.withLock { state -> (UInt64, Bool) in
            state.next += 1
            let first = state.connections[id] == nil
            state.connections[id, default: [:]][state.next] = fail
            return (state.next, first)
        }
        // Runs at once when the connection is already closed.
        if first { connection.closeFuture.whenComplete { _ in self.closed(id) } }
        return ticket
    }

    private func forget(_ connection: PostgresConnection, _ ticket: UInt64) {
        state.withLock { state in _ = state.connections[ObjectIdentifier(connection)]?.removeValue(forKey: ticket) }
    }

    private func closed(_ id: ObjectIdentifier) {
        let waiters = state.withLock { $0.connections.removeValue(forKey: id) } ?? [:]
        for fail in waiters.values { fail() }
    }

    private static let closed = DatabaseUnavailable(reason: "PostgreSQL closed the connection")
}

/// A continuation resumed by the first of the statement's answer and the connection's close.
private final class Answer<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, any Error>?>

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(with result: Result<T, any Error>) {
        continuation.withLock { $0.take() }?.resume(with: result)
    }
}
