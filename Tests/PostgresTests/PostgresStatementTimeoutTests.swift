import Postgres
import Testing

@Suite struct PostgresStatementTimeoutTests {
    @Test func thePoolsStatementTimeoutCancelsLongStatementsAndTheLongConnectionAllowsThem() throws {
        let pool = PostgresPool(conninfo: TestDB.url, maxConnections: 1, acquireTimeout: 10, connectTimeout: 10,
                                statementTimeout: 0.2, longStatementTimeout: 30)
        defer { pool.shutdown() }
        func sleepQuery(_ c: PostgresConnection) throws { _ = try c.query("SELECT pg_sleep(0.6)") }
        // The server cancels it: SQLSTATE 57014 (query_canceled).
        let error = #expect(throws: PostgresError.self) { try pool.withConnection(sleepQuery) }
        #expect(error?.sqlState == "57014")
        // With the long timeout the same statement completes...
        try pool.withLongConnection(sleepQuery)
        // ...and the connection goes back with the pool's own timeout (one connection: it is the same one).
        let again = #expect(throws: PostgresError.self) { try pool.withConnection(sleepQuery) }
        #expect(again?.sqlState == "57014")
        let setting = try pool.withConnection { try $0.query("SHOW statement_timeout").first?.decode(0, as: String.self) }
        #expect(setting == "200ms")
    }
}
