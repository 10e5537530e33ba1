import Foundation
import HTTPServer
import Market
import Postgres
import Signals

/// Hit rate and calibration error of published signals with a final outcome: overall, per strategy (with
/// reliability buckets and the windows the anomaly rules compare), and per day of signal time.
///
/// Confidence is the calibrated confidence out of sample (each outcome calibrated by the version in force
/// at its signal's bar, as `GET /api/v1/signals/quality` does); calibration error is the expected calibration
/// error over ten equal-width bins (`Metrics.ece`).
public struct SignalAccuracy: Sendable {
    public struct Figures: Sendable, Equatable {
        public var n: Int
        public var hitRate: Double
        public var calibrationError: Double
        public var brier: Double
    }

    public struct Strategy: Sendable {
        public var name: String
        public var figures: Figures
        public var buckets: [Metrics.Bucket]
        /// Windows of `window` outcomes by signal time, oldest first (the last may be the only partial one: none is).
        public var windows: [AnomalyRules.AccuracyWindow]
    }

    public struct Day: Sendable, Equatable {
        /// Midnight UTC of the signals' bar day (Unix seconds).
        public var day: Int64
        public var n: Int
        public var hits: Int
        /// Outcomes and hits of signals in the `trailingDays` days ending with this one.
        public var nTrailing: Int
        public var hitsTrailing: Int
    }

    public var overall: Figures
    public var strategies: [Strategy]
    /// The newest `days` days with outcomes, oldest first.
    public var daily: [Day]
    public var calibrationVersion: Int

    /// The trailing window of the daily series (calendar days).
    public static let trailingDays: Int64 = 90

    static func figures(_ pts: [ScoredPoint]) -> Figures {
        Figures(n: pts.count, hitRate: Metrics.hitRate(pts), calibrationError: Metrics.ece(pts), brier: Metrics.brier(pts))
    }

    /// Computes everything from (strategy, bar time, calibrated confidence, hit) rows in time order.
    static func compute(_ rows: [(strategy: String, ts: Int64, p: Double, hit: Bool)], version: Int, window: Int, days: Int = 180) -> SignalAccuracy {
        let overall = figures(rows.map { ScoredPoint(p: $0.p, hit: $0.hit) })
        var byStrategy: [String: [ScoredPoint]] = [:]
        for r in rows { byStrategy[r.strategy, default: []].append(ScoredPoint(p: r.p, hit: r.hit)) }
        let strategies = byStrategy.keys.sorted().map { name -> Strategy in
            let pts = byStrategy[name]!
            var windows: [AnomalyRules.AccuracyWindow] = []
            var end = pts.count
            while end - window >= 0 {   // full windows, counted back from the newest outcome
                let w = Array(pts[(end - window)..<end])
                windows.append(AnomalyRules.AccuracyWindow(hitRate: Metrics.hitRate(w), calibrationError: Metrics.ece(w)))
                end -= window
            }
            return Strategy(name: name, figures: figures(pts), buckets: Metrics.reliability(pts), windows: windows.reversed())
        }
        // Days with outcomes, and a trailing sum over `trailingDays` kept with two pointers.
        var perDay: [(Int64, Int, Int)] = []
        for r in rows {
            let d = r.ts - ((r.ts % 86_400) + 86_400) % 86_400
            if let last = perDay.last, last.0 == d {
                perDay[perDay.count - 1].1 += 1
                perDay[perDay.count - 1].2 += r.hit ? 1 : 0
            } else {
                perDay.append((d, 1, r.hit ? 1 : 0))
            }
        }
        var daily: [Day] = []
        var lo = 0, nT = 0, hT = 0
        for (i, d) in perDay.enumerated() {
            nT += d.1; hT += d.2
            while perDay[lo].0 <= d.0 - trailingDays * 86_400 { nT -= perDay[lo].1; hT -= perDay[lo].2; lo += 1 }
            if i >= perDay.count - days { daily.append(Day(day: d.0, n: d.1, hits: d.2, nTrailing: nT, hitsTrailing: hT)) }
        }
        return SignalAccuracy(overall: overall, strategies: strategies, daily: daily, calibrationVersion: version)
    }

