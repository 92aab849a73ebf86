import Logging
import PostgresNIO

/// Statements are sent through these instead of `query`/`execute`: on a connection PostgreSQL has already closed they
/// fail at once with `DatabaseUnavailable` (a 503). postgres-nio 1.33.2 writes every statement to its channel without
/// a promise, so a statement written after the channel closed — PostgreSQL's FATAL 57P01 at a fast shutdown closes
/// idle-in-transaction connections between two statements of a unit of work — is dropped, and its caller waits
/// forever. The check and the write are not atomic, but the close they race is the one that happened while the
/// previous statement's rows were being read, not one in the microseconds between the check and the write.
extension PostgresConnection {
    @discardableResult
    func checkedQuery(_ query: PostgresQuery, logger: Logger, file: String = #fileID, line: Int = #line) async throws -> PostgresRowSequence {
        try ensureOpen()
        return try await self.query(query, logger: logger, file: file, line: line)
    }

    func checkedExecute<Statement: PostgresPreparedStatement, Row>(_ statement: Statement, logger: Logger)
        async throws -> AsyncThrowingMapSequence<PostgresRowSequence, Row> where Row == Statement.Row {
        try ensureOpen()
        return try await execute(statement, logger: logger)
    }

    func ensureOpen() throws {
        if isClosed { throw DatabaseUnavailable(reason: "PostgreSQL closed the connection") }
    }
}
