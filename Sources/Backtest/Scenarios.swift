import Foundation
import Signals

/// The stress scenarios as deterministic transformations of real series. Fixed parameters, documented
/// in `docs/BACKTESTS.md`; the same bars always give the same scenario bars.
public enum ScenarioTransform {
    /// Flash crash: depth and recovery.
    public static let crashDepth = 0.20
    public static let crashRecoveryBars = 10
    /// Gap down: every `gapEvery`-th bar (counting from the first) opens `gapSize` below the previous close.
    public static let gapEvery = 21
    public static let gapSize = 0.08
    /// Liquidity drought: the share of volume left.
    public static let droughtVolume = 0.1
    /// Volatility: the factor on log returns around their mean.
    public static let volatilityFactor = 2.0

    /// `series` as the scenario sees it. `crashTime` is the bar time the flash crash starts at (the first
    /// bar at or after it crashes); scenarios that change no bars return the series unchanged.
    public static func apply(_ scenario: Scenario, to series: PriceSeries, crashTime: Int64) -> PriceSeries {
        var s = series
        let n = s.count
        guard n > 0 else { return s }
        switch scenario {
        case .slippageX3:
            return s
        case .liquidityDrought:
            for i in 0..<n { s.volume[i] *= droughtVolume }
        case .flashCrash:
            guard let c = s.time.firstIndex(where: { $0 >= crashTime }) else { return s }
            let d = crashDepth
            // The crash bar: opens where it did, trades down to (1 − d) of its low and closes at (1 − d) of its close.
            s.low[c] = min(s.low[c] * (1 - d), s.close[c] * (1 - d))
            s.close[c] *= (1 - d)
            // The next bars recover linearly: every price × (1 − d × (1 − j / N)) for j = 1 … N − 1.
            for j in 1..<crashRecoveryBars where c + j < n {
                let m = 1 - d * (1 - Double(j) / Double(crashRecoveryBars))
                s.open[c + j] *= m; s.high[c + j] *= m; s.low[c + j] *= m; s.close[c + j] *= m
            }
        case .gapDown:
            var i = gapEvery
            while i < n {
                let gapped = s.close[i - 1] * (1 - gapSize)
                if gapped > 0, gapped < s.open[i] {
                    s.open[i] = gapped
                    s.low[i] = min(s.low[i], gapped)
                }
                i += gapEvery
            }
        case .volatilityX2:
            // r'ₜ = μ + k (rₜ − μ) on log closes; each of O, H, L keeps k × its log distance from the close.
            var logs: [Double] = []
            logs.reserveCapacity(n)
            guard n >= 2, !series.close.contains(where: { !($0 > 0) }) else { return s }
            for i in 1..<n { logs.append(log(series.close[i] / series.close[i - 1])) }
            let mu = logs.reduce(0, +) / Double(logs.count)
            let k = volatilityFactor
            var c = series.close[0]
            for i in 0..<n {
                if i > 0 { c *= exp(mu + k * (logs[i - 1] - mu)) }
                let c0 = series.close[i]
                func scale(_ p: Double) -> Double { p > 0 ? c * exp(k * log(p / c0)) : p }
                s.open[i] = scale(series.open[i]); s.high[i] = scale(series.high[i]); s.low[i] = scale(series.low[i])
                s.close[i] = c
            }
        }
        return s
    }
}
