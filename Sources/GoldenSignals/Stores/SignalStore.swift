import Foundation
import HTTPServer
import Market
import Postgres
import Signals

/// Which signals a list asks for. Status is computed as of `asOf` (now when nil): `filtered` (stopped
/// by a layer), `active` (published, horizon not over), `expired` (published, horizon over), `closed`
/// (a final win or loss), `expired` also for a final outcome that expired, `all`.
public struct SignalFilter: Sendable {
    public var symbolID: Int64?
    public var timeframe: Timeframe?
    public var strategy: String?
    public var direction: Direction?
    public var status = "active"
    public var minConfidence: Double?
    public var since: Int64?
    public var asOf: Int64?
    /// Paging: strictly older than this (bar time, id) pair.
    public var before: (ts: Int64, id: String)?
    public var limit = 50

    public init() {}
}

/// Reads and writes `signals`, `signal_scans` and `signal_confidence_history`.
public struct SignalStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// The NOTIFY channel new signals (published or filtered) are announced on (payload: the highest new `seq`).
    public static let channel = "gs_signals"

    /// Columns of a signal as the API renders it (`SignalJSON` reads them by position: the layers from 22, 30
    /// and 45, the bar from 7 and 46…50). `$T` is the as-of time.
    static let columns = """
        g.id::text, s.symbol, g.timeframe, g.strategy, g.params, g.direction,
        CASE WHEN NOT g.published THEN 'filtered' WHEN o.final AND o.result IN ('win', 'loss') THEN 'closed'
             WHEN o.final OR g.expires_at <= $T THEN 'expired' ELSE 'active' END,
        extract(epoch FROM g.ts)::int8, extract(epoch FROM g.created_at)::int8, g.entry_price, g.stop_loss, g.take_profit,
        g.risk_level, g.horizon_bars, extract(epoch FROM g.expires_at)::int8,
        coalesce(h.new_confidence, g.confidence), g.confidence_raw, g.quality, g.confidence,
        coalesce(h.calibration_version, g.calibration_version), g.reason, g.indicators::text, g.layer_details,
        g.consensus_strength, g.position_size, g.reward_risk, g.strength, g.rejected_by, (g.is_demo OR s.is_demo), g.seq,
        g.layer_effects::text,
        o.result, o.final, o.exit_price, o.gross_return, o.net_return, o.mfe, o.mae, o.bars_held::int8, o.r_multiple,
        o.same_bar_ambiguous, o.gap_fill, extract(epoch FROM o.finalized_at)::int8, o.hit,
        (SELECT json_agg(json_build_object('id', r.id, 'result', r.result, 'exit_price', r.exit_price,
                'closed_at', to_char(r.closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'notes', r.notes,
                'reported_at', to_char(r.reported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) ORDER BY r.id)::text
         FROM signal_outcome_reports r WHERE r.signal_id = g.id AND r.reported_at <= $T),
        g.layers_passed, g.bar_open, g.bar_high, g.bar_low, g.bar_close, g.bar_volume
        """

    static let from = """
        FROM signals g JOIN symbols s ON s.id = g.symbol_id
        LEFT JOIN LATERAL (SELECT new_confidence, calibration_version FROM signal_confidence_history
                           WHERE signal_id = g.id AND at <= $T ORDER BY at DESC LIMIT 1) h ON true
        LEFT JOIN signal_outcomes o ON o.signal_id = g.id AND o.scored_at <= $T
        """

    static func sql(_ text: String, asOf index: Int) -> String {
        text.replacingOccurrences(of: "$T", with: "coalesce(to_timestamp($\(index)::float8), now())")
    }

    // MARK: - Writing

    /// Columns written for each signal, in COPY order.
    static let writeColumns = """
        symbol_id, timeframe, ts, strategy, params, id, direction, published, rejected_by, strength, entry_price, stop_loss,
        take_profit, reward_risk, risk_level, horizon_bars, expires_at, confidence_raw, quality, confidence,
        calibration_version, consensus_strength, position_size, reason, indicators, layer_details, layer_effects, layers_passed,
        bar_open, bar_high, bar_low, bar_close, bar_volume, is_demo
        """

    /// A signal's id: the MD5 of its identity `symbol_id|timeframe|bar epoch seconds|strategy|params` as a UUID,
    /// so regenerating the same history gives the same ids.
    static func id(symbolID: Int64, timeframe: Timeframe, _ s: GeneratedSignal) -> String {
        var identity = Identity(symbolID: symbolID, timeframe: timeframe)
        return UUIDText.text(identity.idBytes(s))
    }

    /// The identity texts of one series' signals, written into one reused buffer (the series' part once).
    struct Identity {
        private var bytes: [UInt8]
        private let prefixCount: Int

        init(symbolID: Int64, timeframe: Timeframe) {
            bytes = Array("\(symbolID)|\(timeframe.rawValue)|".utf8)
            prefixCount = bytes.count
            bytes.reserveCapacity(prefixCount + 128)
        }

        /// The 16 bytes of `s`'s id.
        mutating func idBytes(_ s: GeneratedSignal) -> [UInt8] {
            bytes.removeSubrange(prefixCount...)
            if s.bar.timestamp < 0 { bytes.append(0x2D) }
            var digits = s.bar.timestamp.magnitude
            let start = bytes.count
            repeat { bytes.append(UInt8(0x30 + digits % 10)); digits /= 10 } while digits > 0
            bytes[start...].reverse()
            bytes.append(0x7C)
            bytes.append(contentsOf: s.strategy.utf8)
            bytes.append(0x7C)
            bytes.append(contentsOf: s.parameters.utf8)
            return bytes.withUnsafeBytes { UUIDText.md5Bytes($0) }
        }
    }

    /// Stores the signals of one series (identities already stored are left as they are) and announces
    /// them. Runs inside the caller's transaction. New signals (the usual case: bars never scanned) take
    /// their seqs in one query and are COPYed straight into `signals` with them; should one exist already,
    /// a savepoint rolls that back and a staged `INSERT … ON CONFLICT DO NOTHING` stores the others.
    /// - Returns: the `seq` of every row inserted, with whether it was published.
    func insert(_ signals: [GeneratedSignal], symbol: SymbolRecord, timeframe: Timeframe, isDemo: Bool,
                on conn: PostgresConnection) throws -> [(seq: Int64, published: Bool)] {
        guard !signals.isEmpty else { return [] }
        try Self.registerWriter(on: conn)
        var inserted: [(seq: Int64, published: Bool)]
        do {
            inserted = try conn.transaction { conn in
                let seqs = try Self.takeSeqs(signals.count, on: conn)
                _ = try conn.copyInBinary("COPY signals (\(Self.writeColumns), seq) FROM STDIN (FORMAT binary)") { writer in
                    try Self.write(signals, seqs: seqs, symbolID: symbol.id, timeframe: timeframe, isDemo: isDemo, to: &writer)
                }
                return zip(seqs, signals).map { (seq: $0, published: $1.published) }
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            inserted = try insertMerging(signals, symbol: symbol, timeframe: timeframe, isDemo: isDemo, on: conn)
        }
        try WebhookStore.queue(.signalCreated, for: .seqs(inserted.filter(\.published).map(\.seq)), latestConfidence: false, on: conn)
        // Every insert is announced (list caches depend on filtered candidates too); the payload is the top seq.
        if let top = inserted.map(\.seq).max() {
            try conn.notify(Self.channel, payload: String(top))
        }
        return inserted
    }

    // MARK: - Stream order

    // Writers commit in any order, so a signal with a lower `seq` can become visible after one with a higher
    // `seq` (two generation workers, two replicas). A reader that goes on from the last seq it got (the
    // stream, its resume) would step over it for good. So each writing transaction announces, before it
    // takes any `seq`, a lower bound of the seqs it will take: a shared transaction-level advisory lock
    // whose key holds the highest `seq` of a published signal it can see (`writerLockSpace` above bit 40, the
    // bound below; every seq it takes is above every seq taken before, published or not).
    // Readers go no further than `visibleThrough()`: below every bound still held, and no higher than the
    // newest published signal committed when they looked. A writer that announces itself later takes only
    // seqs above that; one announced before has ended (committed or not) by the time every seq up to its
    // bound can be read. (Readers follow published signals only, which the index on `seq` holds: 0019.)

    /// The key space of the writers' announcements (advisory lock keys `space << 40 | bound`).
    static let writerLockSpace: Int64 = 0x47_5331

    /// Announces this transaction as a signal writer until it ends. Call before inserting into `signals`.
    static func registerWriter(on conn: PostgresConnection) throws {
        _ = try conn.query("""
            SELECT pg_advisory_xact_lock_shared(($1::int8 << 40) | (SELECT coalesce(max(seq), 0) FROM signals WHERE published))
            """, [writerLockSpace])
    }

    /// The highest `seq` a reader following published signals by `seq` may pass now (every published signal at
    /// or below it that will ever be visible is visible to a query started after this returns), and the highest
    /// published one committed.
    static func visibleThrough(on conn: PostgresConnection) throws -> (through: Int64, top: Int64) {
        let row = try conn.query("""
            WITH top AS (SELECT coalesce(max(seq), 0) AS seq FROM signals WHERE published)
            SELECT least(top.seq, (SELECT min(((l.classid::int8 << 32) | l.objid::int8) & ((1::int8 << 40) - 1))
                                   FROM pg_locks l
                                   WHERE l.locktype = 'advisory' AND l.objsubid = 1
                                     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                                     AND ((l.classid::int8 << 32) | l.objid::int8) >> 40 = $1))::int8, top.seq::int8
            FROM top
            """, [writerLockSpace]).first
        return (try row?.decode(0) ?? 0, try row?.decode(1) ?? 0)
    }

    /// `count` new values of `signals.seq`, ascending (COPY writes the identity column as given).
    /// The sequence is looked up once: without `OFFSET 0` the planner folds the lookup into every `nextval`
    /// call (a catalog search per value, 8× the cost of the values themselves).
    static func takeSeqs(_ count: Int, on conn: PostgresConnection) throws -> [Int64] {
        var seqs: [Int64] = []
        seqs.reserveCapacity(count)
        _ = try conn.queryBinary(PostgresQuery("""
            SELECT nextval(q.seq) FROM (SELECT pg_get_serial_sequence('signals', 'seq')::regclass AS seq OFFSET 0) q,
                   generate_series(1, $1::int4)
            """, binds: [count])) { row in seqs.append(try row.int64(0)) }
        seqs.sort()
        return seqs
    }

    /// The general path: stage, then insert what is not stored yet.
    private func insertMerging(_ signals: [GeneratedSignal], symbol: SymbolRecord, timeframe: Timeframe, isDemo: Bool,
                               on conn: PostgresConnection) throws -> [(seq: Int64, published: Bool)] {
        if try conn.query("SELECT to_regclass('pg_temp.signals_stage') IS NULL", []).first?.decode(0, as: Bool.self) ?? true {
            try conn.execute("CREATE TEMP TABLE signals_stage ON COMMIT DELETE ROWS AS SELECT \(Self.writeColumns) FROM signals WITH NO DATA")
        }
        _ = try conn.copyInBinary("COPY signals_stage (\(Self.writeColumns)) FROM STDIN (FORMAT binary)") { writer in
            try Self.write(signals, symbolID: symbol.id, timeframe: timeframe, isDemo: isDemo, to: &writer)
        }
        return try conn.query("""
            INSERT INTO signals (\(Self.writeColumns))
            SELECT \(Self.writeColumns) FROM signals_stage ORDER BY ts, strategy
            ON CONFLICT DO NOTHING
            RETURNING seq, published
            """, []).map { (seq: try $0.decode(0, as: Int64.self), published: try $0.decode(1, as: Bool.self)) }
    }

    /// The signals as binary COPY rows, fields in `writeColumns` order (migration 0018 says how the layers and
    /// the bar are kept). The indicators' JSON and the layers' sentences are written by reused buffers straight
    /// into the row, so a row costs no intermediate strings. With `seqs` (one per signal), each row ends with its `seq`.
    static func write(_ signals: [GeneratedSignal], seqs: [Int64]? = nil, symbolID: Int64, timeframe: Timeframe, isDemo: Bool,
                      to writer: inout PostgresCopyWriter) throws {
        var json = JSONWriter(capacity: 256)
        var identity = Identity(symbolID: symbolID, timeframe: timeframe)
        for (i, s) in signals.enumerated() {
            // A layer's place in the row is its place in the engine's order.
            guard s.layers.count <= Layer.allCases.count,
                  zip(s.layers, Layer.allCases).allSatisfy({ $0.layer == $1 }) else {
                throw SignalStoreError.layersOutOfOrder(s.layers.map(\.layer.rawValue))
            }
            var passed: Int32 = 0
            for (k, l) in s.layers.enumerated() where l.passed { passed |= 1 << k }
            try writer.appendBinaryRow(fieldCount: seqs == nil ? 34 : 35) { r in
                writeSharedFields(s, symbolID: symbolID, timeframe: timeframe, identity: &identity, json: &json, to: &r)
                r.text { out in Self.appendDetails(s.layers, to: &out) }
                r.float8Array(count: s.layers.count) { s.layers[$0].effect }; r.int4(passed)
                r.float8(s.bar.open); r.float8(s.bar.high); r.float8(s.bar.low); r.float8(s.bar.close); r.float8(s.bar.volume)
                r.bool(isDemo)
                if let seqs { r.int8(seqs[i]) }
            }
        }
    }

    /// The fields of a signal's row from `symbol_id` to `indicators`, the part of `writeColumns` that every
    /// layout of `signals` since 0006 has (`json` is a reused buffer).
    static func writeSharedFields(_ s: GeneratedSignal, symbolID: Int64, timeframe: Timeframe, identity: inout Identity,
                                  json: inout JSONWriter, to r: inout PostgresCopyBinaryRow) {
        r.int8(symbolID); r.text(timeframe.rawValue); r.timestamptz(unixSeconds: s.bar.timestamp)
        r.text(s.strategy); r.text(s.parameters); r.uuid(identity.idBytes(s))
        r.text(s.direction.rawValue); r.bool(s.published); r.text(s.rejectedBy?.rawValue)
        r.float8(s.strength); r.float8(s.entryPrice); r.float8(s.stopLoss); r.float8(s.takeProfit)
        r.float8(s.rewardRisk); r.text(s.riskLevel); r.int4(Int32(clamping: s.horizonBars))
        r.timestamptz(unixSeconds: s.expiresAt); r.float8(s.confidence.raw); r.float8(s.confidence.quality)
        r.float8(s.confidence.calibrated); r.int4(Int32(clamping: s.confidence.calibrationVersion))
        r.float8(s.consensusStrength); r.float8(s.positionSize); r.text(s.reason)
        json.reset(); indicatorsJSON(s.indicators, into: &json); r.text(bytes: json.bytes)
    }

    /// The layers' sentences one per line (`layer_details`, 0018). A line break inside a sentence (never written by
    /// the engine) becomes a space.
    static func appendDetails(_ layers: [LayerResult], to out: inout [UInt8]) {
        for (k, l) in layers.enumerated() {
            if k > 0 { out.append(0x0A) }
            let start = out.count
            out.append(contentsOf: l.detailUTF8)
            let breaks = out.withUnsafeBufferPointer { memchr($0.baseAddress! + start, 0x0A, $0.count - start) != nil }
            if breaks { for j in start..<out.count where out[j] == 0x0A { out[j] = 0x20 } }
        }
    }

    /// The newest bar time generation has scanned in a series, or nil.
    func scannedThrough(symbolID: Int64, timeframe: Timeframe, on conn: PostgresConnection) throws -> Int64? {
        try conn.query("SELECT extract(epoch FROM through_ts)::int8 FROM signal_scans WHERE symbol_id = $1 AND timeframe = $2",
                       [symbolID, timeframe.rawValue]).first?.decode(0, as: Int64.self)
    }

    func setScanned(symbolID: Int64, timeframe: Timeframe, through: Int64, on conn: PostgresConnection) throws {
        _ = try conn.query("""
            INSERT INTO signal_scans (symbol_id, timeframe, through_ts) VALUES ($1, $2, to_timestamp($3))
            ON CONFLICT (symbol_id, timeframe) DO UPDATE SET through_ts = EXCLUDED.through_ts, scanned_at = now()
            """, [symbolID, timeframe.rawValue, through])
    }

    // MARK: - Reading

    /// The conditions both list queries put on `g`: strategy `$3`, direction `$4`, since `$6`, made by the as-of
    /// time `$T`, and older than the cursor's (bar time `$9`, id `$10`).
    static let listConditions = """
        ($3::text IS NULL OR g.strategy = $3) AND ($4::text IS NULL OR g.direction = $4)
          AND ($6::int8 IS NULL OR g.ts >= to_timestamp($6)) AND g.created_at <= $T
          AND ($9::int8 IS NULL OR (g.ts, g.id) < (to_timestamp($9), $10::uuid))
        """

    /// A list of published signals (`active`, `closed`, `expired`: `$8`), newest first through the index of
    /// published signals by bar time (the literal `g.published` lets every plan of the statement use it).
    static let listPublishedSQL = sql("""
        SELECT \(columns) \(from)
        WHERE g.published AND ($1::int8 IS NULL OR g.symbol_id = $1) AND ($2::text IS NULL OR g.timeframe = $2)
          AND \(listConditions)
          AND ($5::float8 IS NULL OR coalesce(h.new_confidence, g.confidence) >= $5)
          AND CASE $8::text WHEN 'active' THEN g.expires_at > $T AND o.final IS NOT TRUE
               WHEN 'closed' THEN o.final AND o.result IN ('win', 'loss')
               WHEN 'expired' THEN (g.expires_at <= $T AND o.final IS NOT TRUE) OR (o.final AND o.result = 'expired')
               ELSE false END
        ORDER BY g.ts DESC, g.id DESC LIMIT $11
        """, asOf: 7)

    /// A list that includes filtered candidates (`filtered`, `all`: `$8`). Only published signals have an index by
    /// bar time (0020: generation pays no entry in it for the three quarters of candidates that are filtered), so
    /// each series' newest matching ids come from the series index, and the page is the newest of those (for one
    /// symbol too: its timeframes are series of their own). Every signal's series is in `bar_series`: signals are
    /// made from stored bars.
    static let listAcrossSeriesSQL = sql("""
        SELECT \(columns) \(from)
        WHERE g.id = ANY (ARRAY(   -- the page's ids, then their rows through the primary key
            SELECT x.id FROM bar_series b
            CROSS JOIN LATERAL (
                SELECT g.ts, g.id FROM signals g
                WHERE g.symbol_id = b.symbol_id AND g.timeframe = b.timeframe AND ($8::text = 'all' OR NOT g.published)
                  AND \(listConditions)
                  AND ($5::float8 IS NULL OR coalesce((SELECT new_confidence FROM signal_confidence_history
                                                       WHERE signal_id = g.id AND at <= $T ORDER BY at DESC LIMIT 1),
                                                      g.confidence) >= $5)
                ORDER BY g.ts DESC, g.id DESC LIMIT $11) x
            WHERE ($1::int8 IS NULL OR b.symbol_id = $1) AND ($2::text IS NULL OR b.timeframe = $2)
            ORDER BY x.ts DESC, x.id DESC LIMIT $11))
        ORDER BY g.ts DESC, g.id DESC
        """, asOf: 7)

    /// A page of signals, newest bar first, rendered into `w` as an array; the rows' count and the last
    /// row's (bar time, id) for the next cursor.
    /// `demo` is true when any row shown is demo data.
    public func list(_ f: SignalFilter, into w: inout JSONWriter) throws -> (count: Int, last: (Int64, String)?, more: Bool, demo: Bool) {
        let sql = f.status == "all" || f.status == "filtered" ? Self.listAcrossSeriesSQL : Self.listPublishedSQL
        // Planned with the values each time: which filters are set decides which index serves the page.
        var query = PostgresQuery(sql, binds: [f.symbolID, f.timeframe?.rawValue, f.strategy, f.direction?.rawValue, f.minConfidence,
                                               f.since, f.asOf.map(Double.init), f.status, f.before?.ts, f.before?.id, f.limit + 1])
        query.planWithValues = true
        let rows = try pool.withConnection { try $0.query(query) }
        var count = 0
        var last: (Int64, String)?
        var demo = false
        w.beginArray()
        for row in rows {
            guard count < f.limit else { break }
            try SignalJSON.write(row, into: &w)
            if try row.decode(28, as: Bool.self) { demo = true }
            last = (try row.decode(7), try row.decode(0))
            count += 1
        }
        w.endArray()
        return (count, last, rows.count > f.limit, demo)
    }

    /// One signal rendered with its confidence history, or nil when no signal has that id.
    public func find(id: String, into w: inout JSONWriter) throws -> Bool {
        try pool.withConnection { conn in
            let rows = try conn.query(Self.sql("SELECT \(Self.columns) \(Self.from) WHERE g.id = $1::uuid", asOf: 2), [id, Double?.none])
            guard let row = rows.first else { return false }
            let history = try conn.query("""
                SELECT extract(epoch FROM at)::int8, old_confidence, new_confidence, calibration_version, reason
                FROM signal_confidence_history WHERE signal_id = $1::uuid ORDER BY at
                """, [id])
            try SignalJSON.write(row, into: &w) { w in
                w.key("confidence_history"); w.beginArray()
                for h in history {
                    w.beginObject()
                    w.key("at"); w.string(RFC3339.format(try h.decode(0)))
                    w.key("old"); w.number(try h.decode(1, as: Double.self))
                    w.key("new"); w.number(try h.decode(2, as: Double.self))
                    w.key("calibration_version"); w.number(try h.decode(3, as: Int64.self))
                    w.key("reason"); w.string(try h.decode(4))
                    w.endObject()
                }
                w.endArray()
            }
            return true
        }
    }

    /// Published signals with `seq` above `after` (and at most `through`), oldest first.
    public func published(after seq: Int64, through: Int64 = .max, symbolID: Int64? = nil, timeframe: Timeframe? = nil,
                          limit: Int = 1_000) throws -> [(seq: Int64, symbol: String, timeframe: String, json: [UInt8])] {
        try pool.withConnection { conn in
            try Self.published(after: seq, through: through, symbolID: symbolID, timeframe: timeframe, limit: limit, on: conn)
        }
    }

    static func published(after seq: Int64, through: Int64, symbolID: Int64? = nil, timeframe: Timeframe? = nil, limit: Int,
                          on conn: PostgresConnection) throws -> [(seq: Int64, symbol: String, timeframe: String, json: [UInt8])] {
        let sql = Self.sql("""
            SELECT \(Self.columns) \(Self.from)
            WHERE g.seq > $1 AND g.seq <= $6 AND g.published AND ($2::int8 IS NULL OR g.symbol_id = $2)
              AND ($3::text IS NULL OR g.timeframe = $3)
            ORDER BY g.seq LIMIT $5
            """, asOf: 4)
        return try conn.query(sql, [seq, symbolID, timeframe?.rawValue, Double?.none, limit, through]).map { row in
            var w = JSONWriter(capacity: 2_048)
            try SignalJSON.write(row, into: &w)
            return (try row.decode(29), try row.decode(1), try row.decode(2), w.bytes)
        }
    }

    /// Published signals after `seq` in the order a stream must send them: only up to `visibleThrough`, so
    /// that going on from the last one never passes over a signal committed later (see "Stream order").
    /// `heldBack` is true when signals above that bound are already committed: ask again soon. The bound
    /// is read first, then the rows, on one connection.
    public func publishedInOrder(after seq: Int64, limit: Int = 1_000) throws
        -> (rows: [(seq: Int64, symbol: String, timeframe: String, json: [UInt8])], heldBack: Bool) {
        try pool.withConnection { conn in
            let (through, top) = try Self.visibleThrough(on: conn)
            return (try Self.published(after: seq, through: through, limit: limit, on: conn), through < top)
        }
    }

    /// The highest `seq` a reader following `seq` may pass now (see "Stream order").
    public func visibleThrough() throws -> Int64 {
        try pool.withConnection { conn in try Self.visibleThrough(on: conn).through }
    }

    /// Candidates and, per layer, how many reached it, passed it and were stopped by it; per strategy too.
    public func funnel(timeframe: Timeframe?, symbolID: Int64?) throws -> [(strategy: String, rejectedBy: String?, count: Int)] {
        try pool.withConnection { conn in
            try conn.query("""
                SELECT strategy, rejected_by, count(*)::int8 FROM signals
                WHERE ($1::text IS NULL OR timeframe = $1) AND ($2::int8 IS NULL OR symbol_id = $2)
                GROUP BY 1, 2 ORDER BY 1, 2
                """, [timeframe?.rawValue, symbolID]).map { (try $0.decode(0), $0.isNull(1) ? nil : try $0.decode(1), try $0.decode(2)) }
        }
    }

    // MARK: - JSON of the stored pieces

    static func indicatorsJSON(_ values: [IndicatorValue], into w: inout JSONWriter) {
        w.beginObject()
        for v in values { w.key(v.name); w.number(v.value) }
        w.endObject()
    }
}

enum SignalStoreError: Error, CustomStringConvertible {
    /// A signal's layers are not a prefix of the engine's order, which the stored row's layout relies on.
    case layersOutOfOrder([String])

    var description: String {
        switch self {
        case .layersOutOfOrder(let names): "a signal's layers are not in the engine's order: \(names.joined(separator: ", "))"
        }
    }
}
