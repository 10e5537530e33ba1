import Foundation
import HTTPServer
import Logging
import Market
import Postgres
import Signals

/// What one evaluation did.
public struct EvaluationSummary: Sendable {
    /// False when another process held the evaluation lock (nothing was done).
    public var ran = true
    public var series = 0
    /// Outcomes that became final in this run, and provisional ones (re)written.
    public var finalized = 0
    public var provisional = 0
    /// Calibration versions fitted, the newest version after the run, open signals rescored.
    public var versionsFitted = 0
    public var latestVersion = 0
    public var rescored = 0
    public var driftRecorded = false

    public init(ran: Bool = true) { self.ran = ran }
}

/// The newest calibration versions, shared by generation (the engine's hook) and the reports.
final class CalibrationCache: @unchecked Sendable {
    private let lock = NSLock()
    private var set = CalibrationSet([])
    private var loadedVersion = -1

    /// The set, reloaded when the database holds a newer version than the one cached.
    func current(on conn: PostgresConnection, store: OutcomeStore) throws -> CalibrationSet {
        let latest = try store.latestVersion(on: conn)
        if let s = lock.withLock({ loadedVersion == latest ? set : nil }) { return s }
        let s = try store.calibrationSet(on: conn)
        lock.withLock { set = s; loadedVersion = latest }
        return s
    }
}

/// Scores what signals did, fits walk-forward calibrations from finalized outcomes, rescores open
/// signals with each new version, watches calibration drift. With several replicas, a PostgreSQL
/// advisory lock lets one evaluate at a time; finalized outcomes are never rewritten, so a second run
/// scores nothing twice.
public struct OutcomeService: Sendable {
    let pool: PostgresPool
    let bars: BarStore
    public let store: OutcomeStore
    let cache: CalibrationCache
    let period: Int64
    let logger: Logger
    let changed: @Sendable () -> Void

    /// Drift: the newest version's ECE on at least `driftMinSample` outcomes finalized after it, this much
    /// above its ECE at fit time, is recorded and triggers a refit.
    public static let driftThreshold = 0.05
    public static let driftMinSample = 100
    static let lockKey: Int64 = 0x6753_4556_414C_5541   // "gSEVALUA"

    init(pool: PostgresPool, bars: BarStore, store: OutcomeStore, cache: CalibrationCache, period: Int64, logger: Logger,
         changed: @escaping @Sendable () -> Void) {
        self.pool = pool
        self.bars = bars
        self.store = store
        self.cache = cache
        self.period = period
        self.logger = logger
        self.changed = changed
    }

    /// The calibration generation uses for new signals (walk-forward over history).
    func engineCalibration(on conn: PostgresConnection) throws -> Calibration {
        try cache.current(on: conn, store: store).engineCalibration
    }

