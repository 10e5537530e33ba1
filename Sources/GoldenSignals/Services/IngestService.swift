import Foundation
import Glibc
import Logging
import Market
import MarketProviders
import Postgres

/// Backfills bars from the provider chain, resuming from checkpoints, and runs it on a schedule.
public struct IngestService: Sendable {
    let app: Application

    public init(app: Application) { self.app = app }

    /// Fetches `[from, to]` for a symbol from the providers configured for its asset class.
    /// - Returns: bars written and chunks fetched.
    public func backfill(_ symbol: SymbolRecord, timeframe: Timeframe, from: Int64, to: Int64) throws -> (bars: Int, chunks: Int) {
        let backfill = Backfill(chain: app.chain, checkpoints: app.checkpoints)
        let metrics = app.metrics
        let result = try backfill.run(symbol: symbol.symbol, assetClass: symbol.assetClass, timeframe: timeframe,
                                      from: from, to: to) { bars, provider in
            let counts = try app.bars.upsert(symbolID: symbol.id, timeframe: timeframe, bars: bars, source: provider)
            metrics.recordBarsIngested(source: provider, count: counts.inserted + counts.updated)
        }
        if result.bars > 0 {
            app.quality.refreshLogged(symbol, timeframe: timeframe, trigger: "ingest")
            if app.configuration.generateOnArrival { app.signalService.generateLogged(symbol, timeframe: timeframe) }
        }
        return result
    }

    /// Where a scheduled run starts: after the checkpoint, else after the newest bar, else a year back.
    public func start(for symbol: SymbolRecord, timeframe: Timeframe, now: Int64) throws -> Int64 {
        if let cp = try app.checkpoints.checkpoint(symbol: symbol.symbol, timeframe: timeframe) { return cp + 1 }
        if let latest = try app.bars.latestTimestamp(symbolID: symbol.id, timeframe: timeframe) { return latest + 1 }
        return now - 365 * 86_400
    }
}

/// Runs ingestion for active, non-demo symbols every `ingestInterval` seconds. When several replicas
/// share a database, a PostgreSQL advisory lock elects the one that runs each round.
final class IngestScheduler: @unchecked Sendable {
    /// The advisory lock key of the ingestion job (any constant unique to this job).
    static let lockKey: Int64 = 0x6753_494E_4745_5354   // "gSINGEST"

    private let app: Application
    private let condition = NSCondition()
    private var stopped = false
    private var thread: Thread?

    init(app: Application) { self.app = app }

    func start() {
        guard app.configuration.ingestInterval > 0 else {
            app.logger.info("scheduled ingestion is off (GS_INGEST_INTERVAL=0)")
            return
        }
        let t = Thread { [self] in loop() }
        t.name = "ingest-scheduler"
        thread = t
        t.start()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        // A short delay first, so a starting service answers probes before it does anything heavy.
        var wait = 5.0
        while true {
            condition.lock()
            let deadline = Date().addingTimeInterval(wait)
            while !stopped, condition.wait(until: deadline) {}
            let done = stopped
            condition.unlock()
            if done { return }
            runOnce()
            wait = app.configuration.ingestInterval
        }
    }

    /// One round: elect, then ingest every eligible symbol's daily bars.
    func runOnce() {
        let app = self.app
        do {
            try app.pool.withConnection { conn in
                guard try conn.query("SELECT pg_try_advisory_lock($1)", [Self.lockKey]).first?.decode(0, as: Bool.self) == true else {
                    app.logger.debug("another replica runs ingestion this round")
                    return
                }
                defer { _ = try? conn.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
                let runID: Int64 = try conn.query("INSERT INTO job_runs (job, instance) VALUES ('ingest', $1) RETURNING id",
                                                  [ProcessInfo.processInfo.hostName + ":\(getpid())"]).first!.decode(0)
                var written = 0, failures: [String] = []
                let service = IngestService(app: app)
                let now = Int64(Date().timeIntervalSince1970)
                for symbol in try app.symbols.active() where !symbol.isDemo {
                    guard let order = app.providers.order[symbol.assetClass], !order.isEmpty else { continue }
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
                    app.logger.warning("ingestion round had failures", metadata: ["count": "\(failures.count)", "first": "\(failures[0])"])
                }
            }
        } catch {
            app.logger.warning("ingestion round could not run", metadata: ["error": "\(error)"])
        }
    }
}
