import Foundation
@testable import GoldenSignals
import Logging
import Market
import Postgres
import Testing

/// `bars` partitioned by time (migration 0012): the migration of a populated database, inserts outside the
/// partitions, the maintenance job, and partition pruning of the market-data and generation reads.
@Suite(.serialized) struct PartitionTests {
    /// Real files: daily history from 1962 (PG), 1980 (AAPL), crypto, and one week of New York minutes.
    static let files: [(file: String, symbol: String, timeframe: Timeframe, zone: LocalTimeZone)] = [
        ("bluefin_PG.csv", "PG", .d1, .utc),
        ("bluefin_AAPL.csv", "AAPL", .d1, .utc),
        ("bestdaybtc_BTC-USD.csv", "BTC-USD", .d1, .utc),
        ("pta_SPY_D.csv", "SPY", .d1, .utc),
        ("mplf_SP500_NOV2019_IDay.csv", "SPX", .m1, .newYork),
    ]

    /// Count and an MD5 over every column of every row, per timeframe, in key order.
    static func fingerprint(_ conn: PostgresConnection) throws -> [String: String] {
        var out: [String: String] = [:]
        for row in try conn.query("""
            SELECT timeframe, count(*)::text || ' ' || md5(string_agg(
                concat_ws('|', symbol_id, timeframe, extract(epoch FROM ts), open::text, high::text, low::text, close::text,
                          volume::text, source, extract(epoch FROM ingested_at)), ',' ORDER BY symbol_id, timeframe, ts))
            FROM bars GROUP BY timeframe
            """) {
            out[try row.decode(0)] = try row.decode(1)
        }
        return out
    }

    static func defaultRows(_ conn: PostgresConnection) throws -> Int {
        try conn.query("SELECT (SELECT count(*) FROM bars_daily_default) + (SELECT count(*) FROM bars_intraday_default)")
            .first!.decode(0)
    }

