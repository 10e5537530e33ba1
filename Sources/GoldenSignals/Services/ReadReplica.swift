import Foundation
import Logging
import Postgres

/// A streaming replica for read-only routes (`DATABASE_READ_URL`). A health check every
/// `readCheckInterval` seconds decides whether reads may go there: the replica must answer, be in recovery
/// (a promoted or wrongly configured server is not a replica of ours) and be at most `readMaxLag` seconds
/// behind. Lag is `now() − pg_last_xact_replay_timestamp()` while the replica has received WAL it has not
/// replayed, and 0 when it has replayed everything it received (an idle primary does not make it "lag").
/// `readPool` lends replica connections while it is usable and primary ones otherwise; every acquisition is
/// counted by target, every fallback by reason.
final class ReadReplica: @unchecked Sendable {
    /// Why reads go to the primary.
    enum Reason: String, Sendable { case lag, down, notInRecovery = "not_in_recovery" }

    let replica: PostgresPool
    /// The pool read-only stores use.
    let readPool: PostgresPool
    private let maxLag: Double
    private let interval: Double
    private let metrics: MetricsRegistry
    private let logger: Logger
    private let lock = NSLock()
    // Guarded by `lock`: nil = usable; the state starts as "down" until the first check says otherwise.
    private var unusable: Reason? = .down
    private var task: PeriodicTask?

    init(url: String, primary: PostgresPool, settings: ScaleSettings, poolSize: Int, metrics: MetricsRegistry, logger: Logger) {
        let replica = PostgresPool(conninfo: url, maxConnections: poolSize, acquireTimeout: 1, logger: logger,
                                   onEvent: { event in Application.recordPoolEvent(event, metrics) })
        self.replica = replica
        maxLag = settings.readMaxLag
        interval = settings.readCheckInterval
        self.metrics = metrics
        self.logger = logger
        let box = Box()
        readPool = PostgresPool(readingFrom: replica, fallback: primary, useReplica: { box.owner?.usable ?? false },
                                record: { target in box.owner?.record(target) })
        box.owner = self
        metrics.gauge("gs_db_read_replica_usable").record(0)
    }

    private final class Box: @unchecked Sendable { weak var owner: ReadReplica? }

    /// Whether reads go to the replica now.
    var usable: Bool { lock.withLock { unusable == nil } }
    /// Why they do not (nil when they do).
    var reason: Reason? { lock.withLock { unusable } }

    private func record(_ target: PostgresPool.ReadTarget) {
        switch target {
        case .replica:
            metrics.counter("gs_db_reads_total", [("target", "replica")]).increment()
        case .primary:
            metrics.counter("gs_db_reads_total", [("target", "primary")]).increment()
            metrics.counter("gs_db_read_fallbacks_total", [("reason", (reason ?? .down).rawValue)]).increment()
        case .primaryAfterReplicaFailure:
            metrics.counter("gs_db_reads_total", [("target", "primary")]).increment()
            metrics.counter("gs_db_read_fallbacks_total", [("reason", "connect")]).increment()
        }
    }

    /// Checks now (also at start, so the first requests already know), then every interval.
    func start() {
        check()
        let task = PeriodicTask(name: "gs-read-replica", interval: interval) { [weak self] in self?.check() }
        lock.withLock { self.task = task }
        task.start()
    }

    func stop() {
        lock.withLock { task }?.stop()
        replica.shutdown()
    }

    /// One health check: updates the state and the gauges, logs each change.
    func check() {
        var next: Reason?
        do {
            let (inRecovery, lag) = try replica.withConnection { conn -> (Bool, Double) in
                let saved = conn.queryTimeout
                conn.queryTimeout = max(1, interval)
                defer { conn.queryTimeout = saved }
                let row = try conn.query("""
                    SELECT pg_is_in_recovery(),
                           CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                                ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8, 0) END
                    """)
                guard let r = row.first else { return (false, 0) }
                return (try r.decode(0), try r.decode(1))
            }
            metrics.gauge("gs_db_read_replica_lag_seconds").record(max(0, lag))
            next = !inRecovery ? .notInRecovery : lag > maxLag ? .lag : nil
        } catch {
            next = .down
        }
        let previous = lock.withLock { () -> Reason?? in
            let p = unusable
            unusable = next
            return p == next ? .none : .some(p)
        }
        metrics.gauge("gs_db_read_replica_usable").record(next == nil ? 1 : 0)
        if previous != nil {
            if let next {
                logger.warning("read replica not used: reads go to the primary", metadata: ["reason": "\(next.rawValue)"])
            } else {
                logger.notice("read replica in use for read-only routes")
            }
        }
    }
}

/// The stores read-only routes use: on the replica's routing pool when `DATABASE_READ_URL` is set, on the
/// primary's pool otherwise. Writes, and reads that must see a write just made, use the primary's stores.
struct ReadStores {
    let symbols: SymbolStore
    let bars: BarStore
    let reports: QualityStore
    let signals: SignalStore
    let marketData: MarketDataService

    init(pool: PostgresPool) {
        symbols = SymbolStore(pool: pool)
        bars = BarStore(pool: pool)
        reports = QualityStore(pool: pool)
        signals = SignalStore(pool: pool)
        marketData = MarketDataService(pool: pool, symbols: symbols, bars: bars)
    }
}
