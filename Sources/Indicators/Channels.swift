extension TA {
    /// Bars before the first Donchian channel: period − 1 (as TA_MAX / TA_MIN).
    public static func donchianLookback(period: Int) -> Int { period - 1 }

    /// Donchian channel: upper = highest high, lower = lowest low, middle = their mean, over the last `period` bars
    /// including the current one (period ≥ 1).
    // TA-Lib: no TA_DONCHIAN; upper is TA_MAX(high), lower is TA_MIN(low) over the same period, middle (upper + lower)/2.
    public static func donchian(high: [Double], low: [Double], period: Int) -> BandsOutput {
        checkPeriod(period, min: 1, "period", "donchian")
        checkCounts("donchian", high.count, low.count)
        let n = high.count
        var upper = nans(n), middle = nans(n), lower = nans(n)
        guard n >= period else { return BandsOutput(upper: upper, middle: middle, lower: lower) }
        high.withUnsafeBufferPointer { hp in
            low.withUnsafeBufferPointer { lp in
                upper.withUnsafeMutableBufferPointer { up in
                    middle.withUnsafeMutableBufferPointer { mp in
                        lower.withUnsafeMutableBufferPointer { dp in
                            rollingExtremes(hp.baseAddress!, lp.baseAddress!, count: n, period: period) { i, hh, ll in
                                up[i] = hh
                                dp[i] = ll
                                mp[i] = (hh + ll) / 2
                            }
                        }
                    }
                }
            }
        }
        return BandsOutput(upper: upper, middle: middle, lower: lower)
    }
}
