import Foundation
import Logging
import Market
import Postgres
import Signals

/// What one generation run did.
public struct GenerationSummary: Sendable {
    /// Series scanned and bars looked at for the first time.
    public var series = 0
    public var barsScanned = 0
    /// New published signals and new filtered candidates.
    public var generated = 0
    public var rejected = 0
    /// The `seq` of every new published signal, oldest first.
    public var publishedSeqs: [Int64] = []
}

/// Runs the signal engine over stored bars and stores what it says: every bar not scanned before,
/// history included, once. Running it twice creates nothing new.
public struct SignalService: Sendable {
    let pool: PostgresPool
    let symbols: SymbolStore
    let bars: BarStore
    let signals: SignalStore
    let engine: SignalEngine
    let logger: Logger
    /// Called after signals were committed by this process (caches of this replica drop at once; other
    /// replicas hear of it through NOTIFY).
    let stored: @Sendable () -> Void
    /// The calibration new signals get (the newest versions, walk-forward over history); nil: the engine's own.
    let calibration: (@Sendable (PostgresConnection) throws -> Calibration)?
    /// Runs after `generateLogged` stored signals of a series (outcome scoring).
    let afterGenerate: (@Sendable (SymbolRecord, Timeframe) -> Void)?
    /// Told of the signals each scan made, published and filtered (for metrics).
    public var observe: @Sendable ([GeneratedSignal]) -> Void = { _ in }

    public init(pool: PostgresPool, symbols: SymbolStore, bars: BarStore, signals: SignalStore, engine: SignalEngine, logger: Logger,
                stored: @escaping @Sendable () -> Void = {},
                calibration: (@Sendable (PostgresConnection) throws -> Calibration)? = nil,
                afterGenerate: (@Sendable (SymbolRecord, Timeframe) -> Void)? = nil) {
        self.stored = stored
        self.calibration = calibration
        self.afterGenerate = afterGenerate
        self.pool = pool
        self.symbols = symbols
        self.bars = bars
        self.signals = signals
        self.engine = engine
        self.logger = logger
    }

    /// The stored series (symbol, timeframe) to scan: all, or those of `symbolIDs` and/or `timeframe`.
    public func seriesToScan(symbolIDs: [Int64]?, timeframe: Timeframe?) throws -> [(SymbolRecord, Timeframe)] {
        let rows = try pool.withConnection { conn in
            try conn.query("""
                SELECT DISTINCT b.symbol_id, b.timeframe FROM bars b
                WHERE ($1::int8[] IS NULL OR b.symbol_id = ANY($1)) AND ($2::text IS NULL OR b.timeframe = $2)
                ORDER BY 1, 2
                """, [symbolIDs, timeframe?.rawValue])
        }
        var bySymbol: [Int64: SymbolRecord] = [:]
        var out: [(SymbolRecord, Timeframe)] = []
        for row in rows {
            let id: Int64 = try row.decode(0)
            guard let tf = Timeframe(rawValue: try row.decode(1)) else { continue }
            if bySymbol[id] == nil { bySymbol[id] = try symbols.find(id: id) }
            if let s = bySymbol[id] { out.append((s, tf)) }
        }
        return out
    }

    /// Scans every bar of the chosen series not scanned before.
    /// - Parameter progress: called before each series with (done, total, the series' name).
    public func generate(symbolIDs: [Int64]? = nil, timeframe: Timeframe? = nil,
                         progress: ((Int, Int, String) -> Void)? = nil) throws -> GenerationSummary {
        let series = try seriesToScan(symbolIDs: symbolIDs, timeframe: timeframe)
        var total = GenerationSummary()
        for (k, (symbol, tf)) in series.enumerated() {
            progress?(k, series.count, "\(symbol.symbol) \(tf.rawValue)")
            let s = try generate(symbol, timeframe: tf)
            total.series += s.series
            total.barsScanned += s.barsScanned
            total.generated += s.generated
            total.rejected += s.rejected
            total.publishedSeqs += s.publishedSeqs
        }
        return total
    }

    /// Scans one series' new bars in one transaction: read its bars, run the engine from the first bar
    /// not scanned before, store the signals, move the scan mark, announce the new ones.
    public func generate(_ symbol: SymbolRecord, timeframe: Timeframe) throws -> GenerationSummary {
        let summary = try generateInTransaction(symbol, timeframe: timeframe)
        if summary.generated + summary.rejected > 0 { stored() }
        return summary
    }

    private func generateInTransaction(_ symbol: SymbolRecord, timeframe: Timeframe) throws -> GenerationSummary {
        try pool.transaction { conn in
            // One generator per series at a time, across replicas; the unique key makes a lost race harmless too.
            _ = try conn.query("SELECT pg_advisory_xact_lock(hashtext($1))", ["signals|\(symbol.id)|\(timeframe.rawValue)"])
            let through = try signals.scannedThrough(symbolID: symbol.id, timeframe: timeframe, on: conn)
            let all = try bars.all(symbolID: symbol.id, timeframe: timeframe, on: conn)
            guard let last = all.last else { return GenerationSummary() }
            let start = through.map { t in all.firstIndex { $0.timestamp > t } ?? all.count } ?? 0
            guard start < all.count else { return GenerationSummary(series: 1) }
            let info = SeriesInfo(symbol: symbol.symbol, timeframe: timeframe, assetClass: symbol.assetClass,
                                  calendar: Calendars.calendar(for: symbol.assetClass, exchange: symbol.exchange))
            var engine = self.engine
            if let calibration { engine.calibration = try calibration(conn) }
            let made = engine.run(PriceSeries(all), info: info, from: start)
            let inserted = try signals.insert(made, symbol: symbol, timeframe: timeframe, isDemo: symbol.isDemo, on: conn)
            observe(made)
            try signals.setScanned(symbolID: symbol.id, timeframe: timeframe, through: last.timestamp, on: conn)
            let published = inserted.filter(\.published).map(\.seq)
            return GenerationSummary(series: 1, barsScanned: all.count - start, generated: published.count,
                                     rejected: inserted.count - published.count, publishedSeqs: published)
        }
    }

    /// Like `generate`, but logs instead of throwing: failed generation never undoes accepted bars.
    public func generateLogged(_ symbol: SymbolRecord, timeframe: Timeframe) {
        do {
            let s = try generate(symbol, timeframe: timeframe)
            if s.generated + s.rejected > 0 {
                logger.info("signals generated", metadata: ["symbol": "\(symbol.symbol)", "timeframe": "\(timeframe.rawValue)",
                                                            "published": "\(s.generated)", "filtered": "\(s.rejected)"])
            }
            afterGenerate?(symbol, timeframe)
        } catch {
            logger.warning("signal generation failed", metadata: ["symbol": "\(symbol.symbol)", "timeframe": "\(timeframe.rawValue)",
                                                                  "error": "\(error)"])
        }
    }
}
