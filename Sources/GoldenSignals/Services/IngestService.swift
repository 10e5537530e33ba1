import Foundation
import Glibc
import Logging
import Market
import MarketProviders
import Postgres
import Primitives

/// Backfills bars from the provider chain, resuming from checkpoints, and runs it on a schedule.
///
/// Only bars that are final by the symbol's trading calendar are stored (a forming bar is fetched again, complete,
/// by a later round), and the checkpoint moves only to the end of the newest final bar stored (see `Backfill`).
public struct IngestService: Sendable {
    let chain: ProviderChain
    let checkpoints: PostgresCheckpointStore
    let bars: BarStore
    let quality: QualityService
    let metrics: MetricsRegistry
    /// Runs the signal engine over new bars; nil where signals are not wanted.
    let signals: SignalService?
    /// The clock that decides which bars are final and where a scheduled round ends.
    let now: @Sendable () -> Double

    public init(chain: ProviderChain, checkpoints: PostgresCheckpointStore, bars: BarStore, quality: QualityService,
                metrics: MetricsRegistry, signals: SignalService? = nil, now: @escaping @Sendable () -> Double = { wallClock() }) {
        self.signals = signals
        self.chain = chain
        self.checkpoints = checkpoints
        self.bars = bars
        self.quality = quality
        self.metrics = metrics
        self.now = now
    }

    /// The current time by this service's clock, in whole Unix seconds.
    var nowSeconds: Int64 { Int64(saturating: now().rounded(.down)) }

    /// Fetches `[from, to]` for a symbol from the providers configured for its asset class and stores its final bars.
    /// - Returns: final bars received (and stored), chunks fetched, and bars left out because they were still forming.
    public func backfill(_ symbol: SymbolRecord, timeframe: Timeframe, from: Int64, to: Int64) throws -> (bars: Int, chunks: Int, forming: Int) {
        let backfill = Backfill(chain: chain, checkpoints: checkpoints, now: now)
        let (store, metrics) = (self.bars, self.metrics)
        var changed = 0
        let result = try backfill.run(symbol: symbol.symbol, assetClass: symbol.assetClass, timeframe: timeframe, from: from, to: to,
                                      calendar: Calendars.calendar(for: symbol.assetClass, exchange: symbol.exchange)) { bars, provider in
            let counts = try store.upsert(symbolID: symbol.id, timeframe: timeframe, bars: bars, source: provider)
            changed += counts.inserted + counts.updated
            metrics.recordBarsIngested(source: provider, count: counts.inserted + counts.updated)
        }
        // Identical bars fetched again change nothing: no quality refresh, no generation.
        if changed > 0 {
            quality.refreshLogged(symbol, timeframe: timeframe, trigger: "ingest")
            signals?.generateLogged(symbol, timeframe: timeframe)
        }
        return (result.bars, result.chunks, result.forming)
    }

    /// Where a scheduled run starts: after the checkpoint, else after the newest bar, else a year back.
    public func start(for symbol: SymbolRecord, timeframe: Timeframe, now: Int64) throws -> Int64 {
        if let cp = try checkpoints.checkpoint(symbol: symbol.symbol, timeframe: timeframe) { return cp == Int64.max ? cp : cp + 1 }
        if let latest = try bars.latestTimestamp(symbolID: symbol.id, timeframe: timeframe) { return latest + 1 }
        return now - 365 * 86_400
    }
}

/// Runs ingestion for active, non-demo symbols every `ingestInterval` seconds. When several replicas
/// share a database, a PostgreSQL advisory lock elects the one that runs each round.
final class IngestScheduler: @unchecked Sendable {
    /// The advisory lock key of the ingestion job (any constant unique to this job).
    static let lockKey: Int64 = 0x6753_494E_4745_5354   // "gSINGEST"

    /// The scheduler's own connection (outside the pool) for the advisory lock and `job_runs`: the round's work takes
    /// pooled connections while the lock is held, so holding a pooled one too would starve a small pool.
    private let control: PostgresReservedConnection
    private let symbols: SymbolStore
    private let ingest: IngestService
    private let providers: ProviderConfiguration
    /// Seconds between rounds; 0 turns scheduled ingestion off.
    private let interval: Double
    private let logger: Logger
    private var job: PeriodicTask?

    init(conninfo: String, symbols: SymbolStore, ingest: IngestService, providers: ProviderConfiguration,
         interval: Double, logger: Logger) {
        self.control = PostgresReservedConnection(conninfo: conninfo)
        self.symbols = symbols
        self.ingest = ingest
        self.providers = providers
        self.interval = interval
        self.logger = logger
    }

    func start() {
        guard interval > 0 else {
            logger.info("scheduled ingestion is off (GS_INGEST_INTERVAL=0)")
            return
        }
        // A short delay first, so a starting service answers probes before it does anything heavy.
        let job = PeriodicTask(name: "ingest-scheduler", firstDelay: 5, interval: interval) { [self] in runOnce() }
        self.job = job
        job.start()
    }

    /// Stops the schedule (after the round in progress) and closes the control connection.
    func stop() {
        job?.stop(waiting: false)
        control.close()
    }

    /// One round: elect, then ingest every eligible symbol's daily bars up to now.
    func runOnce() {
        let (symbols, service, providers, logger) = (self.symbols, self.ingest, self.providers, self.logger)
        do {
            // The election may run twice (a connection left stale by a server restart is replaced); the round may not.
            let elected = try control.withConnection(retryOnStale: true) { conn in
                try conn.query("SELECT pg_try_advisory_lock($1)", [Self.lockKey]).first?.decode(0, as: Bool.self) == true
            }
            guard elected else {
                logger.debug("another replica runs ingestion this round")
                return
            }
            try control.withConnection { conn in
                // The same session holds the lock (the reserved connection is kept between calls).
                defer { _ = try? conn.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
                let runID: Int64 = try conn.query("INSERT INTO job_runs (job, instance) VALUES ('ingest', $1) RETURNING id",
                                                  [ProcessInfo.processInfo.hostName + ":\(getpid())"]).first!.decode(0)
                var written = 0, forming = 0, failures: [String] = []
                let now = service.nowSeconds
                for symbol in try symbols.active() where !symbol.isDemo {
                    guard let order = providers.order[symbol.assetClass], !order.isEmpty else { continue }
                    do {
                        let from = try service.start(for: symbol, timeframe: .d1, now: now)
                        guard from < now else { continue }
                        let result = try service.backfill(symbol, timeframe: .d1, from: from, to: now)
                        written += result.bars
                        forming += result.forming
                    } catch {
                        failures.append("\(symbol.symbol): \(error)")
                    }
                }
                let detail = "{\"bars\":\(written),\"forming\":\(forming),\"failures\":\(failures.count)}"
                try conn.query("UPDATE job_runs SET finished_at = now(), status = $2, detail = $3::jsonb WHERE id = $1",
                               [runID, failures.isEmpty ? "ok" : "failed", PostgresJSON(detail)])
                if !failures.isEmpty {
                    logger.warning("ingestion round had failures", metadata: ["count": "\(failures.count)", "first": "\(failures[0])"])
                }
            }
        } catch {
            logger.warning("ingestion round could not run", metadata: ["error": "\(error)"])
        }
    }
}
