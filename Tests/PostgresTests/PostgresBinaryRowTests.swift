import Foundation
import Postgres
import Testing

@Suite struct PostgresBinaryRowTests {
    @Test func readsEveryTypeInBinaryFormat() throws {
        let conn = try TestDB.connect()
        defer { conn.close() }
        var seen = 0
        let rows = try conn.queryBinary(PostgresQuery("""
            SELECT 42::int2, -7::int4, 9007199254740993::int8, 0.1::float8, 1.5::float4, 'héllo'::text, 'v'::varchar,
                   true, '1969-12-31 23:59:59.5+00'::timestamptz, '2024-03-01 14:30:00+00'::timestamptz, NULL::float8, $1::text
            """, binds: ["bound ' value"])) { (row: PostgresBinaryRow) throws in
            seen += 1
            #expect(try row.int64(0) == 42)
            #expect(try row.int64(1) == -7)
            #expect(try row.int64(2) == 9_007_199_254_740_993)
            #expect(try row.double(3) == 0.1)
            #expect(try row.double(4) == 1.5)
            #expect(try row.double(2) == 9_007_199_254_740_992)   // widened
            #expect(try row.string(5) == "héllo")
            #expect(try row.string(6) == "v")
            #expect(try row.bool(7))
            #expect(try row.unixSeconds(8) == -1)                 // toward the past
            #expect(try row.unixSeconds(9) == 1_709_303_400)
            #expect(row.isNull(10))
            #expect(throws: PostgresError.self) { try row.double(10) }
            #expect(throws: PostgresError.self) { try row.string(0) }
            #expect(throws: PostgresError.self) { try row.int64(12) }
            #expect(try row.string(11) == "bound ' value")
        }
        #expect(rows == 1 && seen == 1)
    }

    @Test func visitsManyRowsAndSharesTheStatementCache() throws {
        let conn = try TestDB.connect()
        defer { conn.close() }
        let q = PostgresQuery("SELECT g::int8, g * 0.5::float8 FROM generate_series(1, $1::int) g", binds: [10_000])
        var sum = 0.0
        let visited = try conn.queryBinary(q) { row in sum += try row.double(1) }
        #expect(visited == 10_000)
        let expected: Double = 0.5 * 10_000 * 10_001 / 2
        #expect(sum == expected)
        // The same SQL through the text path reuses the prepared statement and agrees.
        let text = try conn.query(q)
        #expect(text.count == 10_000)
        #expect(try text[9_999].decode(1, as: Double.self) == 5_000)
        #expect(throws: PostgresError.self) { try conn.queryBinary(PostgresQuery("SELECT * FROM no_such_table")) { _ in } }
        #expect(try conn.query("SELECT 1", []).count == 1)   // still usable after a server error
    }
}
