/// The built-in strategies with their default parameters, in a fixed order.
public enum Strategies {
    /// Every built-in strategy with default parameters.
    public static var defaults: [any Strategy] {
        [SMACrossover(), MACDCross(), RSIReversion(), BollingerReversion(), MomentumADX(), VolumeBreakout(), StochasticCross()]
    }

    /// The names of the built-in strategies.
    public static var names: [String] { defaults.map(\.name) }

    /// A strategy by name with some parameters overridden.
    /// - Throws: `StrategyError` naming the unknown strategy or the bad parameter.
    public static func make(_ name: String, overrides: [String: Double] = [:]) throws -> any Strategy {
        func p(_ key: String, _ def: Double, _ range: ClosedRange<Double>) throws -> Double {
            let v = overrides[key] ?? def
            guard v.isFinite, range.contains(v) else { throw StrategyError.badParameter(strategy: name, parameter: key, range: range) }
            return v
        }
        func int(_ key: String, _ def: Int, _ range: ClosedRange<Int>) throws -> Int {
            let v = try p(key, Double(def), Double(range.lowerBound)...Double(range.upperBound))
            guard v == v.rounded() else { throw StrategyError.badParameter(strategy: name, parameter: key, range: Double(range.lowerBound)...Double(range.upperBound)) }
            return Int(v)
        }
        let strategy: any Strategy
        switch name {
        case "sma_crossover":
            strategy = SMACrossover(fast: try int("fast", 20, 2...500), slow: try int("slow", 50, 3...1000))
        case "macd_cross":
            strategy = MACDCross(fast: try int("fast", 12, 2...200), slow: try int("slow", 26, 3...400), signal: try int("signal", 9, 2...200))
        case "rsi_reversion":
            strategy = RSIReversion(period: try int("period", 14, 2...200), lower: try p("lower", 30, 1...49), upper: try p("upper", 70, 51...99))
        case "bollinger_reversion":
            strategy = BollingerReversion(period: try int("period", 20, 2...500), k: try p("k", 2, 0.5...5))
        case "momentum_adx":
            strategy = MomentumADX(rocPeriod: try int("roc", 10, 1...200), adxPeriod: try int("adx", 14, 2...200), threshold: try p("threshold", 25, 5...80))
        case "volume_breakout":
            strategy = VolumeBreakout(period: try int("period", 20, 2...500), volumeMultiple: try p("volume_multiple", 2, 1...20))
        case "stochastic_cross":
            strategy = StochasticCross(fastK: try int("k", 14, 2...200), slowK: try int("slow_k", 3, 1...50), slowD: try int("d", 3, 1...50),
                                       lower: try p("lower", 20, 1...49), upper: try p("upper", 80, 51...99))
        default:
            throw StrategyError.unknown(name)
        }
        let known = Set(strategy.parameters.map(\.name))
        if let bad = overrides.keys.sorted().first(where: { !known.contains($0) }) {
            throw StrategyError.unknownParameter(strategy: name, parameter: bad)
        }
        return strategy
    }

    /// Strategies from a specification such as `sma_crossover:fast=10,slow=30;rsi_reversion` (the
    /// `GS_STRATEGIES` setting); an empty text means the defaults.
    public static func parse(_ spec: String) throws -> [any Strategy] {
        let parts = spec.split(separator: ";").map { $0.trimmingSpacesInSignals() }.filter { !$0.isEmpty }
        if parts.isEmpty { return defaults }
        return try parts.map { part in
            let pieces = part.split(separator: ":", maxSplits: 1)
            let name = String(pieces[0])
            var overrides: [String: Double] = [:]
            if pieces.count == 2 {
                for kv in pieces[1].split(separator: ",") {
                    let pair = kv.split(separator: "=", maxSplits: 1)
                    guard pair.count == 2, let v = Double(pair[1]) else { throw StrategyError.malformed(part) }
                    overrides[String(pair[0])] = v
                }
            }
            return try make(name, overrides: overrides)
        }
    }
}

/// A strategy configuration that cannot be used.
public enum StrategyError: Error, CustomStringConvertible, Equatable {
    case unknown(String)
    case unknownParameter(strategy: String, parameter: String)
    case badParameter(strategy: String, parameter: String, range: ClosedRange<Double>)
    case malformed(String)

