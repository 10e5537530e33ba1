import Market
import Postgres
import Primitives

/// A bar with the source it came from.
public struct StoredBar: Sendable, Hashable {
    public var bar: Bar
    public var source: String
}

/// What an upsert did.
public struct UpsertCounts: Sendable, Hashable {
    public var inserted: Int
    public var updated: Int
    public var unchanged: Int
    /// The series had no bars before, so it now holds exactly the bars written.
    public var seriesWasEmpty: Bool = false
}

/// Reads and writes `bars`. Writes go through `COPY` into a staging table and one upsert.
public struct BarStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// Inserts new bars and updates revised ones; identical bars change nothing.
    public func upsert(symbolID: Int64, timeframe: Timeframe, bars: [Bar], source: String) throws -> UpsertCounts {
        guard !bars.isEmpty else { return UpsertCounts(inserted: 0, updated: 0, unchanged: 0) }
        return try pool.withConnection { conn in
            // The time partitions the bars need, in a short transaction of their own (creating one takes a
            // brief lock that must not be held for the whole load); rows outside them would land in the
            // default partition, which the maintenance job drains.
            try BarPartitions.ensure(timeframe: timeframe, bars: bars, on: conn)
            return try conn.transaction { conn in
                try upsert(symbolID: symbolID, timeframe: timeframe, bars: bars, source: source, on: conn)
            }
        }
    }

    /// The same, inside the caller's transaction.
    public func upsert(symbolID: Int64, timeframe: Timeframe, bars: [Bar], source: String, on conn: PostgresConnection) throws -> UpsertCounts {
        let bars = Bar.sortedLastWins(bars).bars
        if let first = bars.first, let last = bars.last {
            // The series registry, first: every writer of the series meets here, in its own transaction.
            try conn.query("""
                INSERT INTO bar_series (symbol_id, timeframe, first_ts, last_ts) VALUES ($1, $2, to_timestamp($3), to_timestamp($4))
                ON CONFLICT (symbol_id, timeframe) DO UPDATE
                    SET first_ts = least(bar_series.first_ts, EXCLUDED.first_ts), last_ts = greatest(bar_series.last_ts, EXCLUDED.last_ts)
                    WHERE EXCLUDED.first_ts < bar_series.first_ts OR EXCLUDED.last_ts > bar_series.last_ts
                """, [symbolID, timeframe.rawValue, first.timestamp, last.timestamp])
        }
        // A series' first load (the common case of an import) goes straight into `bars` with COPY: no
        // staging and no per-row conflict handling. Should another writer have added bars since the
        // check, the savepoint rolls back and the general upsert below takes over.
        let empty = try conn.query("SELECT NOT EXISTS (SELECT 1 FROM bars WHERE symbol_id = $1 AND timeframe = $2)",
                                   [symbolID, timeframe.rawValue]).first?.decode(0, as: Bool.self) ?? false
        if empty {
            do {
                let prefix = Array("\(symbolID)\t\(timeframe.rawValue)\t".utf8)
                let suffix = Array("\t\(CopyText.escape(source))\n".utf8)
                let copied = try conn.transaction { conn in
                    try Self.copy(bars, "COPY bars (symbol_id, timeframe, ts, open, high, low, close, volume, source) FROM STDIN",
                                  on: conn) { b, out in
                        out.append(contentsOf: prefix)
                        RFC3339.append(b.timestamp, to: &out); out.append(9)
                        CopyText.appendValues(b, to: &out)
                        out.append(contentsOf: suffix)
                    }
                }
                return UpsertCounts(inserted: copied, updated: 0, unchanged: 0, seriesWasEmpty: true)
            } catch let error as PostgresError where error.sqlState == "23505" {
                // Someone else wrote this series meanwhile: merge with the upsert instead.
            }
        }
        try conn.execute("""
            CREATE TEMP TABLE IF NOT EXISTS bars_stage (
                ts bigint NOT NULL, open float8 NOT NULL, high float8 NOT NULL,
                low float8 NOT NULL, close float8 NOT NULL, volume float8 NOT NULL
            ) ON COMMIT DELETE ROWS
            """)
        _ = try Self.copy(bars, "COPY bars_stage (ts, open, high, low, close, volume) FROM STDIN", on: conn) { b, out in
            DecimalText.append(b.timestamp, to: &out); out.append(9)
            CopyText.appendValues(b, to: &out)
            out.append(10)
        }
        // `bars` is partitioned, and a partitioned table cannot return `xmax` (which would tell an insert from an
        // update), so the staged keys already stored are counted first: every sub-statement of one WITH sees the
        // same snapshot, so `existing` counts the rows as they were before `up` wrote.
        let result = try conn.query("""
            WITH staged AS (
                SELECT ts, open, high, low, close, volume FROM bars_stage
            ), existing AS (
                SELECT count(*) AS n FROM staged s
                JOIN bars b ON b.symbol_id = $1 AND b.timeframe = $2 AND b.ts = to_timestamp(s.ts)
            ), up AS (
                INSERT INTO bars AS b (symbol_id, timeframe, ts, open, high, low, close, volume, source)
                SELECT $1, $2, to_timestamp(ts), open, high, low, close, volume, $3 FROM staged
                ON CONFLICT (symbol_id, timeframe, ts) DO UPDATE
                    SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
                        volume = EXCLUDED.volume, source = EXCLUDED.source, ingested_at = now()
                    WHERE (b.open, b.high, b.low, b.close, b.volume)
                          IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM up), (SELECT n FROM existing), (SELECT count(*) FROM staged)
            """, [symbolID, timeframe.rawValue, source])
        guard let row = result.first else { throw StoreError.inconsistent("upsert returned no counts") }
        let written: Int = try row.decode(0), existing: Int = try row.decode(1), staged: Int = try row.decode(2)
        let inserted = staged - existing, updated = written - inserted
        return UpsertCounts(inserted: inserted, updated: updated, unchanged: staged - inserted - updated)
    }

    /// COPYs one line per bar, each written by `line` straight into the COPY buffer.
    static func copy(_ bars: [Bar], _ statement: String, on conn: PostgresConnection,
                     line: (Bar, inout [UInt8]) -> Void) throws -> Int {
        try conn.copyIn(statement) { writer in
            for b in bars { try writer.appendRaw { line(b, &$0) } }
        }
    }

    /// The market-data page query: $1 symbol id, $2 timeframe, $3/$4 from/to and $5 the cursor (Unix seconds or
    /// NULL), $6 the row limit. With a time window bound, the planner prunes to the partitions it touches; the
    /// bounds are written as `ts >= coalesce(…, '-infinity')` rather than `$3 IS NULL OR ts >= …` so that a
    /// generic plan of the prepared statement prunes too (at executor start-up: an OR with IS NULL cannot prune).
    static func pageSQL(descending: Bool) -> String {
        descending
            ? """
              SELECT ts, open, high, low, close, volume, source FROM bars
              WHERE symbol_id = $1 AND timeframe = $2
                AND ts >= coalesce(to_timestamp($3::int8), '-infinity') AND ts <= coalesce(to_timestamp($4::int8), 'infinity')
                AND ts < coalesce(to_timestamp($5::int8), 'infinity')
              ORDER BY ts DESC LIMIT $6
              """
            : """
              SELECT ts, open, high, low, close, volume, source FROM bars
              WHERE symbol_id = $1 AND timeframe = $2
                AND ts >= coalesce(to_timestamp($3::int8), '-infinity') AND ts <= coalesce(to_timestamp($4::int8), 'infinity')
                AND ts > coalesce(to_timestamp($5::int8), '-infinity')
              ORDER BY ts LIMIT $6
              """
    }

    /// The whole-series read of generation, quality and indicators: $1 symbol id, $2 timeframe. The timeframe
    /// prunes to its branch (daily or intraday partitions only).
    static let seriesSQL = """
        SELECT ts, open, high, low, close, volume FROM bars
        WHERE symbol_id = $1 AND timeframe = $2 ORDER BY ts
        """

    /// A page of bars in time order.
    /// - Parameters:
    ///   - after: exclusive bound in the paging direction (the cursor), in Unix seconds.
    ///   - descending: newest first.
    /// - Returns: up to `limit` bars and whether more follow.
    public func page(symbolID: Int64, timeframe: Timeframe, from: Int64?, to: Int64?, after: Int64?, descending: Bool,
                     limit: Int) throws -> (bars: [StoredBar], more: Bool) {
        try pool.withConnection { conn in
            try page(symbolID: symbolID, timeframe: timeframe, from: from, to: to, after: after, descending: descending,
                     limit: limit, on: conn)
        }
    }

    /// The same, on the caller's connection.
    func page(symbolID: Int64, timeframe: Timeframe, from: Int64?, to: Int64?, after: Int64?, descending: Bool,
              limit: Int, on conn: PostgresConnection) throws -> (bars: [StoredBar], more: Bool) {
        let sql = Self.pageSQL(descending: descending)
        var out: [StoredBar] = []
        out.reserveCapacity(min(limit, 10_000))
        var more = false
        _ = try conn.queryBinary(PostgresQuery(sql, binds: [symbolID, timeframe.rawValue, from, to, after, limit + 1])) { row in
            guard out.count < limit else { more = true; return }
            out.append(StoredBar(bar: Bar(timestamp: try row.unixSeconds(0), open: try row.double(1), high: try row.double(2),
                                          low: try row.double(3), close: try row.double(4), volume: try row.double(5)),
                                 source: try row.string(6)))
        }
        return (out, more)
    }

    /// Every bar of a series in time order (for quality reports and strategies).
    public func all(symbolID: Int64, timeframe: Timeframe) throws -> [Bar] {
        try pool.withConnection { conn in try all(symbolID: symbolID, timeframe: timeframe, on: conn) }
    }

    /// The same, on the caller's connection (inside its transaction).
    public func all(symbolID: Int64, timeframe: Timeframe, on conn: PostgresConnection) throws -> [Bar] {
        var bars: [Bar] = []
        _ = try conn.queryBinary(PostgresQuery(Self.seriesSQL, binds: [symbolID, timeframe.rawValue])) { row in
            bars.append(Bar(timestamp: try row.unixSeconds(0), open: try row.double(1), high: try row.double(2),
                            low: try row.double(3), close: try row.double(4), volume: try row.double(5)))
        }
        return bars
    }

    /// Whether a series has any bar.
    func hasSeries(symbolID: Int64, timeframe: Timeframe, on conn: PostgresConnection) throws -> Bool {
        try conn.query("SELECT EXISTS (SELECT 1 FROM bars WHERE symbol_id = $1 AND timeframe = $2)",
                       [symbolID, timeframe.rawValue]).first?.decode(0, as: Bool.self) ?? false
    }

    /// The newest bar time of a series, or nil when it has none.
    public func latestTimestamp(symbolID: Int64, timeframe: Timeframe) throws -> Int64? {
        try pool.withConnection { conn in
            try conn.query("SELECT extract(epoch FROM max(ts))::int8 FROM bars WHERE symbol_id = $1 AND timeframe = $2",
                           [symbolID, timeframe.rawValue]).first?.decode(0, as: Int64?.self)
        }
    }
}

/// PostgreSQL COPY text format for bars.
enum CopyText {
    /// Appends `open\thigh\tlow\tclose\tvolume` (no line end).
    static func appendValues(_ b: Bar, to out: inout [UInt8]) {
        DecimalText.append(b.open, to: &out); out.append(9)
        DecimalText.append(b.high, to: &out); out.append(9)
        DecimalText.append(b.low, to: &out); out.append(9)
        DecimalText.append(b.close, to: &out); out.append(9)
        DecimalText.append(b.volume, to: &out)
    }

    /// A text value escaped for COPY's text format.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
