import Foundation
import Logging
import Market
import MarketProviders
import Postgres
import Signals

/// Remembers when the database stopped answering, from the pool's connect failures and the detector's
/// pings, until it answers again; then the outage is recorded as a resolved `database_unreachable` anomaly.
public final class DatabaseOutageTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var since: Int64?
    private var lastFailure: Int64 = 0
    private var failures = 0

    public init() {}

    /// A failed connection attempt or ping.
    public func noteFailure(at t: Int64 = Int64(Date().timeIntervalSince1970)) {
        lock.withLock {
            if since == nil { since = t }
            lastFailure = t
            failures += 1
        }
    }

    /// The outage in progress, if any.
    var current: (from: Int64, to: Int64, failures: Int)? {
        lock.withLock { since.map { ($0, lastFailure, failures) } }
    }

    /// Forgets the outage once recorded (a failure noted meanwhile starts a new one).
    func clear(ifFrom from: Int64) {
        lock.withLock { if since == from { since = nil; failures = 0 } }
    }
}

/// Finds anomalies on a schedule and keeps `anomalies` current: each round opens or updates what it finds
/// and resolves what cleared. With several replicas an advisory lock elects the one that writes; every
/// replica records database outages it saw and refreshes its own accuracy and anomaly gauges.
public final class AnomalyDetector: @unchecked Sendable {
    static let lockKey: Int64 = 0x6753_414E_4F4D_4C59   // "gSANOMLY"

    let pool: PostgresPool
    let store: AnomalyStore
    let outcomes: OutcomeService
    let metrics: MetricsRegistry
    let outages: DatabaseOutageTracker
    /// Circuit state per provider (set by `Application`; none until the provider chain exists).
    var circuits: @Sendable () -> [String: String] {
        get { lock.withLock { circuitSource } }
        set { lock.withLock { circuitSource = newValue } }
    }
    private var circuitSource: @Sendable () -> [String: String] = { [:] }
    let thresholds: AnomalyThresholds
    let logger: Logger
    /// The accuracy figures and the fingerprint they were computed at (shared with the dashboard).
    let accuracy: AccuracyCache

    private let lock = NSLock()
    /// This process among the replicas (its row of `replica_http_windows`).
    let instance = ProcessInfo.processInfo.hostName + ":\(getpid()):" + UUID().uuidString.prefix(8).lowercased()
    /// Seconds between rounds (windows of replicas that missed two rounds are left out).
    private var interval: Double = 60
    /// HTTP totals at the previous round (requests, 5xx, cumulative latency buckets).
    private var previousHTTP: AnomalyRules.HTTPWindow?
    /// Final outcomes per (strategy, result) already added to `gs_signal_outcomes_total`.
    private var outcomesCounted: [String: Int] = [:]
    private var job: PeriodicTask?

    init(pool: PostgresPool, store: AnomalyStore, outcomes: OutcomeService, metrics: MetricsRegistry, outages: DatabaseOutageTracker,
         accuracy: AccuracyCache, thresholds: AnomalyThresholds = AnomalyThresholds(), logger: Logger) {
        self.pool = pool
        self.store = store
        self.outcomes = outcomes
        self.metrics = metrics
        self.outages = outages
        self.accuracy = accuracy
        self.thresholds = thresholds
        self.logger = logger
    }

    func start(interval: Double) {
        guard interval > 0 else { return }
        lock.withLock { self.interval = interval }
        let job = PeriodicTask(name: "anomaly-detector", firstDelay: min(interval, 5), interval: interval) { [self] in
            do { try runOnce() } catch { logger.warning("anomaly detection could not run", metadata: ["error": "\(error)"]) }
        }
        lock.withLock { self.job = job }
        job.start()
    }

    func stop() { lock.withLock { job }?.stop(waiting: false) }

    /// What a round did.
    public struct Round: Sendable {
        public var elected = false
        public var findings: [AnomalyFinding] = []
        public var opened = 0
        public var resolved = 0
        public var outageRecorded = false
    }