    public var description: String {
        switch self {
        case .unknown(let n): "unknown strategy '\(n)'; known: \(Strategies.names.joined(separator: ", "))"
        case .unknownParameter(let s, let p): "strategy \(s) has no parameter '\(p)'"
        case .badParameter(let s, let p, let r): "\(s).\(p) must be from \(Format.number(r.lowerBound)) to \(Format.number(r.upperBound))"
        case .malformed(let t): "'\(t)' is not name:key=value,…"
        }
    }
}

extension Substring {
    func trimmingSpacesInSignals() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

/// The candidates `body` proposes about each bar from `start` on (at least bar 1, which has a bar before it).
@inline(__always)
func eachBar(_ ind: IndicatorCache, from start: Int, _ body: (Int) -> Candidate?) -> [Candidate] {
    var out: [Candidate] = []
    let n = ind.series.count
    var i = max(1, start)
    while i < n {
        if let c = body(i) { out.append(c) }
        i += 1
    }
    return out
}

extension Direction {
    /// How a line crosses for a signal of this direction: "above" for long, "below" for short.
    var crossed: Sentence { self == .long ? "above" : "below" }
    var opposite: Direction { self == .long ? .short : .long }
}

/// "; volume 1.8× its 20-bar average", or nothing when the series reports no volume.
func volumePhrase(_ i: Int, _ ind: IndicatorCache, period: Int = 20) -> (text: Sentence, ratio: Double?) {
    guard let avg = value(ind.volumeSMA(period), i - 1), avg > 0 else { return ("", nil) }
    let ratio = ind.series.volume[i] / avg
    return ("; volume \(ratio, digits: 1)× its \(period)-bar average", ratio)
}

// MARK: - Trend following

/// SMA crossover: long when SMA(fast) crosses above SMA(slow), short when below.
/// strength = 0.4 + 0.6 × min(1, |Δgap| / (0.25 × ATR14)), where Δgap is the change of
/// SMA(fast) − SMA(slow) over the crossing bar: how decisively the averages crossed.
public struct SMACrossover: Strategy {
    public var fast = 20, slow = 50
    public init(fast: Int = 20, slow: Int = 50) { self.fast = fast; self.slow = slow }
    public var name: String { "sma_crossover" }
    public var parameters: [(name: String, value: Double)] { [("fast", Double(fast)), ("slow", Double(slow))] }
    public var horizonBars: Int { 20 }

    public func scan(_ ind: IndicatorCache, from start: Int) -> [Candidate] {
        let f = ind.sma(fast), s = ind.sma(slow), atrLine = ind.atr(14)
        return eachBar(ind, from: start) { i in
        guard let f0 = value(f, i - 1), let s0 = value(s, i - 1), let f1 = value(f, i), let s1 = value(s, i) else { return nil }
        let dir: Direction
        if f0 <= s0 && f1 > s1 { dir = .long } else if f0 >= s0 && f1 < s1 { dir = .short } else { return nil }
        let atr = value(atrLine, i) ?? 0
        let delta = abs((f1 - s1) - (f0 - s0))
        let strength = 0.4 + 0.6 * (atr > 0 ? min(1, delta / (0.25 * atr)) : 0.5)
        let vol = volumePhrase(i, ind)
        return Candidate(index: i, direction: dir, strength: strength,
                         indicators: [IndicatorValue("sma_\(fast)", f1), IndicatorValue("sma_\(slow)", s1)],
                         reason: Sentence("SMA(\(fast)) crossed \(dir.crossed) SMA(\(slow)): \(price: f0) vs \(price: s0) → \(price: f1) vs \(price: s1)\(vol.text)").text)
        }
    }
}

/// MACD signal-line cross: long when the MACD line crosses above its signal line, short when below.
/// strength = 0.3 + 0.7 × min(1, |Δhistogram| / (0.2 × ATR14)).
public struct MACDCross: Strategy {
    public var fast = 12, slow = 26, signal = 9
    public init(fast: Int = 12, slow: Int = 26, signal: Int = 9) { self.fast = fast; self.slow = slow; self.signal = signal }
    public var name: String { "macd_cross" }
    public var parameters: [(name: String, value: Double)] { [("fast", Double(fast)), ("slow", Double(slow)), ("signal", Double(signal))] }
    public var horizonBars: Int { 15 }

