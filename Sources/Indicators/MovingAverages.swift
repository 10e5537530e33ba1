extension TA {
    /// Bars before the first SMA value (TA_SMA_Lookback: period − 1).
    public static func smaLookback(period: Int) -> Int { period - 1 }
    /// Bars before the first EMA value (TA_EMA_Lookback: period − 1).
    public static func emaLookback(period: Int) -> Int { period - 1 }
    /// Bars before the first WMA value (TA_WMA_Lookback: period − 1).
    public static func wmaLookback(period: Int) -> Int { period - 1 }

    /// Simple moving average of the last `period` values (period ≥ 2).
    // TA-Lib: TA_SMA — running sum, the trailing value subtracted after each output.
    public static func sma(_ x: [Double], period: Int) -> [Double] {
        checkPeriod(period, min: 2, "period", "sma")
        var out = nans(x.count)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                guard let xb = xp.baseAddress, let ob = op.baseAddress else { return }
                smaKernel(xb, start: 0, end: xp.count, period: period, ob)
            }
        }
        return out
    }

    /// Exponential moving average, k = 2/(period+1), seeded with the SMA of the first `period` values (period ≥ 2).
    // TA-Lib: TA_EMA, default compatibility (SMA seed), prev = (x − prev)·k + prev.
    public static func ema(_ x: [Double], period: Int) -> [Double] {
        checkPeriod(period, min: 2, "period", "ema")
        var out = nans(x.count)
        let k = 2.0 / Double(period + 1)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                guard let xb = xp.baseAddress, let ob = op.baseAddress else { return }
                emaKernel(xb, start: 0, end: xp.count, period: period, k: k, ob)
            }
        }
        return out
    }

    /// Linearly weighted moving average, weights 1…period with the newest heaviest (period ≥ 2).
    // TA-Lib: TA_WMA — running weighted sum and running plain sum, divider period·(period+1)/2.
    public static func wma(_ x: [Double], period: Int) -> [Double] {
        checkPeriod(period, min: 2, "period", "wma")
        let n = x.count
        var out = nans(n)
        guard n >= period else { return out }
        let divider = Double((period * (period + 1)) >> 1)
        let p = Double(period)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                var periodSum = 0.0, periodSub = 0.0
                var i = 0
                while i < period - 1 {
                    let v = xp[i]
                    periodSub += v
                    periodSum += v * Double(i + 1)
                    i += 1
                }
                var trailingValue = 0.0
                var trailing = 0
                while i < n {
                    let v = xp[i]
                    periodSub += v
                    periodSub -= trailingValue
                    periodSum += v * p
                    trailingValue = xp[trailing]
                    trailing += 1
                    op[i] = periodSum / divider
                    periodSum -= periodSub
                    i += 1
                }
            }
        }
        return out
    }
}
