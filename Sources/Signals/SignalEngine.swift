import Market
import Primitives

/// A signal as the engine made it: a fact about one bar, with the layers' trace and its confidence.
public struct GeneratedSignal: Sendable {
    public var strategy: String
    /// Canonical parameter text (`fast=20,slow=50`); with symbol, timeframe, bar and strategy, the identity.
    public var parameters: String
    public var direction: Direction
    /// Index of the bar in the series the engine ran over, and that bar's values as used.
    public var index: Int
    public var bar: Bar
    /// `true` when every layer passed; otherwise `rejectedBy` names the first layer that did not.
    public var published: Bool
    public var rejectedBy: Layer?
    public var strength: Double
    public var entryPrice: Double
    public var stopLoss: Double?
    public var takeProfit: Double?
    public var rewardRisk: Double?
    public var riskLevel: String?
    public var horizonBars: Int
    /// Unix seconds: the end of the horizon (bar time + horizon by the series' calendar).
    public var expiresAt: Int64
    public var confidence: ConfidenceBreakdown
    /// Share of the strategies firing on this bar that agree with this one (itself included).
    public var consensusStrength: Double
    /// Fraction of equity: fractional Kelly from confidence and reward/risk, capped.
    public var positionSize: Double
    public var reason: String
    public var indicators: [IndicatorValue]
    public var layers: [LayerResult]
}

/// How sure a signal is, and why.
///
/// `raw = 0.4 × strength + 0.2 × confluence + 0.2 × trend + 0.2 × volume` (each in [0, 1], from the
/// strategy and the confluence, trend and liquidity layers); `quality` is the as-of data-quality
/// score; `calibrated = calibration(raw × quality)` with the calibration `calibrationVersion`
/// (version 0 is the identity, used until outcomes have fitted one). `confidence` is `calibrated`.
public struct ConfidenceBreakdown: Sendable, Hashable {
    public var raw: Double
    public var quality: Double
    public var calibrated: Double
    public var calibrationVersion: Int

    public init(raw: Double, quality: Double, calibrated: Double, calibrationVersion: Int) {
        self.raw = raw
        self.quality = quality
        self.calibrated = calibrated
        self.calibrationVersion = calibrationVersion
    }

    /// The published confidence.
    public var value: Double { calibrated }
}

/// Maps an uncalibrated confidence to a calibrated one for a strategy and timeframe.
public struct Calibration: Sendable {
    public var version: Int
    public var apply: @Sendable (_ strategy: String, _ timeframe: Timeframe, _ p: Double) -> Double
    /// Walk-forward: the calibration in force for a signal on a bar at this time (Unix seconds); nil
    /// applies this one to every bar. History is thus only calibrated by versions fitted on outcomes
    /// finalized before each signal's bar (`CalibrationSet.engineCalibration`).
    public var asOf: (@Sendable (_ barTime: Int64) -> Calibration)?

    public init(version: Int, apply: @escaping @Sendable (String, Timeframe, Double) -> Double,
                asOf: (@Sendable (Int64) -> Calibration)? = nil) {
        self.version = version
        self.apply = apply
        self.asOf = asOf
    }

    /// Version 0: the identity.
    public static let identity = Calibration(version: 0) { _, _, p in p }
}

/// Runs strategies over a series and passes each candidate through the filter layers in order.
/// Pure and deterministic: the same bars give the same signals, and what it says about bar t
/// depends only on bars up to t.
public struct SignalEngine: Sendable {
    public var strategies: [any Strategy]
    public var configuration: LayerConfiguration
    public var calibration: Calibration

    public init(strategies: [any Strategy] = Strategies.defaults, configuration: LayerConfiguration = .init(),
                calibration: Calibration = .identity) {
        self.strategies = strategies
        self.configuration = configuration
        self.calibration = calibration
    }

    /// The most bars of history any strategy or layer reads before a bar (SMA 200, the volatility average).
    public var warmUpBars: Int { 260 }