    /// Scores the due signals (of some series, or all), then fits, rescores and checks drift.
    /// - Parameter wait: wait for another evaluation to finish (after new bars) instead of skipping (the schedule).
    public func evaluate(symbolIDs: [Int64]? = nil, timeframe: Timeframe? = nil, wait: Bool = false) throws -> EvaluationSummary {
        let summary = try pool.withConnection { conn -> EvaluationSummary in
            if wait {
                _ = try conn.query("SELECT pg_advisory_lock($1)", [Self.lockKey])
            } else if try conn.query("SELECT pg_try_advisory_lock($1)", [Self.lockKey]).first?.decode(0, as: Bool.self) != true {
                return EvaluationSummary(ran: false)
            }
            defer { _ = try? conn.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
            var s = EvaluationSummary()
            try score(symbolIDs: symbolIDs, timeframe: timeframe, on: conn, into: &s)
            try calibrate(on: conn, into: &s)
            return s
        }
        if summary.finalized + summary.provisional + summary.rescored > 0 { changed() }
        return summary
    }

    /// Like `evaluate` after new bars, logging instead of throwing.
    public func evaluateLogged(_ symbol: SymbolRecord, timeframe: Timeframe) {
        do {
            let s = try evaluate(symbolIDs: [symbol.id], timeframe: timeframe, wait: true)
            if s.finalized + s.versionsFitted > 0 {
                logger.info("outcomes scored", metadata: ["symbol": "\(symbol.symbol)", "finalized": "\(s.finalized)",
                                                          "versions": "\(s.versionsFitted)", "rescored": "\(s.rescored)"])
            }
        } catch {
            logger.warning("outcome scoring failed", metadata: ["symbol": "\(symbol.symbol)", "error": "\(error)"])
        }
    }

    func score(symbolIDs: [Int64]?, timeframe: Timeframe?, on conn: PostgresConnection, into s: inout EvaluationSummary) throws {
        for (symbolID, tf) in try store.seriesPending(symbolIDs: symbolIDs, timeframe: timeframe, on: conn) {
            let counts = try conn.transaction { conn -> (finalized: Int, provisional: Int) in
                let pending = try store.pendingSignals(symbolID: symbolID, timeframe: tf, on: conn)
                guard !pending.isEmpty else { return (0, 0) }
                let series = try bars.all(symbolID: symbolID, timeframe: tf, on: conn)
                let rows = Self.score(pending, bars: series)
                return try store.write(rows, symbolID: symbolID, timeframe: tf, on: conn)
            }
            s.series += 1
            s.finalized += counts.finalized
            s.provisional += counts.provisional
        }
    }

    /// Pure: each pending signal scored on the bars after its own (signals whose bar is gone are skipped).
    static func score(_ pending: [PendingSignal], bars: [Bar]) -> [(PendingSignal, Outcome)] {
        var out: [(PendingSignal, Outcome)] = []
        out.reserveCapacity(pending.count)
        var j = 0
        for p in pending {   // both in time order
            while j < bars.count && bars[j].timestamp < p.ts { j += 1 }
            guard j < bars.count, bars[j].timestamp == p.ts else { continue }
            let o = OutcomeRules.score(direction: p.direction, entry: p.entry, stop: p.stop, target: p.target, horizon: p.horizon,
                                       after: bars[(j + 1)...])
            out.append((p, o))
        }
        return out
    }

    func calibrate(on conn: PostgresConnection, into s: inout EvaluationSummary) throws {
        let points = try store.finalizedPoints(on: conn)
        let existing = try store.calibrationSet(on: conn)
        var latestNumber = try store.latestVersion(on: conn)
        guard let through = points.map(\.finalizedAt).max() else { s.latestVersion = latestNumber; return }
        var fitted = CalibrationSet.walkForward(points, after: existing, through: through, period: period, firstVersion: latestNumber + 1)
        try conn.transaction { conn in try store.store(fitted, reason: "walk-forward", on: conn) }
        latestNumber += fitted.count
        // Drift: the newest version on what was finalized after it.
        if let latest = (fitted.last ?? existing.latest) {
            let recent = points.filter { $0.finalizedAt > latest.fittedThrough }
            if recent.count >= Self.driftMinSample {
                let cal = recent.map { ScoredPoint(p: latest.apply($0.strategy, $0.timeframe, $0.p), hit: $0.hit) }
                let eceRecent = Metrics.ece(cal)
                let n = latest.stats.values.reduce(0) { $0 + $1.n }
                let eceFit = n == 0 ? 0 : latest.stats.values.reduce(0.0) { $0 + Double($1.n) * $1.eceCalibrated } / Double(n)
                if eceRecent - eceFit > Self.driftThreshold {
                    let refit = CalibrationSet.fit(points, through: through, version: latestNumber + 1)
                    try conn.transaction { conn in
                        try store.store([refit], reason: "drift", on: conn)
                        try store.recordDrift(version: latest.version, n: recent.count, eceFit: eceFit, eceRecent: eceRecent,
                                              threshold: Self.driftThreshold, refit: refit.version, on: conn)
                    }
                    fitted.append(refit)
                    latestNumber += 1
                    s.driftRecorded = true
                }
            }
        }
        s.versionsFitted = fitted.count
        s.latestVersion = latestNumber
        // Rescoring: every open signal gets the newest version's confidence.
        if let newest = fitted.last {
            var changes: [(id: String, old: Double, new: Double)] = []
            for o in try store.openSignals(on: conn) {
                let p = min(1, max(0, newest.apply(o.strategy, o.timeframe, o.input)))
                if abs(p - o.current) > 1e-12 { changes.append((o.id, o.current, p)) }
            }
            s.rescored = try conn.transaction { conn in
                try store.rescore(changes, version: newest.version, reason: "calibration v\(newest.version)", on: conn)
            }
        }
    }

    // MARK: - The quality report

    /// `GET /api/v1/signals/quality`: out-of-sample figures of published signals' final outcomes, per
    /// strategy with reliability buckets, and per layer what the filtered candidates would have done.
    func quality(timeframe: Timeframe?, strategy: String?, from: Int64?, to: Int64?, into w: inout JSONWriter) throws {
        let set = try pool.withConnection { try cache.current(on: $0, store: store) }
        let rows = try store.reportRows(timeframe: timeframe, strategy: strategy, from: from, to: to)
        let published = rows.filter(\.published)
        func raw(_ rs: [ReportRow]) -> [ScoredPoint] { rs.map { ScoredPoint(p: $0.input, hit: $0.hit) } }
        func calibrated(_ rs: [ReportRow]) -> [ScoredPoint] {
            rs.map { ScoredPoint(p: set.calibrate($0.strategy, $0.timeframe, at: $0.ts, $0.input).0, hit: $0.hit) }
        }
        w.beginObject()
        w.key("calibration_version"); w.number(set.latest?.version ?? 0)
        w.key("hit_rule"); w.string("win = hit, loss = miss, expired = hit when its return after \(OutcomeRules.roundTripCost * 10_000) bp round-trip costs is above 0")
        let r = raw(published), c = calibrated(published)
        w.key("overall"); w.beginObject()
        w.key("n"); w.number(published.count)
        w.key("hit_rate"); w.number(Metrics.hitRate(r))
        w.key("brier_raw"); w.number(Metrics.brier(r))
        w.key("brier_calibrated"); w.number(Metrics.brier(c))
        w.key("ece_raw"); w.number(Metrics.ece(r))
        w.key("ece_calibrated"); w.number(Metrics.ece(c))
        w.key("log_loss_calibrated"); w.number(Metrics.logLoss(c))
        w.key("avg_return"); w.number(published.isEmpty ? 0 : published.reduce(0) { $0 + $1.netReturn } / Double(published.count))
        let rs = published.compactMap(\.rMultiple)
        w.key("avg_r"); w.number(rs.isEmpty ? 0 : rs.reduce(0, +) / Double(rs.count))
        w.endObject()
        w.key("by_strategy"); w.beginArray()
        let groups = Dictionary(grouping: published) { CalibrationVersion.key($0.strategy, $0.timeframe) }
        for key in groups.keys.sorted() {
            let g = groups[key]!
            let gr = raw(g), gc = calibrated(g)
            let gains = g.filter { $0.netReturn > 0 }.reduce(0) { $0 + $1.netReturn }
            let losses = -g.filter { $0.netReturn < 0 }.reduce(0) { $0 + $1.netReturn }
            w.beginObject()
            w.key("strategy"); w.string(g[0].strategy)
            w.key("timeframe"); w.string(g[0].timeframe.rawValue)
            w.key("n"); w.number(g.count)
            w.key("hit_rate"); w.number(Metrics.hitRate(gr))
            w.key("brier_raw"); w.number(Metrics.brier(gr))
            w.key("brier_calibrated"); w.number(Metrics.brier(gc))
            w.key("ece_raw"); w.number(Metrics.ece(gr))
            w.key("ece_calibrated"); w.number(Metrics.ece(gc))
            w.key("profit_factor"); if losses > 0 { w.number(gains / losses) } else { w.null() }
            w.key("buckets"); SignalAccuracy.writeBuckets(Metrics.reliability(gc), into: &w)
            w.endObject()
        }
        w.endArray()
        w.key("by_layer"); w.beginArray()
        for layer in Layer.allCases {
            let rejected = rows.filter { $0.rejectedBy == layer }
            let passed = rows.filter { ($0.rejectedBy?.order ?? Int.max) > layer.order }
            w.beginObject()
            w.key("layer"); w.string(layer.rawValue)
            w.key("rejected"); w.number(rejected.count)
            w.key("rejected_hit_rate"); if rejected.isEmpty { w.null() } else { w.number(Metrics.hitRate(raw(rejected))) }
            w.key("passed_hit_rate"); if passed.isEmpty { w.null() } else { w.number(Metrics.hitRate(raw(passed))) }
            w.endObject()
        }
        w.endArray()
        w.endObject()
    }

    /// The overall figures (for `goldensignals evaluate` and the benchmark).
    public func overall() throws -> [String: Any] {
        var w = JSONWriter(capacity: 8_192)
        try quality(timeframe: nil, strategy: nil, from: nil, to: nil, into: &w)
        return (try JSONSerialization.jsonObject(with: Data(w.bytes)) as? [String: Any]) ?? [:]
    }
}

/// Runs `OutcomeService.evaluate` every `evaluateInterval` seconds; the advisory lock elects one replica.
final class EvaluateScheduler: @unchecked Sendable {
    private let job: PeriodicTask

    init(service: OutcomeService, interval: Double, logger: Logger) {
        job = PeriodicTask(name: "evaluate-scheduler", firstDelay: 10, interval: interval) {
            do {
                let started = Int64(Date().timeIntervalSince1970)
                let s = try service.evaluate()
                if s.ran {
                    logger.info("evaluation", metadata: ["finalized": "\(s.finalized)", "versions": "\(s.versionsFitted)", "rescored": "\(s.rescored)"])
                    JobRuns.record(service.pool, job: "evaluate", started: started, detail: "{\"finalized\":\(s.finalized),\"versions\":\(s.versionsFitted)}", logger: logger)
                }
            } catch {
                logger.warning("evaluation could not run", metadata: ["error": "\(error)"])
            }
        }
    }

    func start() { job.start() }
    func stop() { job.stop(waiting: false) }
}
