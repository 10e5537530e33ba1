import Backtest
import Foundation
import HTTPServer
import Logging
import Market
import Signals

/// Runs stored backtests on worker threads of its own: a run is queued by `submit`, claimed by a worker
/// (in any replica: `FOR UPDATE SKIP LOCKED`), reports its progress to its row and stops when a cancel
/// was requested. The CLI runs one in its own process with `run(id:)`.
public final class BacktestService: @unchecked Sendable {
    /// Recorded with every run: results are reproducible from the configuration and this version.
    public static let codeVersion = "goldensignals-backtest/1"

    public let store: BacktestStore
    let symbols: SymbolStore
    let bars: BarStore
    let layers: LayerConfiguration
    let workers: Int
    let logger: Logger
    private let condition = NSCondition()
    private var stopped = false
    private var started = false
    private var pending = 0

    public init(store: BacktestStore, symbols: SymbolStore, bars: BarStore, layers: LayerConfiguration, workers: Int, logger: Logger) {
        self.store = store
        self.symbols = symbols
        self.bars = bars
        self.layers = layers
        self.workers = workers
        self.logger = logger
    }

    /// Checks that every symbol is known and has bars of the timeframe, then queues the run.
    /// - Throws: 400 naming `symbols` for an unknown symbol or one without bars.
    public func submit(_ request: BacktestRequest, owner: String?) throws -> BacktestRecord {
        var errors: [FieldError] = []
        for s in request.symbols {
            guard let record = try symbols.find(s) else { errors.append(FieldError(field: "symbols", message: "'\(s)' is not a known symbol")); continue }
            if try bars.latestTimestamp(symbolID: record.id, timeframe: request.timeframe) == nil {
                errors.append(FieldError(field: "symbols", message: "'\(s)' has no \(request.timeframe.rawValue) bars"))
            }
        }
        if !errors.isEmpty { throw HTTPError(.badRequest, detail: "the backtest cannot run as sent", errors: errors) }
        let record = try store.create(config: String(decoding: request.json(), as: UTF8.self), codeVersion: Self.codeVersion, owner: owner)
        wake()
        return record
    }

    /// Starts the worker threads (none when `workers` is 0).
    public func start() {
        condition.lock()
        defer { condition.unlock() }
        guard !started else { return }
        started = true
        for k in 0..<workers {
            let t = Thread { [self] in loop() }
            t.name = "gs-backtest-\(k)"
            t.start()
        }
    }

    /// Stops the workers after the runs in progress.
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Wakes a worker (a run was queued).
    func wake() {
        condition.lock()
        pending += 1
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            // Runs queued by other replicas are found by the poll every 2 seconds.
            let deadline = Date().addingTimeInterval(2)
            while !stopped && pending == 0, condition.wait(until: deadline) {}
            if stopped { condition.unlock(); return }
            pending = max(0, pending - 1)
            condition.unlock()
            do {
                while let record = try store.claim() {
                    execute(record)
                    if condition.withLock({ stopped }) { return }
                }
            } catch {
                logger.warning("backtest worker could not claim a run", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Runs a queued run in this process (the CLI): claims it and runs it to the end.
    /// - Returns: the finished record, or nil when the run was not queued.
    public func run(id: String, progress: @escaping (Double) -> Void = { _ in }) throws -> BacktestRecord? {
        guard let record = try store.claim(id: id) else { return nil }
        execute(record, observe: progress)
        return try store.find(id: id)
    }

    /// Runs a claimed run and records how it ended.
    func execute(_ record: BacktestRecord, observe: (Double) -> Void = { _ in }) {
        do {
            let body = try JSONSerialization.jsonObject(with: Data(record.config.utf8)) as? [String: Any] ?? [:]
            let (request, errors) = BacktestRequest.parse(body)
            guard errors.isEmpty else { throw BacktestFailure(message: "stored configuration invalid: \(errors.map { "\($0.field) \($0.message)" })") }
            var last = 0.0
            let store = self.store
            let report = try compute(request) { p in
                observe(p)
                let now = Date().timeIntervalSince1970
                guard now - last >= 0.2 || p >= 1 else { return true }
                last = now
                return !((try? store.progress(id: record.id, p)) ?? false)
            }
            try store.finish(id: record.id, status: "done", result: String(decoding: report, as: UTF8.self))
            logger.info("backtest done", metadata: ["id": "\(record.id)"])
        } catch is BacktestCancelled {
            try? store.finish(id: record.id, status: "cancelled")
            logger.info("backtest cancelled", metadata: ["id": "\(record.id)"])
        } catch {
            try? store.finish(id: record.id, status: "failed", error: "\(error)")
            logger.warning("backtest failed", metadata: ["id": "\(record.id)", "error": "\(error)"])
        }
    }

    /// Loads the stored bars of the request's symbols and runs it; the result document.
    public func compute(_ request: BacktestRequest, progress: (Double) -> Bool = { _ in true }) throws -> [UInt8] {
        var series: [BacktestSeries] = []
        var ids: [String: Int64] = [:]
        for s in request.symbols {
            guard let record = try symbols.find(s) else { throw BacktestFailure(message: "symbol \(s) no longer exists") }
            ids[record.symbol] = record.id
            let info = SeriesInfo(symbol: record.symbol, timeframe: request.timeframe, assetClass: record.assetClass,
                                  calendar: Calendars.calendar(for: record.assetClass, exchange: record.exchange))
            series.append(BacktestSeries(info: info, series: PriceSeries(try bars.all(symbolID: record.id, timeframe: request.timeframe))))
        }
        let report = try Backtester(configuration: request.configuration, layers: layers)
            .run(series, from: request.from, to: request.to, progress: progress)
        let tf = request.timeframe.rawValue
        return BacktestJSON.report(report) { t in
            ids[t.symbol].map { UUIDText.md5("\($0)|\(tf)|\(t.signalTime)|\(t.strategy)|\(t.parameters)") }
        }
    }
}

/// A run that could not complete (its message is stored as the run's error).
struct BacktestFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