    /// Signals about the bars from index `start` on (earlier bars are still read as history, and
    /// earlier signals are replayed so that duplicate suppression sees them).
    public func run(_ series: PriceSeries, info: SeriesInfo, from start: Int = 0) -> [GeneratedSignal] {
        let n = series.count
        guard n >= 2 else { return [] }
        let ind = IndicatorCache(series)
        let quality = RollingQuality(series)
        let lines = LayerLines(ind)
        let cfg = configuration
        // Every strategy's candidates, merged into bar order (strategy order within a bar).
        var proposals: [(index: Int, strategy: Int, candidate: Candidate)] = []
        for (k, s) in strategies.enumerated() {
            for c in s.scan(ind, from: 1) { proposals.append((c.index, k, c)) }
        }
        proposals.sort { $0.index != $1.index ? $0.index < $1.index : $0.strategy < $1.strategy }
        // Duplicate suppression per (strategy, parameters, direction): one slot per distinct strategy and
        // parameter set (a strategy configured twice alike shares it), two directions each.
        let parameterKeys = strategies.map(\.parameterKey)   // text built once per run, not per candidate
        let identities = strategies.indices.map { strategies[$0].name + "|" + parameterKeys[$0] }
        let slots = identities.map { identities.firstIndex(of: $0)! }
        var lastPublished = [Int?](repeating: nil, count: 2 * strategies.count)   // slot × direction → bar index
        let sessions = SessionDays(info.calendar, from: series.time[0])
        var out: [GeneratedSignal] = []
        var lo = 0
        while lo < proposals.count {
            let i = proposals[lo].index
            var hi = lo
            while hi < proposals.count && proposals[hi].index == i { hi += 1 }
            let onBar = proposals[lo..<hi]
            lo = hi
            let longs = onBar.filter { $0.candidate.direction == .long }.count
            let q = Layers.dataQuality(i, quality, cfg)
            let liquidity = Layers.liquidity(i, lines, info, cfg)
            let hours = Layers.marketHours(i, series, info)
            let calibration = self.calibration.asOf?(series.time[i]) ?? self.calibration
            for (_, k, c) in onBar {
                let s = strategies[k]
                let trend = Layers.trend(i, c, lines, cfg)
                let risk = Layers.risk(i, c, lines, cfg)
                let agree = (c.direction == .long ? longs : onBar.count - longs) - 1
                let confluence = Layers.confluence(agree: agree, disagree: onBar.count - 1 - agree)
                let key = 2 * slots[k] + (c.direction == .long ? 0 : 1)
                let duplicate = Layers.duplicate(barsSince: lastPublished[key].map { i - $0 }, cfg)
                let raw = 0.4 * c.strength + 0.2 * (confluence.effect ?? 0.5) + 0.2 * (trend.effect ?? 0.5) + 0.2 * (liquidity.effect ?? 0.5)
                let qualityScore = q.effect ?? 1
                let calibrated = min(1, max(0, calibration.apply(s.name, info.timeframe, raw * qualityScore)))
                let layers = [q, liquidity, hours, trend, risk.0, confluence, duplicate, Layers.threshold(calibrated, cfg)]
                let rejected = layers.first { !$0.passed }?.layer
                if rejected == nil { lastPublished[key] = i }
                guard i >= start else { continue }
                let p = calibrated
                let b = risk.rewardRisk ?? 0
                let kelly = b > 0 ? p - (1 - p) / b : 0
                out.append(GeneratedSignal(
                    strategy: s.name, parameters: parameterKeys[k], direction: c.direction, index: i, bar: series.bar(i),
                    published: rejected == nil, rejectedBy: rejected, strength: c.strength, entryPrice: series.close[i],
                    stopLoss: risk.stop, takeProfit: risk.target, rewardRisk: risk.rewardRisk, riskLevel: risk.level,
                    horizonBars: s.horizonBars, expiresAt: Self.expiry(series.time[i], bars: s.horizonBars, info: info, sessions: sessions),
                    confidence: ConfidenceBreakdown(raw: raw, quality: qualityScore, calibrated: calibrated, calibrationVersion: calibration.version),
                    consensusStrength: Double(agree + 1) / Double(onBar.count),
                    positionSize: min(cfg.maxPositionSize, max(0, cfg.kellyFraction * kelly)),
                    reason: c.reason, indicators: c.indicators, layers: layers))
            }
        }
        return out
    }

    /// The end of a signal's horizon: `bars` sessions after the bar by the calendar for daily and weekly
    /// bars (so weekends and holidays do not count), `bars` bar lengths for intraday ones.
    static func expiry(_ t: Int64, bars: Int, info: SeriesInfo, sessions: SessionDays) -> Int64 {
        switch info.timeframe {
        case .d1:
            var day = CivilDays.days(unixSeconds: t)
            var left = bars
            var guardDays = 0
            while left > 0 && guardDays < bars * 4 + 20 {
                day += 1
                guardDays += 1
                if sessions.isSession(day) { left -= 1 }
            }
            return (day + 1) * 86_400
        default:
            return t + Int64(bars + 1) * info.timeframe.seconds
        }
    }
}

/// Whether each civil day has a session by a calendar, asked of the calendar once per day: a run asks
/// about the days after every candidate's bar, and neighbouring candidates ask about the same days.
/// Not thread-safe: one per run.
final class SessionDays {
    private let calendar: any TradingCalendar
    /// The day of the series' first bar, and per day from it: 0 not asked yet, 1 a session, 2 none.
    private let first: Int64
    private var known: [UInt8] = []

    init(_ calendar: any TradingCalendar, from firstBar: Int64) {
        self.calendar = calendar
        first = CivilDays.days(unixSeconds: firstBar)
    }

    func isSession(_ day: Int64) -> Bool {
        // Expiry asks only about days after a bar of the series; an earlier day is asked, not kept.
        guard day >= first else { return calendar.trades(on: CivilDate(daysSinceEpoch: day)) }
        let k = Int(day - first)
        if k >= known.count { known.append(contentsOf: repeatElement(0, count: k - known.count + 64)) }
        if known[k] == 0 { known[k] = calendar.trades(on: CivilDate(daysSinceEpoch: day)) ? 1 : 2 }
        return known[k] == 1
    }
}
