import Foundation
import Market
import Signals

/// A signal the simulation may act on.
struct EntrySignal {
    var index: Int
    var strategy: Int
    var direction: Direction
    var stop: Double?
    var target: Double?
    var horizon: Int
    var confidence: Double
    var rewardRisk: Double?
}

/// Runs backtests: signals from the strategies over the stored bars, then one pass over the merged bar
/// timeline applying `Execution`'s rules. Pure and deterministic.
public struct Backtester: Sendable {
    public var configuration: BacktestConfiguration
    /// The filter layers' settings for `SignalSelection.published` (the service's own).
    public var layers: LayerConfiguration

    /// Threads computing signals at once (the machine's cores by default).
    public var concurrency = ProcessInfo.processInfo.activeProcessorCount

    public init(configuration: BacktestConfiguration, layers: LayerConfiguration = .init()) {
        self.configuration = configuration
        self.layers = layers
    }

    /// The baseline and every configured scenario over bars with times in `from ... to` (nil: unbounded).
    /// The signals of every (run, series) pair whose bars differ are computed `concurrency` at a time;
    /// each run is then one pass. The result does not depend on `concurrency`.
    /// - Parameter progress: told the share done (0…1, increasing; one call at a time, from any of the
    ///   working threads); answering `false` cancels (`BacktestCancelled`).
    /// - Throws: `StrategyError` for an unknown strategy, `BacktestCancelled`.
    public func run(_ input: [BacktestSeries], from: Int64? = nil, to: Int64? = nil,
                    progress: (Double) -> Bool = { _ in true }) throws -> BacktestReport {
        let strategies = try configuration.strategies.map { try Strategies.make($0) }
        // Bars after `to` are never read (no look-ahead); bars before `from` are history for warm-up.
        let trimmed = input.map { s -> BacktestSeries in
            guard let to, let end = s.series.time.firstIndex(where: { $0 > to }) else { return s }
            return BacktestSeries(info: s.info, series: s.series.prefix(end))
        }
        let lower = from ?? Int64.min
        let runs: [Scenario?] = [nil] + configuration.scenarios
        let crash = Self.crashTime(trimmed, from: lower)
        // slippage_x3 trades the baseline's bars and signals; every other scenario has bars (and signals) of its own.
        let ownBars = runs.map { $0 != .slippageX3 }
        let seriesByRun = runs.map { scenario -> [BacktestSeries] in
            guard let scenario, scenario != .slippageX3 else { return trimmed }
            return trimmed.map { BacktestSeries(info: $0.info, series: ScenarioTransform.apply(scenario, to: $0.series, crashTime: crash)) }
        }
        let jobs = runs.indices.filter { ownBars[$0] }.flatMap { r in trimmed.indices.map { (run: r, series: $0) } }
        let simulationWeight = 0.1 * Double(max(1, trimmed.count))
        let total = Double(jobs.count) + Double(runs.count) * simulationWeight
        let work = Jobs(jobs.count)
        let tester = self
        try withoutActuallyEscaping(progress) { progress in
            let report = Reporter(progress)
            guard report.call(0) else { throw BacktestCancelled() }
            DispatchQueue.concurrentPerform(iterations: max(1, min(concurrency, jobs.count))) { _ in
                while let j = work.take() {
                    let job = jobs[j]
                    let made = tester.signals(seriesByRun[job.run][job.series], strategies: strategies, from: lower)
                    work.finish(j, made) { done in report.call(Double(done) / total) }
                }
            }
            if work.cancelled { throw BacktestCancelled() }
        }
        var results: [BacktestResult] = []
        for (r, scenario) in runs.enumerated() {
            let own = ownBars[r] ? r : 0
            let signals = jobs.indices.filter { jobs[$0].run == own }.map { work.results[$0]! }
            var t = self
            t.configuration = configuration.adjusted(for: scenario)
            results.append(t.simulate(seriesByRun[r], signals: signals, strategies: strategies, from: lower, scenario: scenario))
            if !progress(min(1, (Double(jobs.count) + Double(r + 1) * simulationWeight) / total)) { throw BacktestCancelled() }
        }
        return BacktestReport(baseline: results[0], scenarios: Array(results.dropFirst()))
    }

    /// The middle bar time of the period over every series: where the flash crash starts.
    static func crashTime(_ input: [BacktestSeries], from: Int64) -> Int64 {
        var times: [Int64] = []
        for s in input { times += s.series.time.filter { $0 >= from } }
        guard !times.isEmpty else { return 0 }
        times.sort()
        return times[times.count / 2]
    }

    /// The signals of one series about bars at or after `from`, in bar order.
    func signals(_ s: BacktestSeries, strategies: [any Strategy], from: Int64) -> [EntrySignal] {
        let start = s.series.time.firstIndex { $0 >= from } ?? s.series.count
        guard start < s.series.count else { return [] }
        var layerConfig = layers
        if configuration.signals == .candidates { layerConfig.minConfidence = 0 }
        let engine = SignalEngine(strategies: strategies, configuration: layerConfig)
        let index = Dictionary(strategies.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let published = configuration.signals == .published
        return engine.run(s.series, info: s.info, from: start).compactMap { g in
            guard !published || g.published, g.confidence.value >= configuration.minConfidence, let k = index[g.strategy] else { return nil }
            return EntrySignal(index: g.index, strategy: k, direction: g.direction, stop: g.stopLoss, target: g.takeProfit,
                               horizon: g.horizonBars, confidence: g.confidence.value, rewardRisk: g.rewardRisk)
        }
    }

    /// Bars per year for annualization: 252 sessions (365 days when every series trades around the clock),
    /// times the bars of this timeframe in a 6.5-hour (24-hour) session; 52 for weekly bars.
    public static func barsPerYear(_ timeframe: Timeframe, alwaysOpen: Bool) -> Double {
        switch timeframe {
        case .w1: return 52
        case .d1: return alwaysOpen ? 365 : 252
        default:
            let session: Int64 = alwaysOpen ? 86_400 : 23_400
            let perDay = (session + timeframe.seconds - 1) / timeframe.seconds
            return Double(perDay) * (alwaysOpen ? 365 : 252)
        }
    }
}

/// The signal jobs of a run shared by the working threads: the next job to take, the results, the count
/// done, and whether the run was cancelled.
private final class Jobs: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var done = 0
    private(set) var cancelled = false
    var results: [[EntrySignal]?]

    init(_ count: Int) { results = Array(repeating: nil, count: count) }

    /// The next job, or nil when none is left (or the run was cancelled).
    func take() -> Int? {
        lock.withLock {
            guard !cancelled, next < results.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    /// Stores a job's signals and reports progress (under the lock: one report at a time, in order).
    func finish(_ j: Int, _ signals: [EntrySignal], report: (Int) -> Bool) {
        lock.withLock {
            results[j] = signals
            done += 1
            if !report(done) { cancelled = true }
        }
    }
}

/// The caller's progress callback, called by whichever thread finished a job (never two at once).
private final class Reporter: @unchecked Sendable {
    let call: (Double) -> Bool
    init(_ call: @escaping (Double) -> Bool) { self.call = call }
}