    /// One round: ping; record an outage that ended; refresh gauges; if elected, detect and write.
    @discardableResult
    public func runOnce(now: Int64 = Int64(Date().timeIntervalSince1970)) throws -> Round {
        var round = Round()
        guard pool.ping(timeout: 1) else {
            outages.noteFailure(at: now)
            return round
        }
        if let outage = outages.current {
            try pool.withConnection { try store.recordOutage(from: outage.from, to: outage.to, failures: outage.failures, on: $0) }
            outages.clear(ifFrom: outage.from)
            round.outageRecorded = true
            logger.warning("the database answers again", metadata: ["unreachable_from": "\(RFC3339.format(outage.from))"])
        }
        let http = httpWindow()
        let acc = try accuracy.current().accuracy
        try pool.withConnection { conn in
            try refreshOutcomeMetrics(acc, on: conn)
            if let http { try publish(http, on: conn) }   // every replica, elected or not
            guard try conn.query("SELECT pg_try_advisory_lock($1)", [Self.lockKey]).first?.decode(0, as: Bool.self) == true else { return }
            defer { _ = try? conn.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
            round.elected = true
            let runID: Int64 = try conn.query("INSERT INTO job_runs (job, instance) VALUES ('anomalies', $1) RETURNING id",
                                              [ProcessInfo.processInfo.hostName + ":\(getpid())"]).first!.decode(0)
            var findings: [AnomalyFinding] = []
            var checked: Set<AnomalyKind> = [.providerErrorSpike, .circuitOpen, .staleData, .priceJump, .hitRateDrop, .calibrationErrorRise]
            findings += AnomalyRules.providers(try providerWindows(now: now, on: conn), circuits: circuits(), t: thresholds)
            let fresh = try freshness(on: conn)
            findings += AnomalyRules.stale(fresh.daily, now: now, t: thresholds)
            findings += AnomalyRules.staleIntraday(fresh.intraday, now: now, t: thresholds)
            findings += AnomalyRules.jumps(try flaggedJumps(on: conn), t: thresholds)
            for s in acc.strategies { findings += AnomalyRules.accuracy(strategy: s.name, windows: s.windows, t: thresholds) }
            if let all = AnomalyRules.HTTPWindow.sum(try replicaWindows(on: conn)) {
                checked.formUnion([.latencySpike, .serverErrorSpike])
                findings += AnomalyRules.http(all, t: thresholds)
            }
            let applied = try store.apply(findings, checked: checked, on: conn)
            (round.findings, round.opened, round.resolved) = (findings, applied.opened, applied.resolved)
            try conn.query("UPDATE job_runs SET finished_at = now(), status = 'ok', detail = $2::jsonb WHERE id = $1",
                           [runID, PostgresJSON("{\"found\":\(findings.count),\"opened\":\(applied.opened),\"resolved\":\(applied.resolved)}")])
        }
        let open = try pool.withConnection { try store.openCounts(on: $0) }
        for kind in AnomalyKind.allCases { metrics.setAnomaliesOpen(kind: kind.rawValue, open[kind.rawValue] ?? 0) }
        return round
    }

    // MARK: Observations

    /// HTTP traffic since the previous call (nil on the first, which only sets the baseline).
    func httpWindow() -> AnomalyRules.HTTPWindow? {
        var requests = 0.0, errors = 0.0
        var buckets: [Double: Double] = [:]
        for family in MetricsSnapshot.parse(metrics.render()) {
            if family.name == "gs_http_requests_total" {
                for s in family.samples {
                    requests += s.value
                    if s.labels.contains(where: { $0.0 == "status" && $0.1.hasPrefix("5") }) { errors += s.value }
                }
            } else if family.name == "gs_http_request_duration_seconds" {
                for s in family.samples where s.name.hasSuffix("_bucket") {
                    guard let le = s.labels.first(where: { $0.0 == "le" }).map({ $0.1 == "+Inf" ? Double.infinity : Double($0.1) ?? .nan }),
                          !le.isNaN else { continue }
                    buckets[le, default: 0] += s.value
                }
            }
        }
        let now = AnomalyRules.HTTPWindow(requests: requests, serverErrors: errors,
                                          buckets: buckets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        return lock.withLock {
            defer { previousHTTP = now }
            guard let before = previousHTTP else { return nil }
            let prior = Dictionary(before.buckets.map { ($0.le, $0.count) }, uniquingKeysWith: { a, _ in a })
            return AnomalyRules.HTTPWindow(requests: now.requests - before.requests, serverErrors: now.serverErrors - before.serverErrors,
                                           buckets: now.buckets.map { ($0.le, $0.count - (prior[$0.le] ?? 0)) })
        }
    }

    /// Stores this replica's HTTP window for the elected detector.
    func publish(_ w: AnomalyRules.HTTPWindow, on conn: PostgresConnection) throws {
        func array(_ values: [Double]) -> String { "{" + values.map { $0.isInfinite ? "Infinity" : "\($0)" }.joined(separator: ",") + "}" }
        try conn.query("""
            INSERT INTO replica_http_windows (instance, ended_at, requests, server_errors, bucket_bounds, bucket_counts)
            VALUES ($1, now(), $2, $3, $4::float8[], $5::float8[])
            ON CONFLICT (instance) DO UPDATE SET ended_at = now(), requests = EXCLUDED.requests, server_errors = EXCLUDED.server_errors,
                bucket_bounds = EXCLUDED.bucket_bounds, bucket_counts = EXCLUDED.bucket_counts
            """, [instance, w.requests, w.serverErrors, array(w.buckets.map(\.le)), array(w.buckets.map(\.count))])
    }

    /// The latest HTTP window of every replica that ran a round lately (within two intervals and a bit);
    /// windows of replicas gone for a day are deleted.
    func replicaWindows(on conn: PostgresConnection) throws -> [AnomalyRules.HTTPWindow] {
        try conn.query("DELETE FROM replica_http_windows WHERE ended_at < now() - interval '1 day'", [])
        let maxAge = 2 * lock.withLock { interval } + 30
        var windows: [String: AnomalyRules.HTTPWindow] = [:]
        for row in try conn.query("""
            SELECT w.instance, w.requests, w.server_errors, b.le = 'Infinity', CASE WHEN b.le = 'Infinity' THEN 0 ELSE b.le END, b.n
            FROM replica_http_windows w
            LEFT JOIN LATERAL unnest(w.bucket_bounds, w.bucket_counts) AS b(le, n) ON true   -- a replica that served nothing yet
            WHERE w.ended_at > now() - make_interval(secs => $1)
            ORDER BY w.instance, b.le
            """, [maxAge]) {
            let name: String = try row.decode(0)
            if windows[name] == nil {
                windows[name] = AnomalyRules.HTTPWindow(requests: try row.decode(1), serverErrors: try row.decode(2), buckets: [])
            }
            guard !row.isNull(5) else { continue }
            let le: Double = try row.decode(3, as: Bool.self) ? .infinity : try row.decode(4)
            windows[name]?.buckets.append((le, try row.decode(5)))
        }
        return windows.keys.sorted().compactMap { windows[$0] }
    }

    func providerWindows(now: Int64, on conn: PostgresConnection) throws -> [AnomalyRules.ProviderWindow] {
        try conn.query("""
            SELECT provider, count(*)::int8, count(error)::int8,
                   (array_agg(error ORDER BY called_at DESC) FILTER (WHERE error IS NOT NULL))[1]
            FROM provider_calls WHERE called_at > to_timestamp($1) GROUP BY provider ORDER BY provider
            """, [now - thresholds.providerWindow]).map { row in
            AnomalyRules.ProviderWindow(provider: try row.decode(0), calls: Int(try row.decode(1, as: Int64.self)),
                                        errors: Int(try row.decode(2, as: Int64.self)), lastError: try row.decode(3, as: String?.self))
        }
    }

    /// The newest bar of every series of the active symbols, from the series registry (`bar_series`): the
    /// daily ones, and the intraday ones with their market's calendar.
    func freshness(on conn: PostgresConnection) throws
        -> (daily: [AnomalyRules.Freshness], intraday: [AnomalyRules.IntradayFreshness]) {
        var daily: [AnomalyRules.Freshness] = [], intraday: [AnomalyRules.IntradayFreshness] = []
        for row in try conn.query("""
            SELECT s.symbol, s.asset_class, s.exchange, b.timeframe, extract(epoch FROM b.last_ts)::int8
            FROM bar_series b JOIN symbols s ON s.id = b.symbol_id AND s.active
            ORDER BY s.symbol, b.timeframe
            """, []) {
            guard let tf = Timeframe(rawValue: try row.decode(3)) else { continue }
            let symbol: String = try row.decode(0), assetClass: String = try row.decode(1), newest: Int64 = try row.decode(4)
            if tf == .d1 {
                daily.append(AnomalyRules.Freshness(symbol: symbol, crypto: assetClass == "crypto", newestBar: newest))
            } else if tf.seconds < 86_400, let asset = AssetClass(rawValue: assetClass) {
                let exchange: String? = row.isNull(2) ? nil : try row.decode(2)
                intraday.append(AnomalyRules.IntradayFreshness(symbol: symbol, timeframe: tf, newestBar: newest,
                                                               calendar: Calendars.calendar(for: asset, exchange: exchange)))
            }
        }
        return (daily, intraday)
    }

    func flaggedJumps(on conn: PostgresConnection) throws -> [AnomalyRules.FlaggedJumps] {
        let rows = try conn.query("""
            SELECT s.symbol || ' ' || r.timeframe, extract(epoch FROM r.last_ts)::int8, i->>'timestamp', i->>'message'
            FROM (SELECT DISTINCT ON (symbol_id, timeframe) * FROM quality_reports
                  ORDER BY symbol_id, timeframe, generated_at DESC, id DESC) r
            JOIN symbols s ON s.id = r.symbol_id AND s.active
            CROSS JOIN LATERAL jsonb_array_elements(r.issues) i
            WHERE i->>'check' = 'outlier_return' AND r.last_ts IS NOT NULL
            ORDER BY 1
            """, [])
        var out: [AnomalyRules.FlaggedJumps] = []
        for row in rows {
            let series: String = try row.decode(0)
            guard let t = RFC3339.parse(try row.decode(2)) else { continue }
            if out.last?.series != series { out.append(AnomalyRules.FlaggedJumps(series: series, lastBar: try row.decode(1), jumps: [])) }
            out[out.count - 1].jumps.append((t, try row.decode(3)))
        }
        return out
    }

    /// Hit rate and calibration error by strategy; final outcomes counted by strategy and result.
    func refreshOutcomeMetrics(_ acc: SignalAccuracy, on conn: PostgresConnection) throws {
        for s in acc.strategies {
            metrics.setHitRate(strategy: s.name, s.figures.hitRate)
            metrics.setCalibrationError(strategy: s.name, s.figures.calibrationError)
        }
        let rows = try conn.query("SELECT strategy, result, count(*)::int8 FROM signal_outcomes WHERE final GROUP BY 1, 2", [])
        try lock.withLock {
            for row in rows {
                let (strategy, result): (String, String) = (try row.decode(0), try row.decode(1))
                let n = Int(try row.decode(2, as: Int64.self)), key = strategy + "\u{1}" + result
                let before = outcomesCounted[key] ?? 0
                metrics.recordSignalOutcome(strategy: strategy, outcome: result, count: n - before)
                outcomesCounted[key] = max(n, before)
            }
        }
    }
}

/// The figures that read every outcome or candidate: accuracy and the funnel, recomputed only when their
/// fingerprint (final outcomes, calibration versions, stored signals) changed.
final class AccuracyCache: @unchecked Sendable {
    struct Derived: Sendable {
        var accuracy: SignalAccuracy
        var funnel: [(strategy: String, rejectedBy: String?, count: Int)]
    }

    private let pool: PostgresPool
    private let outcomes: OutcomeService
    private let window: Int
    private let lock = NSLock()
    private var cached: (String, Derived)?

    init(pool: PostgresPool, outcomes: OutcomeService, window: Int) {
        self.pool = pool
        self.outcomes = outcomes
        self.window = window
    }

    func current() throws -> Derived {
        try pool.withConnection { conn in
            let print = try SignalAccuracy.fingerprint(on: conn)
            if let hit = lock.withLock({ cached?.0 == print ? cached?.1 : nil }) { return hit }
            let set = try outcomes.cache.current(on: conn, store: outcomes.store)
            let accuracy = try SignalAccuracy.load(on: conn, set: set, window: window)
            let funnel = try conn.query("SELECT strategy, rejected_by, count(*)::int8 FROM signals GROUP BY 1, 2 ORDER BY 1, 2", []).map {
                (strategy: try $0.decode(0, as: String.self), rejectedBy: $0.isNull(1) ? nil : try $0.decode(1, as: String.self),
                 count: Int(try $0.decode(2, as: Int64.self)))
            }
            let made = Derived(accuracy: accuracy, funnel: funnel)
            lock.withLock { cached = (print, made) }
            return made
        }
    }
}