    public func scan(_ ind: IndicatorCache, from start: Int) -> [Candidate] {
        let m = ind.macd(fast, slow, signal), atrLine = ind.atr(14)
        return eachBar(ind, from: start) { i in
        guard let h0 = value(m.hist, i - 1), let h1 = value(m.hist, i), let line = value(m.macd, i), let sig = value(m.signal, i) else { return nil }
        let dir: Direction
        if h0 <= 0 && h1 > 0 { dir = .long } else if h0 >= 0 && h1 < 0 { dir = .short } else { return nil }
        let atr = value(atrLine, i) ?? 0
        let strength = 0.3 + 0.7 * (atr > 0 ? min(1, abs(h1 - h0) / (0.2 * atr)) : 0.5)
        let vol = volumePhrase(i, ind)
        return Candidate(index: i, direction: dir, strength: strength,
                         indicators: [IndicatorValue("macd", line), IndicatorValue("macd_signal", sig), IndicatorValue("macd_hist", h1)],
                         reason: Sentence("MACD(\(fast),\(slow),\(signal)) crossed \(dir.crossed) its signal line: histogram \(h0, digits: 4) → \(h1, digits: 4)\(vol.text)").text)
        }
    }
}

/// Momentum with trend strength: long when ROC crosses above 0 while ADX ≥ threshold and +DI > −DI,
/// short when ROC crosses below 0 while ADX ≥ threshold and −DI > +DI.
/// strength = 0.6 × min(1, (ADX − 20) / 30) + 0.4 × min(1, |ROC| / 5).
public struct MomentumADX: Strategy {
    public var rocPeriod = 10, adxPeriod = 14
    public var threshold = 25.0
    public init(rocPeriod: Int = 10, adxPeriod: Int = 14, threshold: Double = 25) {
        self.rocPeriod = rocPeriod; self.adxPeriod = adxPeriod; self.threshold = threshold
    }
    public var name: String { "momentum_adx" }
    public var parameters: [(name: String, value: Double)] { [("roc", Double(rocPeriod)), ("adx", Double(adxPeriod)), ("threshold", threshold)] }
    public var horizonBars: Int { 10 }

    public func scan(_ ind: IndicatorCache, from start: Int) -> [Candidate] {
        let r = ind.roc(rocPeriod), a = ind.adx(adxPeriod)
        return eachBar(ind, from: start) { i in
        guard let r0 = value(r, i - 1), let r1 = value(r, i), let adx = value(a.adx, i),
              let pdi = value(a.plusDI, i), let mdi = value(a.minusDI, i), adx >= threshold else { return nil }
        let dir: Direction
        if r0 <= 0 && r1 > 0 && pdi > mdi { dir = .long } else if r0 >= 0 && r1 < 0 && mdi > pdi { dir = .short } else { return nil }
        let strength = 0.6 * max(0, min(1, (adx - 20) / 30)) + 0.4 * min(1, abs(r1) / 5)
        let vol = volumePhrase(i, ind)
        let turned: Sentence = dir == .long ? "positive" : "negative"
        let dominance: Sentence = dir == .long ? "+DI \(pdi, digits: 1) > −DI \(mdi, digits: 1)" : "−DI \(mdi, digits: 1) > +DI \(pdi, digits: 1)"
        return Candidate(index: i, direction: dir, strength: strength,
                         indicators: [IndicatorValue("roc_\(rocPeriod)", r1), IndicatorValue("adx_\(adxPeriod)", adx),
                                      IndicatorValue("plus_di_\(adxPeriod)", pdi), IndicatorValue("minus_di_\(adxPeriod)", mdi)],
                         reason: Sentence("ROC(\(rocPeriod)) turned \(turned) (\(r0, digits: 2) → \(r1, digits: 2)) with ADX(\(adxPeriod)) \(adx, digits: 1) ≥ \(threshold, digits: 2) and \(dominance)\(vol.text)").text)
        }
    }
}

/// Volume breakout: long when the close makes a new `period`-bar high (above the highest high of the
/// previous `period` bars) on volume ≥ `volumeMultiple` × its average over those bars; short on a new
/// low likewise. strength = 0.3 + 0.35 × min(1, (relVol − m) / m) + 0.35 × min(1, breakout / ATR14).
public struct VolumeBreakout: Strategy {
    public var period = 20
    public var volumeMultiple = 2.0
    public init(period: Int = 20, volumeMultiple: Double = 2) { self.period = period; self.volumeMultiple = volumeMultiple }
    public var name: String { "volume_breakout" }
    public var parameters: [(name: String, value: Double)] { [("period", Double(period)), ("volume_multiple", volumeMultiple)] }
    public var horizonBars: Int { 10 }

