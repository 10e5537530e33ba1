import Foundation
import Postgres
import Testing

@Suite struct PostgresPoolTests {
    @Test func concurrentLoadStaysWithinBounds() throws {
        // A generous connect timeout: this test is about bounds, and the shared 2-core machine is often overloaded.
        let pool = PostgresPool(conninfo: TestDB.url, maxConnections: 4, acquireTimeout: 10, connectTimeout: 10)
        defer { pool.shutdown() }
        let failures = Locked<[String]>([])
        let maxOpen = Locked(0)
        let sum = Locked(0)
        let pids = Locked<Set<Int32>>([])
        TestDB.onThreads(16) { thread in
            for i in 0..<50 {
                do {
                    let value = try pool.withConnection { c in
                        pids.withLock { _ = $0.insert(c.backendPID) }
                        return try c.query("SELECT $1::int8 * 2", [thread * 1000 + i]).first!.decode(0, as: Int.self)
                    }
                    sum.withLock { $0 += value }
                    let open = pool.statistics.open
                    maxOpen.withLock { $0 = max($0, open) }
                } catch {
                    failures.withLock { $0.append((error as? PostgresError)?.logDescription ?? "\(error)") }
                }
            }
        }
        #expect(failures.current.isEmpty)
        let expected = (0..<16).reduce(0) { acc, t in acc + (0..<50).reduce(0) { $0 + 2 * (t * 1000 + $1) } }
        #expect(sum.current == expected)
        #expect(maxOpen.current <= 4)
        let stats = pool.statistics
        #expect(stats.open <= 4 && stats.inUse == 0 && stats.waiting == 0 && stats.idle == stats.open)
        // Connections are reused, not opened per query.
        #expect(pids.current.count <= 4)
    }

    @Test func acquireTimesOutWhenExhausted() throws {
        let pool = PostgresPool(conninfo: TestDB.url, maxConnections: 1, acquireTimeout: 0.5)
        defer { pool.shutdown() }
        let start = Date()
        let error = #expect(throws: PostgresError.self) {
            try pool.withConnection { _ in
                try pool.withConnection { _ in () }
            }
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(error?.code == .poolTimeout)
        #expect(error?.isConnectionProblem == true)
        #expect(elapsed >= 0.45 && elapsed < 2, "took \(elapsed) s")
        // The held connection went back to the pool and is usable again.
        #expect(try pool.withConnection { try $0.query("SELECT 1").count } == 1)
        #expect(pool.statistics.waiting == 0)
    }

    @Test func waitsTimeoutsAndConnectFailuresAreReported() throws {
        let events = Locked<[PostgresPool.Event]>([])
        let pool = PostgresPool(conninfo: TestDB.url, maxConnections: 1, acquireTimeout: 0.3,
                                onEvent: { e in events.withLock { $0.append(e) } })
        defer { pool.shutdown() }
        _ = try? pool.withConnection { _ in try pool.withConnection { _ in () } }
        #expect(events.current == [.waited, .timedOut])
        let dead = PostgresPool(conninfo: "postgresql://nobody@127.0.0.1:1/none", maxConnections: 1,
                                onEvent: { e in events.withLock { $0.append(e) } })
        defer { dead.shutdown() }
        _ = try? dead.withConnection { _ in () }
        #expect(events.current == [.waited, .timedOut, .connectFailed])
    }

    @Test func waiterGetsConnectionReleasedByAnotherThread() throws {
        let pool = PostgresPool(conninfo: TestDB.url, maxConnections: 1, acquireTimeout: 5)
        defer { pool.shutdown() }
        let order = Locked<[String]>([])
        TestDB.onThreads(2) { i in
            if i == 0 {
                try? pool.withConnection { c in
                    order.withLock { $0.append("holder") }
                    _ = try c.query("SELECT pg_sleep(0.3)")
                }
            } else {
                Thread.sleep(forTimeInterval: 0.1)
                do {
                    try pool.withConnection { _ in order.withLock { $0.append("waiter") } }
                } catch {
                    order.withLock { $0.append("waiter failed: \(error)") }
                }
            }
        }
        #expect(order.current == ["holder", "waiter"])
    }

    @Test func brokenConnectionIsReplaced() throws {
        let pool = PostgresPool(conninfo: TestDB.url, maxConnections: 1, acquireTimeout: 2)
        defer { pool.shutdown() }
        let firstPID = try pool.withConnection { $0.backendPID }
        // Kill the pooled connection's backend from outside, as a server restart or an admin would.
        let admin = try TestDB.connect()
        defer { admin.close() }
        #expect(try admin.query("SELECT pg_terminate_backend(\(firstPID))").first?.decode(0, as: Bool.self) == true)
        Thread.sleep(forTimeInterval: 0.2)
        // The idle check notices the dead connection; the caller gets a fresh one without seeing an error.
        let secondPID = try pool.withConnection { c in
            try c.query("SELECT pg_backend_pid()").first!.decode(0, as: Int32.self)
        }
        #expect(secondPID != firstPID)
        #expect(pool.statistics.open == 1)
    }

