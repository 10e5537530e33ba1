import Foundation
import Logging
import Market
import Postgres

/// Catches up signal generation that did not happen: a series whose newest bar is after its scan mark
/// (`signal_scans`) is generated again. That is the case when the process that stored the bars died before
/// or during its generation (its transaction rolled back, so nothing half-done remains). Runs every
/// `interval` seconds in the one replica holding its advisory lock; generation itself stays per-series
/// locked and idempotent (signal ids are deterministic and unique), so a race with an upload is harmless.
final class GenerationSweep: @unchecked Sendable {
    /// The advisory lock key of the sweep.
    static let lockKey: Int64 = 0x6753_4745_4E53_5750   // "gSGENSWP"

    private let pool: PostgresPool
    private let symbols: SymbolStore
    private let service: SignalService
    private let logger: Logger
    private let interval: Double
    private let lock = NSLock()
    private var job: PeriodicTask?

    init(pool: PostgresPool, symbols: SymbolStore, service: SignalService, interval: Double, logger: Logger) {
        self.pool = pool
        self.symbols = symbols
        self.service = service
        self.logger = logger
        self.interval = interval
    }

    func start() {
        let job = PeriodicTask(name: "generation-sweep", firstDelay: min(interval, 5), interval: interval) { [weak self] in _ = self?.runOnce() }
        lock.withLock { self.job = job }
        job.start()
    }

    func stop() { lock.withLock { job }?.stop(waiting: false) }

    /// The series with bars after their scan mark.
    static func behind(on conn: PostgresConnection) throws -> [(Int64, Timeframe)] {
        try conn.query("""
            SELECT b.symbol_id, b.timeframe FROM bar_series b
            LEFT JOIN signal_scans s ON s.symbol_id = b.symbol_id AND s.timeframe = b.timeframe
            WHERE s.through_ts IS NULL OR s.through_ts < b.last_ts
            ORDER BY 1, 2
            """, []).compactMap { row in
            guard let tf = Timeframe(rawValue: try row.decode(1)) else { return nil }
            return (try row.decode(0), tf)
        }
    }

    /// One round if this replica wins the lock: how many series it generated; nil when another replica holds it.
    @discardableResult
    func runOnce() -> Int? {
        do {
            return try pool.ifElected(Self.lockKey) { conn -> Int in
                var done = 0
                for (id, tf) in try Self.behind(on: conn) {
                    guard let symbol = try symbols.find(id: id) else { continue }
                    logger.info("generating a series left behind", metadata: ["symbol": "\(symbol.symbol)", "timeframe": "\(tf.rawValue)"])
                    service.generateLogged(symbol, timeframe: tf)
                    done += 1
                }
                return done
            }
        } catch {
            logger.warning("generation sweep could not run", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