    public func scan(_ ind: IndicatorCache, from start: Int) -> [Candidate] {
        let dc = ind.donchian(period), volumeAverage = ind.volumeSMA(period), atrLine = ind.atr(14)
        let close = ind.series.close, volume = ind.series.volume
        return eachBar(ind, from: start) { i in
        guard let hi = value(dc.upper, i - 1), let lo = value(dc.lower, i - 1),
              let avgVol = value(volumeAverage, i - 1), avgVol > 0 else { return nil }
        let c = close[i], v = volume[i]
        let rel = v / avgVol
        guard rel >= volumeMultiple else { return nil }
        let dir: Direction
        let breakout: Double
        if c > hi { dir = .long; breakout = c - hi } else if c < lo { dir = .short; breakout = lo - c } else { return nil }
        let atr = value(atrLine, i) ?? 0
        let strength = 0.3 + 0.35 * min(1, (rel - volumeMultiple) / volumeMultiple) + 0.35 * (atr > 0 ? min(1, breakout / atr) : 0.5)
        let level: Sentence = dir == .long ? "high \(price: hi)" : "low \(price: lo)"
        return Candidate(index: i, direction: dir, strength: strength,
                         indicators: [IndicatorValue(dir == .long ? "highest_\(period)" : "lowest_\(period)", dir == .long ? hi : lo),
                                      IndicatorValue("volume_ratio", rel)],
                         reason: Sentence("Close \(price: c) broke the \(period)-bar \(level) on volume \(rel, digits: 1)× its \(period)-bar average").text)
        }
    }
}

// MARK: - Mean reversion

/// RSI mean reversion: long when RSI crosses back above `lower`, short when it crosses back below `upper`.
/// strength = 0.4 + 0.6 × min(1, depth / 15), depth = how far the RSI went past the level over the
/// last 5 bars. Target: the SMA(20) (the mean), between 1 and 4 ATRs away.
public struct RSIReversion: Strategy {
    public var period = 14
    public var lower = 30.0, upper = 70.0
    public init(period: Int = 14, lower: Double = 30, upper: Double = 70) { self.period = period; self.lower = lower; self.upper = upper }
    public var name: String { "rsi_reversion" }
    public var parameters: [(name: String, value: Double)] { [("period", Double(period)), ("lower", lower), ("upper", upper)] }
    public var horizonBars: Int { 10 }

    public func scan(_ ind: IndicatorCache, from start: Int) -> [Candidate] {
        let r = ind.rsi(period)
        return eachBar(ind, from: start) { i in
        guard let r0 = value(r, i - 1), let r1 = value(r, i) else { return nil }
        let dir: Direction
        if r0 <= lower && r1 > lower { dir = .long } else if r0 >= upper && r1 < upper { dir = .short } else { return nil }
        var extreme = r0
        for k in max(0, i - 5)..<i { if let v = value(r, k) { extreme = dir == .long ? min(extreme, v) : max(extreme, v) } }
        let depth = dir == .long ? lower - extreme : extreme - upper
        let vol = volumePhrase(i, ind)
        return Candidate(index: i, direction: dir, strength: 0.4 + 0.6 * min(1, max(0, depth) / 15),
                         indicators: [IndicatorValue("rsi_\(period)", r1)],
                         reason: Sentence("RSI(\(period)) crossed \(dir.crossed) \(dir == .long ? lower : upper, digits: 2): \(r0, digits: 1) → \(r1, digits: 1)\(vol.text)").text,
                         targetATR: meanTarget(i, ind))
        }
    }
}

/// Bollinger reversion: long when the close comes back above the lower band after closing below it,
/// short when it comes back below the upper band. strength = 0.4 + 0.6 × min(1, 4 × p), where p is
/// how far the previous close went past the band as a share of the band width.
/// Target: the middle band, between 1 and 4 ATRs away.
public struct BollingerReversion: Strategy {
    public var period = 20
    public var k = 2.0
    public init(period: Int = 20, k: Double = 2) { self.period = period; self.k = k }
    public var name: String { "bollinger_reversion" }
    public var parameters: [(name: String, value: Double)] { [("period", Double(period)), ("k", k)] }
    public var horizonBars: Int { 10 }

