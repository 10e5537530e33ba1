import Foundation
import Glibc
import Logging
import Market
import MarketProviders
import Postgres

/// Backfills bars from the provider chain, resuming from checkpoints, and runs it on a schedule.
public struct IngestService: Sendable {
    let chain: ProviderChain
    let checkpoints: PostgresCheckpointStore
    let bars: BarStore
    let quality: QualityService
    let metrics: MetricsRegistry
    /// Runs the signal engine over new bars; nil where signals are not wanted.
    let signals: SignalService?

    public init(chain: ProviderChain, checkpoints: PostgresCheckpointStore, bars: BarStore, quality: QualityService,
                metrics: MetricsRegistry, signals: SignalService? = nil) {
        self.signals = signals
        self.chain = chain
        self.checkpoints = checkpoints
        self.bars = bars
        self.quality = quality
        self.metrics = metrics
    }

    /// Fetches `[from, to]` for a symbol from the providers configured for its asset class.
    /// - Returns: bars written and chunks fetched.
    public func backfill(_ symbol: SymbolRecord, timeframe: Timeframe, from: Int64, to: Int64) throws -> (bars: Int, chunks: Int) {
        let backfill = Backfill(chain: chain, checkpoints: checkpoints)
        let (store, metrics) = (self.bars, self.metrics)
        let result = try backfill.run(symbol: symbol.symbol, assetClass: symbol.assetClass, timeframe: timeframe,
                                      from: from, to: to) { bars, provider in
            let counts = try store.upsert(symbolID: symbol.id, timeframe: timeframe, bars: bars, source: provider)
            metrics.recordBarsIngested(source: provider, count: counts.inserted + counts.updated)
        }
        if result.bars > 0 {
            quality.refreshLogged(symbol, timeframe: timeframe, trigger: "ingest")
            signals?.generateLogged(symbol, timeframe: timeframe)
        }
        return result
    }

    /// Where a scheduled run starts: after the checkpoint, else after the newest bar, else a year back.
    public func start(for symbol: SymbolRecord, timeframe: Timeframe, now: Int64) throws -> Int64 {
        if let cp = try checkpoints.checkpoint(symbol: symbol.symbol, timeframe: timeframe) { return cp + 1 }
        if let latest = try bars.latestTimestamp(symbolID: symbol.id, timeframe: timeframe) { return latest + 1 }
        return now - 365 * 86_400
    }
}

/// Runs ingestion for active, non-demo symbols every `ingestInterval` seconds. When several replicas
/// share a database, a PostgreSQL advisory lock elects the one that runs each round.
final class IngestScheduler: @unchecked Sendable {
    /// The advisory lock key of the ingestion job (any constant unique to this job).
    static let lockKey: Int64 = 0x6753_494E_4745_5354   // "gSINGEST"

    private let pool: PostgresPool
    private let symbols: SymbolStore
    private let ingest: IngestService
    private let providers: ProviderConfiguration
    /// Seconds between rounds; 0 turns scheduled ingestion off.
    private let interval: Double
    private let logger: Logger
    private var job: PeriodicJob?

    init(pool: PostgresPool, symbols: SymbolStore, ingest: IngestService, providers: ProviderConfiguration,
         interval: Double, logger: Logger) {
        self.pool = pool
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
        let job = PeriodicJob(name: "ingest-scheduler", firstDelay: 5, interval: interval) { [self] in runOnce() }
        self.job = job
        job.start()
    }

    func stop() { job?.stop() }

    /// One round: elect, then ingest every eligible symbol's daily bars.
    func runOnce() {
        let (symbols, service, providers, logger) = (self.symbols, self.ingest, self.providers, self.logger)
        do {
            try pool.withConnection { conn in
                guard try conn.query("SELECT pg_try_advisory_lock($1)", [Self.lockKey]).first?.decode(0, as: Bool.self) == true else {
                    logger.debug("another replica runs ingestion this round")
                    return
                }
                defer { _ = try? conn.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
                let runID: Int64 = try conn.query("INSERT INTO job_runs (job, instance) VALUES ('ingest', $1) RETURNING id",
                                                  [ProcessInfo.processInfo.hostName + ":\(getpid())"]).first!.decode(0)
                var written = 0, failures: [String] = []
                let now = Int64(Date().timeIntervalSince1970)
                for symbol in try symbols.active() where !symbol.isDemo {
                    guard let order = providers.order[symbol.assetClass], !order.isEmpty else { continue }
                    do {
                        let from = try service.start(for: symbol, timeframe: .d1, now: now)
                        guard from < now else { continue }
                        written += try service.backfill(symbol, timeframe: .d1, from: from, to: now).bars
                    } catch {
                        failures.append("\(symbol.symbol): \(error)")
                    }
                }
                let detail = "{\"bars\":\(written),\"failures\":\(failures.count)}"
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
