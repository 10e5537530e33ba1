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

    /// The stored series (symbol, timeframe) to scan: all, or those of `symbolIDs` and/or `timeframe`; the
    /// longest first (by the span of their bars in bar lengths), so that the workers of `generate` end together
    /// rather than one finishing a long series alone.
    public func seriesToScan(symbolIDs: [Int64]?, timeframe: Timeframe?) throws -> [(SymbolRecord, Timeframe)] {
        let rows = try pool.withConnection { conn in
            try conn.query("""
                SELECT b.symbol_id, b.timeframe, extract(epoch FROM b.last_ts - b.first_ts)::int8 FROM bar_series b
                WHERE ($1::int8[] IS NULL OR b.symbol_id = ANY($1)) AND ($2::text IS NULL OR b.timeframe = $2)
                ORDER BY 1, 2
                """, [symbolIDs, timeframe?.rawValue])
        }
        var bySymbol: [Int64: SymbolRecord] = [:]
        var out: [(series: (SymbolRecord, Timeframe), bars: Int64)] = []
        for row in rows {
            let id: Int64 = try row.decode(0)
            guard let tf = Timeframe(rawValue: try row.decode(1)) else { continue }
            if bySymbol[id] == nil { bySymbol[id] = try symbols.find(id: id) }
            if let s = bySymbol[id] { out.append(((s, tf), try row.decode(2, as: Int64.self) / tf.seconds)) }
        }
        // A stable sort: series of equal span keep the (symbol, timeframe) order.
        return out.enumerated().sorted { ($0.element.bars, $1.offset) > ($1.element.bars, $0.offset) }.map(\.element.series)
    }

    /// Scans every bar of the chosen series not scanned before.
    ///
    /// Two series at a time (one when the pool has fewer than four connections): each worker reads a
    /// series' bars and runs the engine outside any transaction, then stores the signals in the series'
    /// transaction, so one series' engine runs while PostgreSQL takes another's rows. The transaction
    /// uses the work only if the series' scan mark and the calibration version are still what it was
    /// computed from; otherwise it computes again under the series' lock. The first error stops the
    /// workers (series already stored stay stored) and is thrown.
    /// - Parameter progress: called as each series starts with (series started before it, total, the
    ///   series' name), one call at a time.
    public func generate(symbolIDs: [Int64]? = nil, timeframe: Timeframe? = nil,
                         progress: ((Int, Int, String) -> Void)? = nil) throws -> GenerationSummary {
        let series = try seriesToScan(symbolIDs: symbolIDs, timeframe: timeframe)
        let run = GenerationRun(count: series.count)
        let scanOne: @Sendable (Int) -> Void = { [self] k in
            let (symbol, tf) = series[k]
            do {
                let prepared = try? prepare(symbol, timeframe: tf)
                run.add(try generate(symbol, timeframe: tf, prepared: prepared))
            } catch {
                run.fail(error)
            }
        }
        let helpers = min(series.count, pool.maxConnections >= 4 ? 2 : 1) - 1   // besides this thread
        for _ in 0..<max(0, helpers) {
            let thread = Thread {
                while let k = run.next() { scanOne(k) }
                run.finished.signal()
            }
            thread.name = "gs-generate"
            thread.stackSize = 1 << 22
            thread.start()
        }
        // This thread is a worker too, and the one that reports progress (the callback need not be Sendable).
        while let k = run.next() {
            progress?(k, series.count, "\(series[k].0.symbol) \(series[k].1.rawValue)")
            scanOne(k)
        }
        for _ in 0..<max(0, helpers) { run.finished.wait() }
        return try run.result()
    }

    /// The shared state of one `generate` over many series: which series is next, the sum so far, the first error.
    final class GenerationRun: @unchecked Sendable {
        private let lock = NSLock()
        private let count: Int
        private var nextIndex = 0
        private var total = GenerationSummary()
        private var error: (any Error)?
        let finished = DispatchSemaphore(value: 0)

        init(count: Int) { self.count = count }

        /// The next series to scan, or nil when all are taken or a worker failed.
        func next() -> Int? {
            lock.withLock {
                guard error == nil, nextIndex < count else { return nil }
                defer { nextIndex += 1 }
                return nextIndex
            }
        }

        func add(_ s: GenerationSummary) {
            lock.withLock {
                total.series += s.series
                total.barsScanned += s.barsScanned
                total.generated += s.generated
                total.rejected += s.rejected
                total.publishedSeqs += s.publishedSeqs
            }
        }

        func fail(_ e: any Error) { lock.withLock { if error == nil { error = e } } }

        /// The sum over every series (published seqs oldest first), or the first error.
        func result() throws -> GenerationSummary {
            try lock.withLock {
                if let error { throw error }
                var t = total
                t.publishedSeqs.sort()
                return t
            }
        }
    }

    /// Scans one series' new bars in one transaction: read its bars, run the engine from the first bar
    /// not scanned before, store the signals, move the scan mark, announce the new ones.
    public func generate(_ symbol: SymbolRecord, timeframe: Timeframe) throws -> GenerationSummary {
        try generate(symbol, timeframe: timeframe, prepared: nil)
    }

    func generate(_ symbol: SymbolRecord, timeframe: Timeframe, prepared: PreparedScan?) throws -> GenerationSummary {
        let summary = try generateInTransaction(symbol, timeframe: timeframe, prepared: prepared)
        if summary.generated + summary.rejected > 0 { stored() }
        return summary
    }

    /// A series' scan computed before its transaction: what it was computed from, and what it made.
    struct PreparedScan: Sendable {
        let through: Int64?
        let calibrationVersion: Int?
        let bars: [Bar]
        let start: Int
        let made: [GeneratedSignal]
    }

    /// Reads a series' scan mark, bars and calibration (holding a connection only for that), then runs
    /// the engine, outside any transaction or lock.
    func prepare(_ symbol: SymbolRecord, timeframe: Timeframe) throws -> PreparedScan {
        let (through, all, calibrated) = try pool.withConnection { conn in
            (try signals.scannedThrough(symbolID: symbol.id, timeframe: timeframe, on: conn),
             try bars.all(symbolID: symbol.id, timeframe: timeframe, on: conn),
             try calibration?(conn))
        }
        return scan(all, through: through, calibrated: calibrated, symbol: symbol, timeframe: timeframe)
    }

    /// Runs the engine over the bars after the scan mark `through`, with `calibrated` when given.
    func scan(_ all: [Bar], through: Int64?, calibrated: Calibration?, symbol: SymbolRecord, timeframe: Timeframe) -> PreparedScan {
        let start = through.map { t in all.firstIndex { $0.timestamp > t } ?? all.count } ?? 0
        var engine = self.engine
        if let calibrated { engine.calibration = calibrated }
        let made = start < all.count ? engine.run(PriceSeries(all), info: Self.info(symbol, timeframe), from: start) : []
        return PreparedScan(through: through, calibrationVersion: calibrated?.version, bars: all, start: start, made: made)
    }

    static func info(_ symbol: SymbolRecord, _ timeframe: Timeframe) -> SeriesInfo {
        SeriesInfo(symbol: symbol.symbol, timeframe: timeframe, assetClass: symbol.assetClass,
                   calendar: Calendars.calendar(for: symbol.assetClass, exchange: symbol.exchange))
    }

    private func generateInTransaction(_ symbol: SymbolRecord, timeframe: Timeframe, prepared: PreparedScan?) throws -> GenerationSummary {
        try pool.transaction { conn in
            // One generator per series at a time, across replicas; the unique key makes a lost race harmless too.
            _ = try conn.query("SELECT pg_advisory_xact_lock(hashtext($1))", ["signals|\(symbol.id)|\(timeframe.rawValue)"])
            let through = try signals.scannedThrough(symbolID: symbol.id, timeframe: timeframe, on: conn)
            let calibrated = try calibration?(conn)
            // Work computed ahead from the same scan mark and calibration is this scan's (bars stored
            // since are after its last one and left for the next scan); otherwise compute it now.
            let current: PreparedScan
            if let p = prepared, p.through == through, p.calibrationVersion == calibrated?.version {
                current = p
            } else {
                current = scan(try bars.all(symbolID: symbol.id, timeframe: timeframe, on: conn), through: through,
                               calibrated: calibrated, symbol: symbol, timeframe: timeframe)
            }
            let (all, start, made) = (current.bars, current.start, current.made)
            guard let last = all.last else { return GenerationSummary() }
            guard start < all.count else { return GenerationSummary(series: 1) }
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
