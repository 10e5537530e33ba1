/// Namespace of batch indicators over contiguous series. Every output array has the input's count;
/// values during the warm-up (index < lookback) are Double.nan. Conventions are TA-Lib's.
public enum TA {}

/// The three TA_MACD lines, each with the input's count.
public struct MACDOutput: Sendable {
    /// Fast EMA minus slow EMA.
    public var macd: [Double]
    /// EMA of the MACD line.
    public var signal: [Double]
    /// MACD line minus signal line.
    public var histogram: [Double]
    /// Wraps three already computed lines.
    public init(macd: [Double], signal: [Double], histogram: [Double]) {
        self.macd = macd; self.signal = signal; self.histogram = histogram
    }
}

/// Upper, middle and lower band, each with the input's count (Bollinger, Donchian).
public struct BandsOutput: Sendable {
    /// Upper band.
    public var upper: [Double]
    /// Middle line.
    public var middle: [Double]
    /// Lower band.
    public var lower: [Double]
    /// Wraps three already computed bands.
    public init(upper: [Double], middle: [Double], lower: [Double]) {
        self.upper = upper; self.middle = middle; self.lower = lower
    }
}

/// Slow %K and slow %D of TA_STOCH, each with the input's count.
public struct StochOutput: Sendable {
    /// Slow %K (SMA of fast %K).
    public var k: [Double]
    /// Slow %D (SMA of slow %K).
    public var d: [Double]
    /// Wraps two already computed lines.
    public init(k: [Double], d: [Double]) { self.k = k; self.d = d }
}

/// TA_ADX with the TA_PLUS_DI / TA_MINUS_DI of the same period, each with the input's count.
public struct ADXOutput: Sendable {
    /// Average directional index (lookback 2·period − 1).
    public var adx: [Double]
    /// +DI (lookback period).
    public var plusDI: [Double]
    /// −DI (lookback period).
    public var minusDI: [Double]
    /// Wraps three already computed lines.
    public init(adx: [Double], plusDI: [Double], minusDI: [Double]) {
        self.adx = adx; self.plusDI = plusDI; self.minusDI = minusDI
    }
}

extension TA {
    /// TA-Lib's TA_IS_ZERO: |v| < TA_EPSILON (1e-14 since TA-Lib 0.6).
    @inline(__always) static func isZero(_ v: Double) -> Bool { -1e-14 < v && v < 1e-14 }

    /// TA-Lib's TA_IS_ZERO_OR_NEG: v < TA_EPSILON.
    @inline(__always) static func isZeroOrNeg(_ v: Double) -> Bool { v < 1e-14 }

    /// Stops with a clear message when a period is below TA-Lib's minimum.
    @inline(__always) static func checkPeriod(_ value: Int, min: Int, _ name: StaticString, _ fn: StaticString) {
        precondition(value >= min, "TA.\(fn): \(name) must be >= \(min), got \(value)")
    }

    /// Stops with a clear message when parallel input series differ in length.
    @inline(__always) static func checkCounts(_ fn: StaticString, _ counts: Int...) {
        precondition(counts.allSatisfy { $0 == counts[0] }, "TA.\(fn): input series must have the same count, got \(counts)")
    }

    /// An output array of `n` NaNs.
    @inline(__always) static func nans(_ n: Int) -> [Double] { [Double](repeating: .nan, count: n) }

    /// TA_INT_SMA over x[start..<end]: writes out[start+period-1 ..< end]; the running sum starts at `start`.
    @inline(__always)
    static func smaKernel(_ x: UnsafePointer<Double>, start: Int, end: Int, period: Int,
                          _ out: UnsafeMutablePointer<Double>) {
        let first = start + period - 1
        guard first < end else { return }
        let p = Double(period)
        var total = 0.0
        var i = start
        while i < first { total += x[i]; i += 1 }
        var trailing = start
        while i < end {
            total += x[i]
            let t = total
            total -= x[trailing]
            trailing += 1
            out[i] = t / p
            i += 1
        }
    }

    /// TA_INT_EMA (default compatibility) over x[start..<end]: seeded with the SMA of the first `period` values.
    @inline(__always)
    static func emaKernel(_ x: UnsafePointer<Double>, start: Int, end: Int, period: Int, k: Double,
                          _ out: UnsafeMutablePointer<Double>) {
        let first = start + period - 1
        guard first < end else { return }
        var sum = 0.0
        var i = start
        while i <= first { sum += x[i]; i += 1 }
        var prev = sum / Double(period)
        out[first] = prev
        while i < end {
            prev = (x[i] - prev) * k + prev
            out[i] = prev
            i += 1
        }
    }

    /// Highest high and lowest low over the last `period` bars, for every bar from period−1 on, scanned the way
    /// TA_STOCH / TA_WILLR do (the extremes are rescanned only when the previous one leaves the window).
    @inline(__always)
    static func rollingExtremes(_ high: UnsafePointer<Double>, _ low: UnsafePointer<Double>, count n: Int, period: Int,
                                _ body: (_ i: Int, _ highest: Double, _ lowest: Double) -> Void) {
        var highestIdx = -1, lowestIdx = -1
        var highest = 0.0, lowest = 0.0
        var today = period - 1
        var trailing = 0
        while today < n {
            var tmp = low[today]
            if lowestIdx < trailing {
                lowestIdx = trailing; lowest = low[lowestIdx]
                var i = lowestIdx + 1
                while i <= today { tmp = low[i]; if tmp < lowest { lowestIdx = i; lowest = tmp }; i += 1 }
            } else if tmp <= lowest {
                lowestIdx = today; lowest = tmp
            }
            tmp = high[today]
            if highestIdx < trailing {
                highestIdx = trailing; highest = high[highestIdx]
                var i = highestIdx + 1
                while i <= today { tmp = high[i]; if tmp > highest { highestIdx = i; highest = tmp }; i += 1 }
            } else if tmp >= highest {
                highestIdx = today; highest = tmp
            }
            body(today, highest, lowest)
            trailing += 1
            today += 1
        }
    }
}
