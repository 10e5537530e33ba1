import Foundation
import Postgres
import Testing

@Suite struct PostgresTypeTests {
    @Test func integersRoundTrip() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        let row = try #require(try c.query("SELECT $1::int8, $2::int4, $3::int8, $4::int2, $5::int8",
                                           [Int.max, Int32.min, Int64.min, Int16(-7), 0]).first)
        #expect(try row.decode(0, as: Int.self) == Int.max)
        #expect(try row.decode(1, as: Int32.self) == Int32.min)
        #expect(try row.decode(2, as: Int64.self) == Int64.min)
        #expect(try row.decode(3, as: Int16.self) == -7)
        #expect(try row.decode(4, as: Int.self) == 0)
    }

    @Test(arguments: [0.1, -1.5e-300, 1e300, 123456.789, Double.pi, 0, Double.infinity, -Double.infinity,
                      Double.leastNonzeroMagnitude])
    func doublesRoundTripExactly(_ value: Double) throws {
        let c = try TestDB.connect()
        defer { c.close() }
        let row = try #require(try c.query("SELECT $1::float8", [value]).first)
        #expect(try row.decode(0, as: Double.self) == value)
    }

    @Test func nanRoundTrips() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        let row = try #require(try c.query("SELECT $1::float8, 'NaN'::float8 = $1::float8", [Double.nan]).first)
        #expect(try row.decode(0, as: Double.self).isNaN)
        #expect(try row.decode(1, as: Bool.self))
    }

    @Test func textBoolUUIDJSONRoundTrip() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        let text = "héllo\t\"world\"\n\\ 😀 '; DROP TABLE x; --"
        let uuid = UUID()
        let json = PostgresJSON(#"{"a": [1, 2.5, "x"], "b": null}"#)
        let row = try #require(try c.query("SELECT $1::text, $2::bool, $3::bool, $4::uuid, $5::jsonb, $6::json",
                                           [text, true, false, uuid, json, json]).first)
        #expect(try row.decode(0, as: String.self) == text)
        #expect(try row.decode(1, as: Bool.self) == true)
        #expect(try row.decode(2, as: Bool.self) == false)
        #expect(try row.decode(3, as: UUID.self) == uuid)
        #expect(try row.decode(4, as: PostgresJSON.self).text == #"{"a": [1, 2.5, "x"], "b": null}"#)
        #expect(try row.decode(5, as: PostgresJSON.self) == json)
    }

    @Test func timestamptzRoundTripsWithMicroseconds() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        let dates = [Date(timeIntervalSince1970: 1_700_000_000.123456), Date(timeIntervalSince1970: 0),
                     Date(timeIntervalSince1970: -86_400 * 365 * 80 + 0.5), Date(timeIntervalSince1970: 4_102_444_800.000001)]
        for date in dates {
            let row = try #require(try c.query("SELECT $1::timestamptz, extract(epoch FROM $1::timestamptz)::float8", [date]).first)
            let decoded = try row.decode(0, as: Date.self)
            #expect(abs(decoded.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.000_001)
            #expect(abs(try row.decode(1, as: Double.self) - date.timeIntervalSince1970) < 0.000_001)
        }
    }

    @Test func timestampsInOtherZonesAndTypesDecode() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        try c.execute("SET TimeZone TO 'Asia/Kolkata'")
        let row = try #require(try c.query("""
            SELECT '2024-03-01 12:00:00.5+00'::timestamptz, '2024-03-01 12:00:00'::timestamp, '2024-03-01'::date,
                   'infinity'::timestamptz
            """).first)
        let expected = Date(timeIntervalSince1970: 1_709_294_400.5)
        #expect(row.text(0) == "2024-03-01 17:30:00.5+05:30")
        #expect(try row.decode(0, as: Date.self) == expected)
        #expect(try row.decode(1, as: Date.self) == Date(timeIntervalSince1970: 1_709_294_400))
        #expect(try row.decode(2, as: Date.self) == Date(timeIntervalSince1970: 1_709_251_200))
        #expect(try row.decode(3, as: Date.self) == .distantFuture)
    }

    @Test func byteaRoundTripsAllByteValues() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        let bytes = (0...255).map(UInt8.init) + [0, 0, 255]
        let row = try #require(try c.query("SELECT $1::bytea, length($1::bytea), ''::bytea", [bytes]).first)
        #expect(try row.decode(0, as: [UInt8].self) == bytes)
        #expect(try row.bytes(0) == bytes)
        #expect(try row.decode(1, as: Int.self) == 259)
        #expect(try row.decode(2, as: [UInt8].self) == [])
    }

    @Test func nullsBindAndDecodeAsNilForEveryType() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        let binds: [(any PostgresEncodable)?] = [Int?.none, Int32?.none, Int64?.none, Double?.none, String?.none,
                                                Bool?.none, Date?.none, UUID?.none, PostgresJSON?.none, [UInt8]?.none, nil]
        let row = try #require(try c.query("""
            SELECT $1::int8, $2::int4, $3::int8, $4::float8, $5::text, $6::bool, $7::timestamptz, $8::uuid,
                   $9::jsonb, $10::bytea, $11::text
            """, binds).first)
        for i in 0..<11 { #expect(row.isNull(i)) }
        #expect(try row.decode(0, as: Int?.self) == nil)
        #expect(try row.decode(1, as: Int32?.self) == nil)
        #expect(try row.decode(2, as: Int64?.self) == nil)
        #expect(try row.decode(3, as: Double?.self) == nil)
        #expect(try row.decode(4, as: String?.self) == nil)
        #expect(try row.decode(5, as: Bool?.self) == nil)
        #expect(try row.decode(6, as: Date?.self) == nil)
        #expect(try row.decode(7, as: UUID?.self) == nil)
        #expect(try row.decode(8, as: PostgresJSON?.self) == nil)
        #expect(try row.decode(9, as: [UInt8]?.self) == nil)
        #expect(try row.bytes(9) == nil)
        let error = #expect(throws: PostgresError.self) { try row.decode(0, as: Int.self) }
        #expect(error?.code == .decoding)
        #expect(error?.isConnectionProblem == false)
        // A present optional decodes as .some.
        let some = try #require(try c.query("SELECT $1::int8", [Int?.some(5)]).first)
        #expect(try some.decode(0, as: Int?.self) == 5)
    }

    @Test func arraysBindForAny() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        let strings = ["a", "b,c", "d\"e", "f\\g", "NULL", "", "{x}"]
        let row = try #require(try c.query("""
            SELECT $1::text[], cardinality($1::text[]), 'b,c' = ANY($1::text[]), 5 = ANY($2::int8[]), $3::float8[]
            """, [strings, [Int64(1), 5, -3], [1.5, -0.25, Double.infinity]]).first)
        #expect(try row.decode(0, as: [String].self) == strings)
        #expect(try row.decode(1, as: Int.self) == strings.count)
        #expect(try row.decode(2, as: Bool.self))
        #expect(try row.decode(3, as: Bool.self))
        #expect(try row.decode(4, as: [Double].self) == [1.5, -0.25, .infinity])
        let empty = try #require(try c.query("SELECT cardinality($1::text[])", [[String]()]).first)
        #expect(try empty.decode(0, as: Int.self) == 0)
    }

    @Test func decodingByNameAndErrors() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        let result = try c.query("SELECT 1::int4 AS one, 'x'::text AS letter")
        #expect(result.columns == ["one", "letter"])
        let row = try #require(result.first)
        #expect(try row.decode("one", as: Int.self) == 1)
        #expect(try row.decode("letter", as: String.self) == "x")
        #expect(throws: PostgresError.self) { try row.decode("missing", as: Int.self) }
        #expect(throws: PostgresError.self) { try row.decode(1, as: Int.self) }
        #expect(throws: PostgresError.self) { try row.decode(9, as: Int.self) }
    }

    @Test func injectionStringsAreBoundAsData() throws {
        let c = try TestDB.connect()
        defer { c.close() }
        try TestDB.withSchema(c) { _ in
            try c.execute("CREATE TABLE users (name text)")
            let attacks = ["'; DROP TABLE users; --", "\" OR 1=1 --", "$1", "\\'; SELECT pg_sleep(10); --",
                           "Robert'); DROP TABLE users;--", "x'||'y"]
            for attack in attacks {
                let name = attack
                try c.query("INSERT INTO users (name) VALUES (\(name))")
                let found = try c.query("SELECT count(*) FROM users WHERE name = \(name)")
                #expect(try found.first?.decode(0, as: Int.self) == 1)
            }
            #expect(try c.query("SELECT count(*) FROM users").first?.decode(0, as: Int.self) == attacks.count)
        }
    }

    @Test func interpolationBuildsPlaceholders() {
        let symbol = "AAPL"
        let limit = 10
        let missing: Int? = nil
        let table = "bars"
        let query: PostgresQuery = "SELECT * FROM \(unescaped: table) WHERE symbol = \(symbol) AND x = \(missing) LIMIT \(limit)"
        #expect(query.sql == "SELECT * FROM bars WHERE symbol = $1 AND x = $2 LIMIT $3")
        #expect(query.binds.count == 3)
        #expect(query.binds[1].flatMap { $0.postgresTextOrNull } == nil)
        let quoted: PostgresQuery = "SELECT * FROM \(identifier: #"we"ird"#)"
        #expect(quoted.sql == #"SELECT * FROM "we""ird""#)
        #expect(quoted.binds.isEmpty)
    }

    @Test func textFormatsAreStable() throws {
        #expect(Date(timeIntervalSince1970: 1_700_000_000.5).postgresText == "2023-11-14 22:13:20.500000+00")
        #expect(Date(timeIntervalSince1970: -1).postgresText == "1969-12-31 23:59:59+00")
        #expect(Double.nan.postgresText == "NaN")
        #expect((-Double.infinity).postgresText == "-Infinity")
        #expect([UInt8]([0, 171, 255]).postgresText == #"\x00abff"#)
        #expect(["a\"b"].postgresText == #"{"a\"b"}"#)
        #expect(throws: PostgresError.self) { try [UInt8](postgresText: "abc") }
        #expect(throws: PostgresError.self) { try Date(postgresText: "yesterday") }
    }
}
