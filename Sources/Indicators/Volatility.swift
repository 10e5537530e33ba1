extension TA {
    /// Bars before the first ATR (TA_ATR_Lookback: period).
    public static func atrLookback(period: Int) -> Int { period }
    /// Bars before the first NATR (TA_NATR_Lookback: period).
    public static func natrLookback(period: Int) -> Int { period }
    /// Bars before the first Bollinger bands (TA_BBANDS_Lookback with SMA: period − 1).
    public static func bbandsLookback(period: Int) -> Int { period - 1 }

    /// True range of bar `i` (i ≥ 1) in TA_TRANGE's order: max(H − L, |C₋₁ − H|, |C₋₁ − L|).
    @inline(__always)
    static func trueRange(_ h: UnsafeBufferPointer<Double>, _ l: UnsafeBufferPointer<Double>,
                          _ c: UnsafeBufferPointer<Double>, _ i: Int) -> Double {
        let hi = h[i], lo = l[i], prevClose = c[i - 1]
        var greatest = hi - lo
        let v2 = abs(prevClose - hi)
        if v2 > greatest { greatest = v2 }
        let v3 = abs(prevClose - lo)
        if v3 > greatest { greatest = v3 }
        return greatest
    }

    /// Wilder ATR into `out` (NaN-filled), optionally divided by close ·100 (NATR).
    @inline(__always)
    static func atrKernel(high: [Double], low: [Double], close: [Double], period: Int, normalized: Bool) -> [Double] {
        let n = close.count
        var out = nans(n)
        guard n > period else { return out }
        let p = Double(period), p1 = Double(period - 1)
        high.withUnsafeBufferPointer { hp in
            low.withUnsafeBufferPointer { lp in
                close.withUnsafeBufferPointer { cp in
                    out.withUnsafeMutableBufferPointer { op in
                        @inline(__always) func emit(_ i: Int, _ atr: Double) {
                            if normalized {
                                let c = cp[i]
                                op[i] = isZero(c) ? 0.0 : (atr / c) * 100.0
                            } else {
                                op[i] = atr
                            }
                        }
                        if period == 1 {  // TA_ATR/TA_NATR with period 1 is the true range itself
                            for i in 1..<n { emit(i, trueRange(hp, lp, cp, i)) }
                            return
                        }
                        var sum = 0.0
                        for i in 1...period { sum += trueRange(hp, lp, cp, i) }
                        var prevATR = sum / p
                        emit(period, prevATR)
                        var i = period + 1
                        while i < n {
                            prevATR *= p1
                            prevATR += trueRange(hp, lp, cp, i)
                            prevATR /= p
                            emit(i, prevATR)
                            i += 1
                        }
                    }
                }
            }
        }
        return out
    }

    /// Wilder's average true range (period ≥ 1).
    // TA-Lib: TA_ATR — first value is the SMA of the first `period` true ranges (from bar 1), then (prev·(n−1) + TR)/n.
    public static func atr(high: [Double], low: [Double], close: [Double], period: Int) -> [Double] {
        checkPeriod(period, min: 1, "period", "atr")
        checkCounts("atr", high.count, low.count, close.count)
        return atrKernel(high: high, low: low, close: close, period: period, normalized: false)
    }

    /// Normalized ATR: ATR / close · 100 (period ≥ 1).
    // TA-Lib: TA_NATR — same recursion as TA_ATR; 0 when the close is TA_IS_ZERO.
    public static func natr(high: [Double], low: [Double], close: [Double], period: Int) -> [Double] {
        checkPeriod(period, min: 1, "period", "natr")
        checkCounts("natr", high.count, low.count, close.count)
        return atrKernel(high: high, low: low, close: close, period: period, normalized: true)
    }

    /// Bollinger bands: SMA middle ± k · population standard deviation over `period` bars (period ≥ 2).
    // TA-Lib: TA_BBANDS with MAType SMA and nbDevUp = nbDevDn = k — the deviation comes from a running sum of squares
    // minus the squared SMA (TA_INT_stddev_using_precalc_ma), 0 when that variance is TA_IS_ZERO_OR_NEG.
    public static func bbands(_ x: [Double], period: Int, k: Double) -> BandsOutput {
        checkPeriod(period, min: 2, "period", "bbands")
        let n = x.count
        var upper = nans(n), middle = nans(n), lower = nans(n)
        guard n >= period else { return BandsOutput(upper: upper, middle: middle, lower: lower) }
        let p = Double(period)
        x.withUnsafeBufferPointer { xp in
            middle.withUnsafeMutableBufferPointer { mp in
                upper.withUnsafeMutableBufferPointer { up in
                    lower.withUnsafeMutableBufferPointer { lp in
                        smaKernel(xp.baseAddress!, start: 0, end: n, period: period, mp.baseAddress!)
                        var total2 = 0.0
                        var i = 0
                        while i < period - 1 { let v = xp[i]; total2 += v * v; i += 1 }
                        var trailing = 0
                        while i < n {
                            var v = xp[i]
                            total2 += v * v
                            var mean2 = total2 / p
                            v = xp[trailing]
                            total2 -= v * v
                            let ma = mp[i]
                            mean2 -= ma * ma
                            let sd = isZeroOrNeg(mean2) ? 0.0 : mean2.squareRoot()
                            if k == 1.0 {
                                up[i] = ma + sd
                                lp[i] = ma - sd
                            } else {
                                let w = sd * k
                                up[i] = ma + w
                                lp[i] = ma - w
                            }
                            trailing += 1
                            i += 1
                        }
                    }
                }
            }
        }
        return BandsOutput(upper: upper, middle: middle, lower: lower)
    }
}