    @Test func connectionThatBreaksDuringBodyIsDiscarded() throws {
        let pool = PostgresPool(conninfo: TestDB.url, maxConnections: 2, acquireTimeout: 2)
        defer { pool.shutdown() }
        let error = #expect(throws: PostgresError.self) {
            try pool.withConnection { c in
                try c.query("SELECT pg_terminate_backend(pg_backend_pid())")
            }
        }
        #expect(error?.isConnectionProblem == true)
        #expect(pool.statistics.open == 0)
        #expect(try pool.withConnection { try $0.query("SELECT 1").count } == 1)
    }

    @Test func leftoverTransactionIsRolledBackBeforeReuse() throws {
        let pool = PostgresPool(conninfo: TestDB.url, maxConnections: 1, acquireTimeout: 2)
        defer { pool.shutdown() }
        try pool.withConnection { try $0.execute("BEGIN; CREATE TEMP TABLE leftover (x int)") }
        let status = try pool.withConnection { c in
            try c.query("SELECT to_regclass('pg_temp.leftover') IS NULL").first!.decode(0, as: Bool.self)
        }
        #expect(status)
    }

    @Test func poolTransactionRollsBackOnThrow() throws {
        let pool = PostgresPool(conninfo: TestDB.url, maxConnections: 2)
        defer { pool.shutdown() }
        let table = TestDB.unique("pooltx")
        try pool.withConnection { try $0.execute("CREATE TABLE \(table) (x int)") }
        defer { _ = try? pool.withConnection { try $0.execute("DROP TABLE \(table)") } }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try pool.transaction { c in
                try c.query("INSERT INTO \(unescaped: table) VALUES (\(1))")
                throw Boom()
            }
        }
        try pool.transaction { c in try c.query("INSERT INTO \(unescaped: table) VALUES (\(2))") }
        let values = try pool.withConnection { c in
            try c.query("SELECT x FROM \(unescaped: table)").map { try $0.decode(0, as: Int.self) }
        }
        #expect(values == [2])
    }

    @Test func deadServerFailsFastAndPingSaysNo() {
        let pool = PostgresPool(conninfo: "postgresql://nobody@127.0.0.1:1/none", maxConnections: 2, acquireTimeout: 2)
        defer { pool.shutdown() }
        let start = Date()
        let error = #expect(throws: PostgresError.self) { try pool.withConnection { _ in () } }
        #expect(error?.code == .connectionFailed)
        #expect(error?.isConnectionProblem == true)
        #expect(error?.description == "database unavailable")
        #expect(Date().timeIntervalSince(start) < 1)
        #expect(pool.statistics.open == 0)
        #expect(pool.ping(timeout: 0.5) == false)
    }

    @Test func pingAnswersWithinItsTimeout() throws {
        let pool = PostgresPool(conninfo: TestDB.url, maxConnections: 1, acquireTimeout: 5)
        defer { pool.shutdown() }
        #expect(pool.ping())
        // With the only connection busy, ping gives up after its own timeout instead of the pool's.
        let start = Date()
        let busy = try pool.withConnection { _ in pool.ping(timeout: 0.3) }
        #expect(busy == false)
        #expect(Date().timeIntervalSince(start) < 1.5)
    }

    @Test func queryTimeoutDropsTheConnectionInsteadOfHanging() throws {
        let pool = PostgresPool(conninfo: TestDB.url, maxConnections: 2, acquireTimeout: 2, queryTimeout: 0.3)
        defer { pool.shutdown() }
        let start = Date()
        let error = #expect(throws: PostgresError.self) {
            try pool.withConnection { try $0.query("SELECT pg_sleep(5)") }
        }
        #expect(Date().timeIntervalSince(start) < 1.5)
        #expect(error?.code == .connectionClosed)
        #expect(error?.isConnectionProblem == true)
        #expect(pool.statistics.open == 0)
        // Fast queries are unaffected, and the pool carries on with a new connection.
        #expect(try pool.withConnection { try $0.query("SELECT pg_sleep(0.05), 1").count } == 1)
    }

    @Test func shutdownRefusesNewWork() throws {
        let pool = PostgresPool(conninfo: TestDB.url, maxConnections: 2)
        _ = try pool.withConnection { try $0.query("SELECT 1") }
        pool.shutdown()
        #expect(pool.statistics.open == 0)
        let error = #expect(throws: PostgresError.self) { try pool.withConnection { _ in () } }
        #expect(error?.code == .poolClosed)
    }
}
