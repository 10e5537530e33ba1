import Indicators

/// Indicators over one series, each computed once on first use and shared by every strategy and
/// layer that reads it. All values come from `TA` (TA-Lib's conventions); NaN during warm-up.
/// Not thread-safe: one cache serves one generation pass.
public final class IndicatorCache {
    /// The series the indicators are computed over.
    public let series: PriceSeries
    private var lines: [String: [Double]] = [:]

    public init(_ series: PriceSeries) { self.series = series }

    private func memo(_ key: String, _ make: () -> [Double]) -> [Double] {
        if let v = lines[key] { return v }
        let v = make()
        lines[key] = v
        return v
    }

    private func memo3(_ key: String, _ make: () -> ([Double], [Double], [Double])) -> ([Double], [Double], [Double]) {
        if let a = lines[key + ".0"], let b = lines[key + ".1"], let c = lines[key + ".2"] { return (a, b, c) }
        let (a, b, c) = make()
        lines[key + ".0"] = a; lines[key + ".1"] = b; lines[key + ".2"] = c
        return (a, b, c)
    }

    public func sma(_ period: Int) -> [Double] { memo("sma\(period)") { TA.sma(series.close, period: period) } }
    public func ema(_ period: Int) -> [Double] { memo("ema\(period)") { TA.ema(series.close, period: period) } }
    public func rsi(_ period: Int) -> [Double] { memo("rsi\(period)") { TA.rsi(series.close, period: period) } }
    public func roc(_ period: Int) -> [Double] { memo("roc\(period)") { TA.roc(series.close, period: period) } }
    public func atr(_ period: Int) -> [Double] {
        memo("atr\(period)") { TA.atr(high: series.high, low: series.low, close: series.close, period: period) }
    }
    public func natr(_ period: Int) -> [Double] {
        memo("natr\(period)") { TA.natr(high: series.high, low: series.low, close: series.close, period: period) }
    }
    /// Simple moving average of volume.
    public func volumeSMA(_ period: Int) -> [Double] { memo("vsma\(period)") { TA.sma(series.volume, period: period) } }
    /// Simple moving average of dollar volume (close × volume).
    public func dollarVolumeSMA(_ period: Int) -> [Double] {
        memo("dvsma\(period)") { TA.sma(zip(series.close, series.volume).map { $0 * $1 }, period: period) }
    }
    /// Simple moving average of the NATR line (the series' own usual volatility).
    public func natrSMA(_ natrPeriod: Int, _ period: Int) -> [Double] {
        memo("natrsma\(natrPeriod).\(period)") {
            let n = natr(natrPeriod)
            guard let first = n.firstIndex(where: { !$0.isNaN }) else { return n }
            var out = [Double](repeating: .nan, count: n.count)
            let tail = TA.sma(Array(n[first...]), period: period)
            for (k, v) in tail.enumerated() { out[first + k] = v }
            return out
        }
    }

    /// MACD line, signal line and histogram.
    public func macd(_ fast: Int, _ slow: Int, _ signal: Int) -> (macd: [Double], signal: [Double], hist: [Double]) {
        memo3("macd\(fast).\(slow).\(signal)") {
            let m = TA.macd(series.close, fast: fast, slow: slow, signal: signal)
            return (m.macd, m.signal, m.histogram)
        }
    }

    /// Bollinger Bands: upper, middle, lower.
    public func bbands(_ period: Int, _ k: Double) -> (upper: [Double], middle: [Double], lower: [Double]) {
        memo3("bb\(period).\(k)") {
            let b = TA.bbands(series.close, period: period, k: k)
            return (b.upper, b.middle, b.lower)
        }
    }

    /// ADX, +DI, −DI.
    public func adx(_ period: Int) -> (adx: [Double], plusDI: [Double], minusDI: [Double]) {
        memo3("adx\(period)") {
            let a = TA.adx(high: series.high, low: series.low, close: series.close, period: period)
            return (a.adx, a.plusDI, a.minusDI)
        }
    }

    /// Slow stochastic %K and %D.
    public func stoch(_ fastK: Int, _ slowK: Int, _ slowD: Int) -> (k: [Double], d: [Double]) {
        let (k, d, _) = memo3("stoch\(fastK).\(slowK).\(slowD)") {
            let s = TA.stoch(high: series.high, low: series.low, close: series.close, fastK: fastK, slowK: slowK, slowD: slowD)
            return (s.k, s.d, [])
        }
        return (k, d)
    }

    /// Donchian channel over the last `period` bars including the current one: upper, middle, lower.
    public func donchian(_ period: Int) -> (upper: [Double], middle: [Double], lower: [Double]) {
        memo3("dc\(period)") {
            let d = TA.donchian(high: series.high, low: series.low, period: period)
            return (d.upper, d.middle, d.lower)
        }
    }
}
