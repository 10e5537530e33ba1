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

    public init(configuration: BacktestConfiguration, layers: LayerConfiguration = .init()) {
        self.configuration = configuration
        self.layers = layers
    }

    /// The baseline and every configured scenario over bars with times in `from ... to` (nil: unbounded).
    /// - Parameter progress: told the share done (0…1); answering `false` cancels (`BacktestCancelled`).
    /// - Throws: `StrategyError` for an unknown strategy, `BacktestCancelled`.
    public func run(_ input: [BacktestSeries], from: Int64? = nil, to: Int64? = nil,
                    progress: (Double) -> Bool = { _ in true }) throws -> BacktestReport {
        let strategies = try configuration.strategies.map { try Strategies.make($0) }
        // Bars after `to` are never read (no look-ahead); bars before `from` are history for warm-up.
        let trimmed = input.map { s -> BacktestSeries in
            guard let to, let end = s.series.time.firstIndex(where: { $0 > to }) else { return s }
            return BacktestSeries(info: s.info, series: s.series.prefix(end))
        }
        let runs = 1 + configuration.scenarios.count
        var done = 0
        func step(_ within: Double) throws {
            if !progress(min(1, (Double(done) + within) / Double(runs))) { throw BacktestCancelled() }
        }
        let lower = from ?? Int64.min
        let baselineSignals = try trimmed.enumerated().map { k, s in
            try step(0.5 * Double(k) / Double(max(1, trimmed.count)))
            return signals(s, strategies: strategies, from: lower)
        }
        let baseline = simulate(trimmed, signals: baselineSignals, strategies: strategies, from: lower, scenario: nil)
        done += 1
        try step(0)
        var scenarios: [BacktestResult] = []
        let crash = Self.crashTime(trimmed, from: lower)
        for scenario in configuration.scenarios {
            let changed = scenario != .slippageX3
            let series = changed
                ? trimmed.map { BacktestSeries(info: $0.info, series: ScenarioTransform.apply(scenario, to: $0.series, crashTime: crash)) }
                : trimmed
            let sig = try changed ? series.enumerated().map { k, s in
                try step(0.5 * Double(k) / Double(max(1, series.count)))
                return signals(s, strategies: strategies, from: lower)
            } : baselineSignals
            var tester = self
            tester.configuration = configuration.adjusted(for: scenario)
            scenarios.append(tester.simulate(series, signals: sig, strategies: strategies, from: lower, scenario: scenario))
            done += 1
            try step(0)
        }
        return BacktestReport(baseline: baseline, scenarios: scenarios)
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