    public func scan(_ ind: IndicatorCache, from start: Int) -> [Candidate] {
        let b = ind.bbands(period, k), close = ind.series.close
        return eachBar(ind, from: start) { i in
        guard let u0 = value(b.upper, i - 1), let l0 = value(b.lower, i - 1), let u1 = value(b.upper, i),
              let m1 = value(b.middle, i), let l1 = value(b.lower, i), u0 > l0 else { return nil }
        let c0 = close[i - 1], c1 = close[i]
        let dir: Direction
        let past: Double
        if c0 < l0 && c1 >= l1 { dir = .long; past = (l0 - c0) / (u0 - l0) } else if c0 > u0 && c1 <= u1 { dir = .short; past = (c0 - u0) / (u0 - l0) } else { return nil }
        let atr = value(ind.atr(14), i)
        let target = atr.map { $0 > 0 ? min(4, max(1, abs(m1 - c1) / $0)) : 1 }
        let vol = volumePhrase(i, ind)
        let band: Sentence = dir == .long ? "above the lower" : "below the upper", beyond: Sentence = dir == .long ? "<" : ">"
        return Candidate(index: i, direction: dir, strength: 0.4 + 0.6 * min(1, 4 * past),
                         indicators: [IndicatorValue("bb_upper", u1), IndicatorValue("bb_middle", m1), IndicatorValue("bb_lower", l1)],
                         reason: Sentence("Close came back \(band) Bollinger band (\(period), \(k, digits: 2)): \(price: c0) \(beyond) \(price: dir == .long ? l0 : u0) → \(price: c1), middle \(price: m1)\(vol.text)").text,
                         targetATR: target)
        }
    }
}

/// Stochastic cross: long when slow %K crosses above %D with both below `lower` on the previous bar,
/// short when it crosses below %D with both above `upper`.
/// strength = 0.4 + 0.6 × min(1, depth / 15), depth = how far the lower of %K/%D was past the level.
public struct StochasticCross: Strategy {
    public var fastK = 14, slowK = 3, slowD = 3
    public var lower = 20.0, upper = 80.0
    public init(fastK: Int = 14, slowK: Int = 3, slowD: Int = 3, lower: Double = 20, upper: Double = 80) {
        self.fastK = fastK; self.slowK = slowK; self.slowD = slowD; self.lower = lower; self.upper = upper
    }
    public var name: String { "stochastic_cross" }
    public var parameters: [(name: String, value: Double)] {
        [("k", Double(fastK)), ("slow_k", Double(slowK)), ("d", Double(slowD)), ("lower", lower), ("upper", upper)]
    }
    public var horizonBars: Int { 10 }

    public func scan(_ ind: IndicatorCache, from start: Int) -> [Candidate] {
        let s = ind.stoch(fastK, slowK, slowD)
        return eachBar(ind, from: start) { i in
        guard let k0 = value(s.k, i - 1), let d0 = value(s.d, i - 1), let k1 = value(s.k, i), let d1 = value(s.d, i) else { return nil }
        let dir: Direction
        let depth: Double
        if k0 <= d0 && k1 > d1 && max(k0, d0) < lower { dir = .long; depth = lower - min(k0, d0) }
        else if k0 >= d0 && k1 < d1 && min(k0, d0) > upper { dir = .short; depth = max(k0, d0) - upper }
        else { return nil }
        let vol = volumePhrase(i, ind)
        return Candidate(index: i, direction: dir, strength: 0.4 + 0.6 * min(1, depth / 15),
                         indicators: [IndicatorValue("stoch_k", k1), IndicatorValue("stoch_d", d1)],
                         reason: Sentence("Stochastic %K crossed \(dir.crossed) %D \(dir.opposite.crossed) \(dir == .long ? lower : upper, digits: 2): %K \(k0, digits: 1) → \(k1, digits: 1), %D \(d1, digits: 1)\(vol.text)").text,
                         targetATR: meanTarget(i, ind))
        }
    }
}

/// The distance from the close to SMA(20) in ATR14s, clamped to [1, 4]: the target of a reversion.
func meanTarget(_ i: Int, _ ind: IndicatorCache) -> Double? {
    guard let mean = value(ind.sma(20), i), let atr = value(ind.atr(14), i), atr > 0 else { return nil }
    return min(4, max(1, abs(mean - ind.series.close[i]) / atr))
}
