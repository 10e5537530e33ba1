import Foundation
import Postgres
import Testing

private struct Boom: Error {}

@Suite struct PostgresConnectionTests {
    @Test func connectsFromURLAndConninfo() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        #expect(c.isHealthy)
        let components = try #require(URLComponents(string: TestDB.url))
        let conninfo = "host=\(components.host!) port=\(components.port!) user=\(components.user!) dbname=\(components.path.dropFirst())"
        let d = try PostgresConnection.connect(conninfo)
        #expect(try d.query("SELECT current_database()").first?.decode(0, as: String.self) == String(components.path.dropFirst()))
        d.close()
        #expect(!d.isHealthy)
        let error = #expect(throws: PostgresError.self) { try d.query("SELECT 1") }
        #expect(error?.code == .connectionClosed)
    }

    @Test func refusedConnectionFailsFast() {
        let start = Date()
        let error = #expect(throws: PostgresError.self) {
            try PostgresConnection.connect("postgresql://nobody@127.0.0.1:1/none")
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.isConnectionProblem == true)
        #expect(Date().timeIntervalSince(start) < 1)
    }

    @Test func silentServerHitsConnectTimeout() throws {
        // A listening socket that never answers: the TCP handshake succeeds, the startup reply never comes.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        #expect(bound == 0)
        #expect(listen(fd, 8) == 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = UInt16(bigEndian: address.sin_port)
        let start = Date()
        let error = #expect(throws: PostgresError.self) {
            try PostgresConnection.connect("postgresql://nobody@127.0.0.1:\(port)/none", connectTimeout: 2)
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(error?.code == .connectionFailed)
        #expect(elapsed >= 1.5 && elapsed < 4.5, "took \(elapsed) s")
    }

    @Test func serverErrorsKeepSQLStateButDescriptionLeaksNothing() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        try TestDB.withSchema(c) { _ in
            try c.execute("CREATE TABLE accounts (email text PRIMARY KEY)")
            try c.query("INSERT INTO accounts VALUES (\("secret@example.com"))")
            let error = #expect(throws: PostgresError.self) {
                try c.query("INSERT INTO accounts VALUES (\("secret@example.com"))")
            }
            let e = try #require(error)
            #expect(e.code == .server)
            #expect(e.sqlState == "23505")
            #expect(e.serverDetail?.contains("secret@example.com") == true)
            #expect(e.description == "database error (SQLSTATE 23505)")
            #expect(!e.description.contains("secret") && !e.description.contains("INSERT"))
            #expect(e.logDescription.contains("23505") && e.logDescription.contains("INSERT INTO accounts"))
            #expect(!e.isConnectionProblem)
            // The connection stays usable after a server error.
            #expect(c.isHealthy)
            #expect(try c.query("SELECT count(*) FROM accounts").first?.decode(0, as: Int.self) == 1)
        }
        let syntax = #expect(throws: PostgresError.self) { try c.query("SELEKT 1") }
        #expect(syntax?.sqlState == "42601")
        // A wrong number of binds is a client error, caught before execution, on first and cached use.
        for _ in 0..<2 {
            let binds = #expect(throws: PostgresError.self) { try c.query("SELECT $1::int8 + $2::int8", [1]) }
            #expect(binds?.code == .badQuery)
            #expect(binds?.isConnectionProblem == false)
        }
        #expect(try c.query("SELECT $1::int8 + $2::int8", [1, 2]).first?.decode(0, as: Int.self) == 3)
        #expect(c.isHealthy)
    }

    @Test func preparedStatementsAreCachedPerSQLText() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        for i in 0..<5 { #expect(try c.query("SELECT $1::int8 + 1", [i]).first?.decode(0, as: Int.self) == i + 1) }
        let count = try c.query("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", ["SELECT $1::int8 + 1"])
        #expect(try count.first?.decode(0, as: Int.self) == 1)
        // A statement first prepared inside a rolled-back transaction still works afterwards.
        _ = try? c.transaction { tx in
            try tx.query("SELECT $1::int8 * 3", [1])
            throw Boom()
        }
        #expect(try c.query("SELECT $1::int8 * 3", [2]).first?.decode(0, as: Int.self) == 6)
        // A statement deallocated behind our back is prepared again.
        try c.execute("DEALLOCATE ALL")
        #expect(try c.query("SELECT $1::int8 + 1", [41]).first?.decode(0, as: Int.self) == 42)
    }

    /// A query planned with its values is sent as the unnamed statement every time: never cached, so PostgreSQL
    /// plans it with each run's values; rows in text and binary as usual, and a wrong number of binds is an error.
    @Test func queriesPlannedWithTheirValuesAreNeverPrepared() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        let sql = "SELECT count(*)::int8 FROM generate_series(1, 100) g WHERE ($1::int8 IS NULL OR g <= $1)"
        for limit in [nil, 3, 50, nil, 7, 100, 1, nil] as [Int?] {
            var q = PostgresQuery(sql, binds: [limit])
            q.planWithValues = true
            #expect(try c.query(q).first?.decode(0, as: Int.self) == (limit ?? 100))
            var seen: Int64 = -1
            #expect(try c.queryBinary(q) { seen = try $0.int64(0) } == 1)
            #expect(seen == Int64(limit ?? 100))
        }
        #expect(try c.query("SELECT count(*)::int8 FROM pg_prepared_statements WHERE statement = $1", [sql]).first?.decode(0, as: Int.self) == 0)
        var wrong = PostgresQuery(sql, binds: [1, 2])
        wrong.planWithValues = true
        #expect(throws: PostgresError.self) { try c.query(wrong) }
        #expect(try c.query("SELECT 1::int8", []).first?.decode(0, as: Int.self) == 1)
    }

    @Test func executeRunsSeveralStatementsAndAffectedRowsAreReported() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        try TestDB.withSchema(c) { _ in
            try c.execute("CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 10)")
            let updated = try c.query("UPDATE t SET x = x + 1 WHERE x > \(5)")
            #expect(updated.affectedRows == 5)
            #expect(updated.isEmpty)
            let selected = try c.query("SELECT x FROM t ORDER BY x")
            #expect(selected.count == 10)
            #expect(try selected.map { try $0.decode(0, as: Int.self) } == [1, 2, 3, 4, 5, 7, 8, 9, 10, 11])
        }
    }

    @Test func transactionCommitsAndRollsBackOnThrow() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        try TestDB.withSchema(c) { _ in
            try c.execute("CREATE TABLE t (x int)")
            try c.transaction { try $0.query("INSERT INTO t VALUES (\(1))") }
            #expect(throws: Boom.self) {
                try c.transaction { tx in
                    try tx.query("INSERT INTO t VALUES (\(2))")
                    throw Boom()
                }
            }
            // A server error inside the body rolls back too.
            #expect(throws: PostgresError.self) {
                try c.transaction { tx in
                    try tx.query("INSERT INTO t VALUES (\(3))")
                    try tx.query("INSERT INTO t VALUES (\("not a number"))")
                }
            }
            // A swallowed error makes the server turn COMMIT into ROLLBACK: that must not look like success.
            let swallowed = #expect(throws: PostgresError.self) {
                try c.transaction { tx in
                    try tx.query("INSERT INTO t VALUES (\(4))")
                    _ = try? tx.query("SELECT 1/0")
                }
            }
            #expect(swallowed?.sqlState == "25P02")
            // Nested transactions are savepoints: the inner one rolls back alone.
            try c.transaction { tx in
                try tx.query("INSERT INTO t VALUES (\(5))")
                _ = try? tx.transaction { inner in
                    try inner.query("INSERT INTO t VALUES (\(6))")
                    throw Boom()
                }
            }
            let values = try c.query("SELECT x FROM t ORDER BY x").map { try $0.decode(0, as: Int.self) }
            #expect(values == [1, 5])
        }
    }

    @Test func copyInLoads100kRows() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        try TestDB.withSchema(c) { _ in
            try c.execute("CREATE TABLE bars (id int8, symbol text, price float8, note text)")
            let rows = try c.copyIn("COPY bars (id, symbol, price, note) FROM STDIN") { writer in
                for i in 0..<100_000 {
                    try writer.appendRow([String(i), "SYM\(i % 100)", String(Double(i) / 4), i % 1000 == 0 ? nil : "a\tb\nc\\d\re"])
                }
            }
            #expect(rows == 100_000)
            let summary = try #require(try c.query("""
                SELECT count(*), sum(id), count(note), max(price),
                       bool_and(note = E'a\\tb\\nc\\\\d\\re') FROM bars
                """).first)
            #expect(try summary.decode(0, as: Int.self) == 100_000)
            #expect(try summary.decode(1, as: Int.self) == 4_999_950_000)
            #expect(try summary.decode(2, as: Int.self) == 99_900)
            #expect(try summary.decode(3, as: Double.self) == 99_999.0 / 4)
            #expect(try summary.decode(4, as: Bool.self))
            // Raw pre-formatted lines.
            let raw = try c.copyIn("COPY bars (id, symbol) FROM STDIN") { writer in
                try writer.appendRaw { $0.append(contentsOf: "-1\tRAW\n-2\tRAW\n".utf8) }
            }
            #expect(raw == 2)
        }
    }

    /// Binary COPY: every field type the signal writer uses reads back as PostgreSQL's own text of it,
    /// NULLs included, across chunk boundaries (50,000 rows of about 60 bytes).
    @Test func binaryCopyInLoadsEveryTypeAsWritten() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        try TestDB.withSchema(c) { _ in
            try c.execute("CREATE TABLE t (i int8, n int4, x float8, b bool, s text, ts timestamptz, u uuid)")
            let id: [UInt8] = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]
            let rows = try c.copyInBinary("COPY t (i, n, x, b, s, ts, u) FROM STDIN (FORMAT binary)") { writer in
                for k in 0..<50_000 {
                    try writer.appendBinaryRow(fieldCount: 7) { r in
                        r.int8(Int64(k) - 25_000); r.int4(Int32(k % 7) - 3)
                        r.float8(k % 10 == 0 ? nil : Double(k) / 8)
                        r.bool(k % 2 == 0)
                        r.text(k % 3 == 0 ? nil : "é\t\\ \(k)\n")
                        r.timestamptz(unixSeconds: -250_000_000 + Int64(k) * 86_400)   // from 1962 on
                        r.uuid(id)
                    }
                }
            }
            #expect(rows == 50_000)
            let summary = try #require(try c.query("""
                SELECT count(*), sum(i), sum(n), count(x), max(x), count(*) FILTER (WHERE b), count(s),
                       bool_and(s = E'é\\t\\\\ ' || (i + 25000)::text || E'\\n'),
                       min(ts) = to_timestamp(-250000000), max(ts) = to_timestamp(-250000000 + 49999::int8 * 86400),
                       bool_and(u = '12345678-9abc-def0-0123-456789abcdef')
                FROM t
                """).first)
            #expect(try summary.decode(0, as: Int.self) == 50_000)
            #expect(try summary.decode(1, as: Int.self) == -25_000)
            #expect(try summary.decode(3, as: Int.self) == 45_000)
            #expect(try summary.decode(4, as: Double.self) == 49_999.0 / 8)
            #expect(try summary.decode(5, as: Int.self) == 25_000)
            #expect(try summary.decode(6, as: Int.self) == 33_333)
            for k in 7...10 { #expect(try summary.decode(k, as: Bool.self)) }
            #expect(try c.query("SELECT sum(n) FROM t").first?.decode(0, as: Int.self) == (0..<50_000).reduce(0) { $0 + $1 % 7 - 3 })
            // float8[]: empty, with NULLs, without; PostgreSQL's text of each is the array written.
            // A text field written straight into the row (its length set after), then a field after it.
            try c.execute("CREATE TABLE a (k int4, xs float8[], t text, z int4)")
            let arrays: [[Double?]] = [[], [nil], [1.5, nil, -0.1, 1e300, nil], [0.1640909887153016, 2, 3], [.infinity]]
            let loaded = try c.copyInBinary("COPY a (k, xs, t, z) FROM STDIN (FORMAT binary)") { writer in
                for (k, xs) in arrays.enumerated() {
                    try writer.appendBinaryRow(fieldCount: 4) { r in
                        r.int4(Int32(k)); r.float8Array(count: xs.count) { xs[$0] }
                        r.text { out in for _ in 0..<k * 100 { out.append(contentsOf: "é\n".utf8) } }
                        r.int4(-Int32(k))
                    }
                }
            }
            #expect(loaded == arrays.count)
            let texts = try c.query("SELECT xs::text, cardinality(xs) FROM a ORDER BY k").map { try $0.decode(0, as: String.self) }
            #expect(texts == ["{}", "{NULL}", "{1.5,NULL,-0.1,1e+300,NULL}", "{0.1640909887153016,2,3}", "{Infinity}"])
            let written = try c.query("SELECT t = repeat(E'é\\n', k * 100) AND z = -k FROM a ORDER BY k").map { try $0.decode(0, as: Bool.self) }
            #expect(written == Array(repeating: true, count: arrays.count))
            // A value the column cannot take is the server's error, and nothing is loaded.
            let bad = #expect(throws: PostgresError.self) {
                try c.copyInBinary("COPY t (n) FROM STDIN (FORMAT binary)") { writer in
                    try writer.appendBinaryRow(fieldCount: 1) { $0.int8(1) }   // 8 bytes for an int4
                }
            }
            #expect(bad?.code == .copyFailed)
            #expect(c.isHealthy)
            #expect(try c.query("SELECT count(*) FROM t").first?.decode(0, as: Int.self) == 50_000)
        }
    }

    @Test func copyInAbortsOnThrowAndReportsBadData() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        try TestDB.withSchema(c) { _ in
            try c.execute("CREATE TABLE t (x int)")
            #expect(throws: Boom.self) {
                try c.copyIn("COPY t FROM STDIN") { writer in
                    try writer.appendRow(["1"])
                    throw Boom()
                }
            }
            let bad = #expect(throws: PostgresError.self) {
                try c.copyIn("COPY t FROM STDIN") { writer in try writer.appendRow(["not a number"]) }
            }
            #expect(bad?.code == .copyFailed)
            #expect(bad?.sqlState == "22P02")
            #expect(c.isHealthy)
            #expect(try c.query("SELECT count(*) FROM t").first?.decode(0, as: Int.self) == 0)
            let wrong = #expect(throws: PostgresError.self) { try c.copyIn("SELECT 1") { _ in } }
            #expect(wrong?.code == .badQuery)
        }
    }

    @Test func listenNotifyRoundTrip() throws {
        let listener = try TestDB.connect()
        let sender = try TestDB.connect()
        defer { listener.close(); sender.close() }
        let channel = TestDB.unique("Chan nel")
        try listener.listen(channel)
        #expect(try listener.waitForNotifications(timeout: 0.1).isEmpty)
        let start = Date()
        try sender.notify(channel, payload: "hello 'world'")
        try sender.notify(channel, payload: "")
        var received: [PostgresNotification] = []
        while received.count < 2, Date().timeIntervalSince(start) < 5 {
            received += try listener.waitForNotifications(timeout: 5)
        }
        #expect(received.map(\.payload) == ["hello 'world'", ""])
        #expect(received.allSatisfy { $0.channel == channel && $0.pid == sender.backendPID })
        // Notifications sent in a rolled-back transaction never arrive.
        _ = try? sender.transaction { tx in
            try tx.notify(channel, payload: "rolled back")
            throw Boom()
        }
        #expect(try listener.waitForNotifications(timeout: 0.3).isEmpty)
    }
}
