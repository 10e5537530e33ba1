import Foundation
import HTTPServer
import Market
import Postgres
import Signals

/// A signal still waiting for a final outcome, as scoring needs it.
struct PendingSignal {
    var id: String
    var ts: Int64
    var direction: Direction
    var entry: Double
    var stop: Double?
    var target: Double?
    var horizon: Int
    var published: Bool
    var strategy: String
    /// raw × quality: what calibrations map.
    var input: Double
    /// Published, or stopped only by the confidence threshold: the population calibrations are fitted on.
    var sample: Bool
}

/// One final outcome as the quality report reads it.
struct ReportRow {
    var strategy: String
    var timeframe: Timeframe
    var ts: Int64
    var published: Bool
    var rejectedBy: Layer?
    var input: Double
    var hit: Bool
    var netReturn: Double
    var rMultiple: Double?
}

/// Reads and writes `signal_outcomes`, `signal_outcome_reports`, `calibrations`, `calibration_drift`
/// and the rescoring rows of `signal_confidence_history`.
public struct OutcomeStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// Announces rescored signals (payload: the highest new `signal_confidence_history.seq`).
    public static let rescoredChannel = "gs_signals_rescored"

    static let writeColumns = """
        signal_id, symbol_id, timeframe, strategy, signal_ts, published, final, result, hit, exit_price, gross_return,
        net_return, mfe, mae, bars_held, r_multiple, same_bar_ambiguous, gap_fill, finalized_at, confidence_input, calibration_sample
        """

    /// A series' published signals that have an outcome, oldest bar first, for signal-outcome dataset labels.
    public func outcomePoints(symbolID: Int64, timeframe: Timeframe) throws -> [SignalOutcomePoint] {
        try pool.withConnection { conn in
            try conn.query("""
                SELECT extract(epoch FROM o.signal_ts)::int8, o.strategy, g.confidence, o.final,
                       CASE o.result WHEN 'win' THEN 1 WHEN 'loss' THEN -1 ELSE 0 END, o.net_return
                FROM signal_outcomes o JOIN signals g ON g.id = o.signal_id
                WHERE o.symbol_id = $1 AND o.timeframe = $2 AND o.published
                ORDER BY o.signal_ts, o.strategy
                """, [symbolID, timeframe.rawValue]).map { row in
                SignalOutcomePoint(time: try row.decode(0), strategy: try row.decode(1), confidence: try row.decode(2),
                                   final: try row.decode(3), result: Double(try row.decode(4) as Int64), netReturn: try row.decode(5))
            }
        }
    }

    /// Series with at least one signal that has no final outcome.
    func seriesPending(symbolIDs: [Int64]?, timeframe: Timeframe?, on conn: PostgresConnection) throws -> [(Int64, Timeframe)] {
        try conn.query("""
            SELECT DISTINCT g.symbol_id, g.timeframe FROM signals g LEFT JOIN signal_outcomes o ON o.signal_id = g.id
            WHERE (o.signal_id IS NULL OR NOT o.final) AND ($1::int8[] IS NULL OR g.symbol_id = ANY($1))
              AND ($2::text IS NULL OR g.timeframe = $2)
            ORDER BY 1, 2
            """, [symbolIDs, timeframe?.rawValue]).compactMap { row in
            guard let tf = Timeframe(rawValue: try row.decode(1)) else { return nil }
            return (try row.decode(0, as: Int64.self), tf)
        }
    }

    func pendingSignals(symbolID: Int64, timeframe: Timeframe, on conn: PostgresConnection) throws -> [PendingSignal] {
        var out: [PendingSignal] = []
        _ = try conn.queryBinary(PostgresQuery("""
            SELECT g.id::text, g.ts, g.direction, g.entry_price, g.stop_loss, g.take_profit, g.horizon_bars::int8, g.published,
                   g.strategy, g.confidence_raw * g.quality, g.published OR g.rejected_by = 'confidence_threshold'
            FROM signals g LEFT JOIN signal_outcomes o ON o.signal_id = g.id
            WHERE g.symbol_id = $1 AND g.timeframe = $2 AND (o.signal_id IS NULL OR NOT o.final)
            ORDER BY g.ts
            """, binds: [symbolID, timeframe.rawValue])) { row in
            out.append(PendingSignal(id: try row.string(0), ts: try row.unixSeconds(1),
                                     direction: try row.string(2) == "short" ? .short : .long, entry: try row.double(3),
                                     stop: row.isNull(4) ? nil : try row.double(4), target: row.isNull(5) ? nil : try row.double(5),
                                     horizon: Int(try row.int64(6)), published: try row.bool(7), strategy: try row.string(8),
                                     input: try row.double(9), sample: try row.bool(10)))
        }
        return out
    }

    /// Stores outcomes; a final one is never rewritten. Runs in the caller's transaction, and queues the
    /// `signal.closed` webhook of each published signal whose outcome became final in it.
    /// - Returns: how many rows became final and how many are provisional.
    func write(_ rows: [(PendingSignal, Outcome)], symbolID: Int64, timeframe: Timeframe, on conn: PostgresConnection) throws
        -> (finalized: Int, provisional: Int) {
        guard !rows.isEmpty else { return (0, 0) }
        try conn.execute("CREATE TEMP TABLE IF NOT EXISTS outcomes_stage (LIKE signal_outcomes INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
        _ = try conn.copyIn("COPY outcomes_stage (\(Self.writeColumns)) FROM STDIN") { w in
            for (s, o) in rows {
                try w.appendRow([
                    s.id, String(symbolID), timeframe.rawValue, s.strategy, RFC3339.format(s.ts), s.published ? "t" : "f",
                    o.provisional ? "f" : "t", o.result.rawValue, o.hit ? "t" : "f", d(o.exitPrice), d(o.grossReturn),
                    d(o.netReturn), d(o.mfe), d(o.mae), String(o.barsHeld), o.rMultiple.map(d), o.sameBarAmbiguous ? "t" : "f",
                    o.gapFill ? "t" : "f", o.finalizedAt.map { RFC3339.format($0) }, d(s.input), s.sample ? "t" : "f",
                ])
            }
        }
        let written = try conn.query("""
            INSERT INTO signal_outcomes (\(Self.writeColumns)) SELECT \(Self.writeColumns) FROM outcomes_stage
            ON CONFLICT (signal_id) DO UPDATE SET final = EXCLUDED.final, result = EXCLUDED.result, hit = EXCLUDED.hit,
                exit_price = EXCLUDED.exit_price, gross_return = EXCLUDED.gross_return, net_return = EXCLUDED.net_return,
                mfe = EXCLUDED.mfe, mae = EXCLUDED.mae, bars_held = EXCLUDED.bars_held, r_multiple = EXCLUDED.r_multiple,
                same_bar_ambiguous = EXCLUDED.same_bar_ambiguous, gap_fill = EXCLUDED.gap_fill,
                finalized_at = EXCLUDED.finalized_at, scored_at = now()
            WHERE NOT signal_outcomes.final
            RETURNING final, published, signal_id::text
            """, [])
        var finalized = 0
        var closed: [String] = []
        for row in written where try row.decode(0, as: Bool.self) {
            finalized += 1
            if try row.decode(1, as: Bool.self) { closed.append(try row.decode(2)) }
        }
        try WebhookStore.queue(.signalClosed, for: .ids(closed), latestConfidence: true, on: conn)
        return (finalized, written.count - finalized)
    }

    /// Every final outcome of the calibration population, as fitting needs it.
    func finalizedPoints(on conn: PostgresConnection) throws -> [FinalizedPoint] {
        var out: [FinalizedPoint] = []
        _ = try conn.queryBinary(PostgresQuery("""
            SELECT strategy, timeframe, confidence_input, hit, finalized_at FROM signal_outcomes
            WHERE final AND calibration_sample
            """, binds: [])) { row in
            guard let tf = Timeframe(rawValue: try row.string(1)) else { return }
            out.append(FinalizedPoint(strategy: try row.string(0), timeframe: tf, p: try row.double(2), hit: try row.bool(3),
                                      finalizedAt: try row.unixSeconds(4)))
        }
        return out
    }

    // MARK: - Calibrations

    /// Every stored calibration version.
    public func calibrationSet() throws -> CalibrationSet { try pool.withConnection { try calibrationSet(on: $0) } }

    func calibrationSet(on conn: PostgresConnection) throws -> CalibrationSet {
        var byVersion: [Int: CalibrationVersion] = [:]
        for row in try conn.query("""
            SELECT version, strategy, timeframe, extract(epoch FROM fitted_through)::int8, params, n, base_rate, brier_raw,
                   brier_calibrated, ece_raw, ece_calibrated
            FROM calibrations ORDER BY version
            """, []) {
            let v = Int(try row.decode(0, as: Int64.self))
            guard let tf = Timeframe(rawValue: try row.decode(2)) else { continue }
            let key = CalibrationVersion.key(try row.decode(1), tf)
            let through: Int64 = try row.decode(3)
            var cv = byVersion[v] ?? CalibrationVersion(version: v, fittedThrough: through, curves: [:], stats: [:])
            cv.curves[key] = Self.parseCurve(try row.decode(4))
            cv.stats[key] = FitStatistics(n: Int(try row.decode(5, as: Int64.self)), baseRate: try row.decode(6), brierRaw: try row.decode(7),
                                          brierCalibrated: try row.decode(8), eceRaw: try row.decode(9), eceCalibrated: try row.decode(10))
            byVersion[v] = cv
        }
        return CalibrationSet(Array(byVersion.values))
    }

    /// The newest version number stored (0 when none).
    func latestVersion(on conn: PostgresConnection) throws -> Int {
        Int(try conn.query("SELECT coalesce(max(version), 0)::int8 FROM calibrations", []).first?.decode(0, as: Int64.self) ?? 0)
    }

    func store(_ versions: [CalibrationVersion], reason: String, on conn: PostgresConnection) throws {
        guard !versions.isEmpty else { return }
        _ = try conn.copyIn("""
            COPY calibrations (version, strategy, timeframe, method, fitted_through, reason, params, n, base_rate, brier_raw,
                               brier_calibrated, ece_raw, ece_calibrated) FROM STDIN
            """) { w in
            for v in versions {
                for (key, curve) in v.curves.sorted(by: { $0.key < $1.key }) {
                    let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
                    let st = v.stats[key]
                    try w.appendRow([
                        String(v.version), parts[0], parts[1], curve.isIdentity ? "identity" : "isotonic", RFC3339.format(v.fittedThrough),
                        reason, Self.curveJSON(curve), String(st?.n ?? 0), d(st?.baseRate ?? 0), d(st?.brierRaw ?? 0),
                        d(st?.brierCalibrated ?? 0), d(st?.eceRaw ?? 0), d(st?.eceCalibrated ?? 0),
                    ])
                }
            }
        }
    }

    static func curveJSON(_ c: CalibrationCurve) -> String {
        "{\"x\":[" + c.xs.map(d).joined(separator: ",") + "],\"y\":[" + c.ys.map(d).joined(separator: ",") + "]}"
    }

    static func parseCurve(_ text: String) -> CalibrationCurve {
        guard let o = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let xs = (o["x"] as? [NSNumber])?.map(\.doubleValue), let ys = (o["y"] as? [NSNumber])?.map(\.doubleValue),
              xs.count == ys.count else { return .identity }
        return CalibrationCurve(xs: xs, ys: ys)
    }

    func recordDrift(version: Int, n: Int, eceFit: Double, eceRecent: Double, threshold: Double, refit: Int?,
                     on conn: PostgresConnection) throws {
        _ = try conn.query("""
            INSERT INTO calibration_drift (version, n, ece_fit, ece_recent, threshold, refit_version) VALUES ($1, $2, $3, $4, $5, $6)
            """, [version, n, eceFit, eceRecent, threshold, refit])
    }

    // MARK: - Rescoring

    /// Published signals without a final outcome: (id, strategy, timeframe, input, current confidence).
    func openSignals(on conn: PostgresConnection) throws -> [(id: String, strategy: String, timeframe: Timeframe, input: Double, current: Double)] {
        try conn.query("""
            SELECT g.id::text, g.strategy, g.timeframe, g.confidence_raw * g.quality,
                   coalesce((SELECT h.new_confidence FROM signal_confidence_history h WHERE h.signal_id = g.id ORDER BY h.at DESC LIMIT 1),
                            g.confidence)
            FROM signals g JOIN signal_outcomes o ON o.signal_id = g.id
            WHERE g.published AND NOT o.final
            """, []).compactMap { row in
            guard let tf = Timeframe(rawValue: try row.decode(2)) else { return nil }
            return (try row.decode(0), try row.decode(1), tf, try row.decode(3), try row.decode(4))
        }
    }

    /// Records new confidences and announces them. - Returns: rows written.
    func rescore(_ changes: [(id: String, old: Double, new: Double)], version: Int, reason: String, on conn: PostgresConnection) throws -> Int {
        guard !changes.isEmpty else { return 0 }
        let rows = try conn.query("""
            INSERT INTO signal_confidence_history (signal_id, at, old_confidence, new_confidence, calibration_version, reason)
            SELECT u.id, clock_timestamp(), u.old, u.new, $4, $5
            FROM unnest($1::uuid[], $2::float8[], $3::float8[]) AS u(id, old, new)
            RETURNING seq
            """, [changes.map(\.id), changes.map(\.old), changes.map(\.new), version, reason])
        let top = try rows.map { try $0.decode(0, as: Int64.self) }.max() ?? 0
        try conn.notify(Self.rescoredChannel, payload: String(top))
        return rows.count
    }

    /// Rescoring rows after `seq`, oldest first, with the signal's symbol and timeframe (for the stream).
    public func rescored(after seq: Int64, limit: Int = 1_000) throws
        -> [(seq: Int64, symbol: String, timeframe: String, json: [UInt8])] {
        try pool.withConnection { conn in
            try conn.query("""
                SELECT h.seq, s.symbol, g.timeframe, g.id::text, h.old_confidence, h.new_confidence, h.calibration_version,
                       h.reason, extract(epoch FROM h.at)::int8
                FROM signal_confidence_history h JOIN signals g ON g.id = h.signal_id JOIN symbols s ON s.id = g.symbol_id
                WHERE h.seq > $1 ORDER BY h.seq LIMIT $2
                """, [seq, limit]).map { row in
                var w = JSONWriter(capacity: 256)
                w.beginObject()
                w.key("id"); w.string(try row.decode(3))
                w.key("symbol"); w.string(try row.decode(1))
                w.key("timeframe"); w.string(try row.decode(2))
                w.key("old"); w.number(try row.decode(4, as: Double.self))
                w.key("new"); w.number(try row.decode(5, as: Double.self))
                w.key("confidence"); w.number(try row.decode(5, as: Double.self))
                w.key("calibration_version"); w.number(try row.decode(6, as: Int64.self))
                w.key("reason"); w.string(try row.decode(7))
                w.key("at"); w.string(RFC3339.format(try row.decode(8)))
                w.endObject()
                return (try row.decode(0), try row.decode(1), try row.decode(2), w.bytes)
            }
        }
    }

    public func latestRescoreSeq() throws -> Int64 {
        try pool.withConnection { try $0.query("SELECT coalesce(max(seq), 0)::int8 FROM signal_confidence_history", []).first?.decode(0) ?? 0 }
    }

    // MARK: - Reports

    func reportRows(timeframe: Timeframe?, strategy: String?, from: Int64?, to: Int64?) throws -> [ReportRow] {
        var out: [ReportRow] = []
        try pool.withConnection { conn in
            _ = try conn.queryBinary(PostgresQuery("""
                SELECT o.strategy, o.timeframe, o.signal_ts, o.published, coalesce(g.rejected_by, ''), o.confidence_input, o.hit,
                       o.net_return, o.r_multiple
                FROM signal_outcomes o JOIN signals g ON g.id = o.signal_id
                WHERE o.final AND ($1::text IS NULL OR o.timeframe = $1) AND ($2::text IS NULL OR o.strategy = $2)
                  AND ($3::int8 IS NULL OR o.signal_ts >= to_timestamp($3)) AND ($4::int8 IS NULL OR o.signal_ts <= to_timestamp($4))
                ORDER BY o.signal_ts
                """, binds: [timeframe?.rawValue, strategy, from, to])) { row in
                guard let tf = Timeframe(rawValue: try row.string(1)) else { return }
                out.append(ReportRow(strategy: try row.string(0), timeframe: tf, ts: try row.unixSeconds(2), published: try row.bool(3),
                                     rejectedBy: Layer(rawValue: try row.string(4)), input: try row.double(5), hit: try row.bool(6),
                                     netReturn: try row.double(7), rMultiple: row.isNull(8) ? nil : try row.double(8)))
            }
        }
        return out
    }

    // MARK: - Client reports

    /// A client's report as stored.
    struct ClientReport {
        var id: Int64
        var result: String
        var exitPrice: Double?
        var closedAt: Int64?
        var notes: String?
        var bodyHash: String
        var reportedAt: Int64
    }

    /// Stores a report unless (signal, source) has one. - Returns: the stored report and whether it is new;
    /// nil when no signal has that id.
    func report(signalID: String, source: String, result: String, exitPrice: Double?, closedAt: Int64?, notes: String?,
                bodyHash: String) throws -> (ClientReport, created: Bool)? {
        try pool.withConnection { conn in
            guard try !conn.query("SELECT 1 FROM signals WHERE id = $1::uuid", [signalID]).isEmpty else { return nil }
            let cols = "id, result, exit_price, extract(epoch FROM closed_at)::int8, notes, body_hash, extract(epoch FROM reported_at)::int8"
            var created = true
            var rows = try conn.query("""
                INSERT INTO signal_outcome_reports (signal_id, source, result, exit_price, closed_at, notes, body_hash)
                VALUES ($1::uuid, $2, $3, $4, to_timestamp($5::int8), $6, $7)
                ON CONFLICT (signal_id, source) DO NOTHING RETURNING \(cols)
                """, [signalID, source, result, exitPrice, closedAt, notes, bodyHash])
            if rows.isEmpty {
                created = false
                rows = try conn.query("SELECT \(cols) FROM signal_outcome_reports WHERE signal_id = $1::uuid AND source = $2", [signalID, source])
            }
            guard let r = rows.first else { return nil }
            return (ClientReport(id: try r.decode(0), result: try r.decode(1), exitPrice: r.isNull(2) ? nil : try r.decode(2),
                                 closedAt: r.isNull(3) ? nil : try r.decode(3), notes: r.isNull(4) ? nil : try r.decode(4),
                                 bodyHash: try r.decode(5), reportedAt: try r.decode(6)), created)
        }
    }
}

/// Shortest round-trip text of a Double, for COPY.
private func d(_ x: Double) -> String { x.description }