    @Test func migrationMovesAPopulatedDatabaseWithoutLoss() throws {
        let url = try TestDatabase.fresh("partmig")
        defer { TestDatabase.drop(url) }
        // The schema as it was before 0012, filled through the importer's COPY path with real files.
        let (app, conn) = try applicationBefore(migration: 12, url)
        defer { app.close(); conn.close() }
        #expect(try conn.query("SELECT relkind::text FROM pg_class WHERE relname = 'bars'").first?.decode(0, as: String.self) == "r")
        // The importer also keeps the series registry of 0017: a stand-in for the fill, dropped before migrating on.
        try conn.execute("CREATE TABLE bar_series (symbol_id bigint, timeframe text, first_ts timestamptz, last_ts timestamptz, PRIMARY KEY (symbol_id, timeframe))")
        var expected: [Timeframe: Int] = [:]
        for f in Self.files {
            let parsed = try OHLCVCSVReader.parse([UInt8](try #require(FileManager.default.contents(atPath: Paths.data(f.file)))),
                                                  options: CSVImportOptions(timeframe: f.timeframe, localTimeZone: f.zone))
            let (symbol, _) = try app.symbols.ensure(NewSymbol(symbol: f.symbol, assetClass: AssetClass.infer(fromSymbol: f.symbol)))
            let counts = try app.pool.transaction { c in
                try app.bars.upsert(symbolID: symbol.id, timeframe: f.timeframe, bars: parsed.bars, source: "file", on: c)
            }
            #expect(counts.inserted == parsed.bars.count)
            expected[f.timeframe, default: 0] += parsed.bars.count
        }
        let old = try Self.fingerprint(conn)
        #expect(old["1d"]?.hasPrefix("\(expected[.d1]!) ") == true)
        #expect(old["1m"]?.hasPrefix("\(expected[.m1]!) ") == true)

        try conn.execute("DROP TABLE bar_series")
        // 0012 runs on the populated database.
        let applied = try app.migrator.migrate(on: conn)
        #expect(applied.map(\.version).contains(12))
        #expect(try conn.query("SELECT relkind::text FROM pg_class WHERE relname = 'bars'").first?.decode(0, as: String.self) == "p")
        #expect(try Self.fingerprint(conn) == old)
        #expect(try Self.defaultRows(conn) == 0)
        let names = Set(try BarPartitions.list(on: conn).map(\.name))
        for name in ["bars_daily_d1960", "bars_daily_d1980", "bars_daily_d2020", "bars_intraday_m2019_11", "bars_daily_default",
                     "bars_intraday_default"] {
            #expect(names.contains(name), "missing \(name)")
        }
        #expect(try conn.query("SELECT count(*) FROM bars_daily_d1960").first?.decode(0, as: Int.self) ?? 0 > 200)
        // The primary key is still (symbol_id, timeframe, ts), symbol_id first.
        let key: String = try #require(try conn.query("""
            SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'bars'::regclass AND contype = 'p'
            """).first?.decode(0))
        #expect(key == "PRIMARY KEY (symbol_id, timeframe, ts)")
        // 0017 registered every series with its first and last bar.
        let registry = try conn.query("""
            SELECT count(*)::int8, count(*) FILTER (WHERE (first_ts, last_ts) = (SELECT min(ts), max(ts) FROM bars b
                                                                               WHERE b.symbol_id = r.symbol_id AND b.timeframe = r.timeframe))::int8,
                   (SELECT count(*) FROM (SELECT DISTINCT symbol_id, timeframe FROM bars) d)::int8
            FROM bar_series r
            """).first
        let (series, exact, distinct): (Int64, Int64, Int64) = (try registry?.decode(0) ?? 0, try registry?.decode(1) ?? -1, try registry?.decode(2) ?? -2)
        #expect(series == distinct && exact == series && series == Int64(Self.files.count))

        // The importer's upsert works on the partitioned table: the same file again changes nothing, a revised bar updates.
        let pg = try #require(try app.symbols.find("PG"))
        var bars = try app.bars.all(symbolID: pg.id, timeframe: .d1)
        let again = try app.bars.upsert(symbolID: pg.id, timeframe: .d1, bars: bars, source: "file")
        #expect(again.inserted == 0 && again.updated == 0 && again.unchanged == bars.count)
        bars[0].close += 0.01
        let revised = try app.bars.upsert(symbolID: pg.id, timeframe: .d1, bars: [bars[0]], source: "file")
        #expect(revised.updated == 1)
    }

    @Test func barsOutsideEveryPartitionAreKeptAndMovedByTheElectedMaintenanceJob() throws {
        let s = try TestService(label: "partjob")
        let conn = try PostgresConnection.connect(s.app.configuration.databaseURL!)
        defer { conn.close() }
        let sym = try #require(try s.app.symbols.create(NewSymbol(symbol: "PG", assetClass: .equity)))
        // A writer that bypasses the importer (no partition made first): the rows land in the default partition.
        try conn.execute("""
            INSERT INTO bars (symbol_id, timeframe, ts, open, high, low, close, volume, source)
            SELECT \(sym.id), '5m', t, 1, 2, 0.5, 1.5, 100, 'file'
            FROM generate_series('2003-06-02 13:30+00'::timestamptz, '2003-06-02 20:00+00', '5 minutes') t
            """)
        #expect(try conn.query("SELECT count(*) FROM bars_intraday_default").first?.decode(0, as: Int.self) == 79)
        #expect(try s.app.bars.all(symbolID: sym.id, timeframe: .m5).count == 79)

        let job = PartitionScheduler(pool: s.app.pool, interval: 0, logger: s.app.logger)
        // Another replica holds the job's lock: this one does nothing.
        let other = try PostgresConnection.connect(s.app.configuration.databaseURL!)
        defer { other.close() }
        #expect(try other.query("SELECT pg_try_advisory_lock($1)", [PartitionScheduler.lockKey]).first?.decode(0, as: Bool.self) == true)
        #expect(job.runOnce() == nil)
        #expect(try conn.query("SELECT count(*) FROM bars_intraday_default").first?.decode(0, as: Int.self) == 79)
        _ = try other.query("SELECT pg_advisory_unlock($1)", [PartitionScheduler.lockKey])

        // Once it lets go, this one moves the rows into a partition of their own.
        let round = try #require(job.runOnce())
        #expect(round.drained == 1 && round.movedRows == 79)
        #expect(try Self.defaultRows(conn) == 0)
        #expect(try conn.query("SELECT count(*) FROM bars_intraday_m2003_06").first?.decode(0, as: Int.self) == 79)
        #expect(try s.app.bars.all(symbolID: sym.id, timeframe: .m5).count == 79)
        let run = try #require(try conn.query("SELECT status, detail->>'moved_rows' FROM job_runs WHERE job = 'partitions'").first)
        #expect(try run.decode(0, as: String.self) == "ok")
        #expect(try run.decode(1, as: String.self) == "79")
        // Partitions exist ahead of time: this month and the next three, the decades of this year and the next.
        let names = Set(try BarPartitions.list(on: conn).map(\.name))
        let now = Date()
        var utc = Foundation.Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        for k in 0...3 {
            let d = utc.date(byAdding: .month, value: k, to: now)!
            let c = utc.dateComponents([.year, .month], from: d)
            #expect(names.contains(String(format: "bars_intraday_m%04d_%02d", c.year!, c.month!)))
        }
        let year = utc.component(.year, from: now)
        #expect(names.contains("bars_daily_d\(year / 10 * 10)") && names.contains("bars_daily_d\((year + 1) / 10 * 10)"))

        // The importer makes the partitions its bars need before it writes: nothing lands in a default partition.
        _ = try s.app.imports.importFile(path: Paths.data("bluefin_PG.csv"), symbol: NewSymbol(symbol: "PG", assetClass: .equity),
                                         timeframe: .d1, timeZone: .utc)
        #expect(try Self.defaultRows(conn) == 0)
        #expect(try conn.query("SELECT count(*) FROM bars_daily_d1960").first?.decode(0, as: Int.self) ?? 0 > 200)
    }

    /// Partitions are made only for periods that hold a bar, inside a window: two uploaded bars centuries
    /// apart add at most two partitions, and bars outside the window are kept in the default partition
    /// (the maintenance job leaves them there too), instead of one table per decade or month between them.
    @Test func anUploadSpanningCenturiesCreatesOnlyThePartitionsItsBarsNeed() throws {
        let s = try TestService(label: "partspan")
        let conn = try PostgresConnection.connect(s.app.configuration.databaseURL!)
        defer { conn.close() }
        _ = try s.app.symbols.create(NewSymbol(symbol: "SPAN", assetClass: .equity))
        let before = try BarPartitions.list(on: conn).count
        let body = #"{"bars":[{"timestamp":"1805-03-04T00:00:00Z","open":1,"high":1,"low":1,"close":1,"volume":1},"#
            + #"{"timestamp":"1975-06-02T00:00:00Z","open":1,"high":1,"low":1,"close":1,"volume":1},"#
            + #"{"timestamp":"4695-12-17T00:00:00Z","open":1,"high":1,"low":1,"close":1,"volume":1}]}"#
        let r = try s.postJSON("/api/v1/market-data/SPAN/bars?timeframe=1d", body)
        #expect(r.status == 200, "\(r.text)")
        #expect(r.json["inserted"] as? Int == 3)
        let after = try BarPartitions.list(on: conn)
        #expect(after.count - before <= 1, "at most the 1970s partition is new: \(after.count - before)")
        #expect(try conn.query("SELECT count(*) FROM bars_daily_default").first?.decode(0, as: Int.self) == 2)
        let round = try #require(PartitionScheduler(pool: s.app.pool, interval: 0, logger: s.app.logger).runOnce())
        #expect(round.drained == 0)
        #expect(try s.app.bars.all(symbolID: try #require(try s.app.symbols.find("SPAN")).id, timeframe: .d1).count == 3)
    }

    /// Every relation an EXPLAIN (FORMAT JSON) plan reads.
    static func relations(_ plan: String) throws -> Set<String> {
        var out = Set<String>()
        func walk(_ node: Any) {
            if let d = node as? [String: Any] {
                if let r = d["Relation Name"] as? String { out.insert(r) }
                d.values.forEach(walk)
            } else if let a = node as? [Any] {
                a.forEach(walk)
            }
        }
        walk(try JSONSerialization.jsonObject(with: Data(plan.utf8)))
        return out
    }

    @Test func marketDataAndGenerationReadsPrunePartitions() throws {
        let s = try TestService(label: "partprune")
        for f in Self.files {
            _ = try s.app.imports.importFile(path: Paths.data(f.file), symbol: NewSymbol(symbol: f.symbol, assetClass: AssetClass.infer(fromSymbol: f.symbol)),
                                             timeframe: f.timeframe, timeZone: f.zone)
        }
        let conn = try PostgresConnection.connect(s.app.configuration.databaseURL!)
        defer { conn.close() }
        let all = Set(try BarPartitions.list(on: conn).map(\.name))
        #expect(all.filter { $0.hasPrefix("bars_daily_d") && $0 != "bars_daily_default" }.count == 7)   // 1960s … 2020s
        let spx = try #require(try s.app.symbols.find("SPX")).id, pg = try #require(try s.app.symbols.find("PG")).id
        let day = (from: Int64(1_573_052_400), to: Int64(1_573_052_400 + 86_400))        // 2019-11-06 15:00 UTC, one day
        let year = (from: Int64(1_262_304_000), to: Int64(1_293_839_999))                // 2010, one year (in the 2010s)

        // Custom plans (parameters bound, as the first executions of a prepared statement).
        func explain(_ sql: String, _ binds: [(any PostgresEncodable)?]) throws -> Set<String> {
            try Self.relations(try #require(try conn.query("EXPLAIN (FORMAT JSON) " + sql, binds).first?.decode(0, as: String.self)))
        }
        for descending in [false, true] {
            let sql = BarStore.pageSQL(descending: descending)
            #expect(try explain(sql, [spx, "1m", day.from, day.to, nil, 1000]) == ["bars_intraday_m2019_11"])
            #expect(try explain(sql, [pg, "1d", year.from, year.to, nil, 1000]) == ["bars_daily_d2010"])
            // A cursor bounds the other side: still only the partitions between cursor and window end.
            #expect(try explain(sql, [pg, "1d", nil, year.to, year.from, 1000]).allSatisfy { $0.hasPrefix("bars_daily_") })
        }
        // The generation (and quality, indicators) read of a whole series touches its branch only.
        let series = try explain(BarStore.seriesSQL, [pg, "1d"])
        #expect(series.allSatisfy { $0.hasPrefix("bars_daily_") })
        #expect(series.count == all.filter { $0.hasPrefix("bars_daily_") }.count)
        #expect(try explain(BarStore.seriesSQL, [spx, "1m"]).allSatisfy { $0.hasPrefix("bars_intraday_") })

        // A generic plan of the prepared statement (what a pooled connection may settle on) prunes at start-up.
        try conn.execute("SET plan_cache_mode = force_generic_plan")
        try conn.execute("PREPARE page_q(int8, text, int8, int8, int8, int8) AS " + BarStore.pageSQL(descending: false))
        let generic = try #require(try conn.query("EXPLAIN (FORMAT JSON) EXECUTE page_q(\(spx), '1m', \(day.from), \(day.to), NULL, 1000)" as String, [])
            .first?.decode(0, as: String.self))
        #expect(try Self.relations(generic) == ["bars_intraday_m2019_11"])
        #expect(generic.contains("Subplans Removed"))

        // And the answers are right: the page API serves the window from the partitioned table.
        let page = try s.get("/api/v1/market-data/SPX?timeframe=1m&from=2019-11-06T15:00:00Z&to=2019-11-06T15:09:00Z")
        #expect(page.status == 200)
        #expect((page.json["bars"] as? [Any])?.count == 10)
    }
}