    /// Reads the rows and computes (the calibrations are those `set` holds).
    static func load(on conn: PostgresConnection, set: CalibrationSet, window: Int) throws -> SignalAccuracy {
        var rows: [(strategy: String, ts: Int64, p: Double, hit: Bool)] = []
        _ = try conn.queryBinary(PostgresQuery("""
            SELECT strategy, timeframe, signal_ts, confidence_input, hit FROM signal_outcomes
            WHERE final AND published ORDER BY signal_ts
            """, binds: [])) { row in
            guard let tf = Timeframe(rawValue: try row.string(1)) else { return }
            let strategy = try row.string(0), ts = try row.unixSeconds(2)
            rows.append((strategy, ts, set.calibrate(strategy, tf, at: ts, try row.double(3)).0, try row.bool(4)))
        }
        return compute(rows, version: set.latest?.version ?? 0, window: window)
    }

    /// What changes whenever the figures or the funnel could: final outcomes (never rewritten once final, so
    /// their count tells), the newest calibration version, and new candidates, published or filtered. A series'
    /// candidates are stored with its scan mark moved forward, in one transaction, and marks never move back,
    /// so the sum of the marks grows with every store (one row per series; the rest are index reads).
    static func fingerprint(on conn: PostgresConnection) throws -> String {
        let row = try conn.query("""
            SELECT (SELECT count(*) FROM signal_outcomes WHERE final)::text || '/' ||
                   coalesce((SELECT max(version)::text FROM calibrations), '') || '/' ||
                   coalesce((SELECT count(*)::text || ':' || sum(extract(epoch FROM through_ts))::text FROM signal_scans), '')
            """, []).first
        return try row?.decode(0) ?? ""
    }

    /// Reliability buckets as the API writes them (here and in `GET /api/v1/signals/quality`), with Wilson intervals.
    static func writeBuckets(_ buckets: [Metrics.Bucket], into w: inout JSONWriter) {
        w.beginArray()
        for b in buckets {
            w.beginObject()
            w.key("lo"); w.number(b.lo); w.key("hi"); w.number(b.hi); w.key("n"); w.number(b.n)
            w.key("mean_confidence"); w.number(b.meanConfidence); w.key("hit_rate"); w.number(b.hitRate)
            w.key("ci_low"); w.number(b.ciLow); w.key("ci_high"); w.number(b.ciHigh)
            w.endObject()
        }
        w.endArray()
    }

    /// Writes the dashboard's `signal_accuracy` object.
    func write(into w: inout JSONWriter) {
        func figs(_ f: Figures) {
            w.key("n"); w.number(f.n)
            w.key("hit_rate"); if f.n > 0 { w.number(f.hitRate) } else { w.null() }
            w.key("calibration_error"); if f.n > 0 { w.number(f.calibrationError) } else { w.null() }
            w.key("brier"); if f.n > 0 { w.number(f.brier) } else { w.null() }
        }
        w.beginObject()
        w.key("calibration_version"); w.number(calibrationVersion)
        w.key("confidence"); w.string("calibrated out of sample (the version in force at each signal's bar)")
        w.key("calibration_error_method"); w.string("expected calibration error, 10 equal-width bins")
        w.key("overall"); w.beginObject(); figs(overall); w.endObject()
        w.key("by_strategy"); w.beginArray()
        for s in strategies {
            w.beginObject()
            w.key("strategy"); w.string(s.name)
            figs(s.figures)
            w.key("reliability"); Self.writeBuckets(s.buckets, into: &w)
            w.endObject()
        }
        w.endArray()
        w.key("daily"); w.beginArray()
        for d in daily {
            w.beginObject()
            w.key("date"); w.string(String(RFC3339.format(d.day).prefix(10)))
            w.key("n"); w.number(d.n)
            w.key("hit_rate"); w.number(Double(d.hits) / Double(d.n))
            w.key("n_90d"); w.number(d.nTrailing)
            w.key("hit_rate_90d"); w.number(Double(d.hitsTrailing) / Double(max(1, d.nTrailing)))
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }
}
