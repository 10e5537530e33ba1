extension TA {
    /// Bars before the first RSI value (TA_RSI_Lookback: period).
    public static func rsiLookback(period: Int) -> Int { period }
    /// Bars before the first MACD value (TA_MACD_Lookback: slow − 1 + signal − 1, after swapping fast/slow if needed).
    public static func macdLookback(fast: Int, slow: Int, signal: Int) -> Int { max(fast, slow) - 1 + signal - 1 }
    /// Bars before the first slow %K / %D (TA_STOCH_Lookback with SMA: fastK − 1 + slowK − 1 + slowD − 1).
    public static func stochLookback(fastK: Int, slowK: Int, slowD: Int) -> Int { fastK - 1 + slowK - 1 + slowD - 1 }
    /// Bars before the first Williams %R (TA_WILLR_Lookback: period − 1).
    public static func willrLookback(period: Int) -> Int { period - 1 }
    /// Bars before the first CCI (TA_CCI_Lookback: period − 1).
    public static func cciLookback(period: Int) -> Int { period - 1 }
    /// Bars before the first ROC (TA_ROC_Lookback: period).
    public static func rocLookback(period: Int) -> Int { period }

    /// Wilder's relative strength index, 0…100, seeded by the simple means of the first `period` gains and losses (period ≥ 2).
    // TA-Lib: TA_RSI, classic (non-Metastock); avg = (avg·(n−1) + x)/n; 0 when avgGain+avgLoss is TA_IS_ZERO.
    public static func rsi(_ x: [Double], period: Int) -> [Double] {
        checkPeriod(period, min: 2, "period", "rsi")
        let n = x.count
        var out = nans(n)
        guard n > period else { return out }
        let p = Double(period), p1 = Double(period - 1)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                var prevValue = xp[0]
                var gain = 0.0, loss = 0.0
                var today = 1
                while today <= period {
                    let v = xp[today]
                    let d = v - prevValue
                    prevValue = v
                    if d < 0.0 { loss -= d } else { gain += d }
                    today += 1
                }
                loss /= p
                gain /= p
                var s = gain + loss
                op[period] = isZero(s) ? 0.0 : 100.0 * (gain / s)
                while today < n {
                    let v = xp[today]
                    let d = v - prevValue
                    prevValue = v
                    loss *= p1
                    gain *= p1
                    if d < 0.0 { loss -= d } else { gain += d }
                    loss /= p
                    gain /= p
                    s = gain + loss
                    op[today] = isZero(s) ? 0.0 : 100.0 * (gain / s)
                    today += 1
                }
            }
        }
        return out
    }

    /// MACD line (EMA fast − EMA slow), its EMA signal line and histogram (fast, slow ≥ 2; signal ≥ 1).
    // TA-Lib: TA_MACD — k = 2/(n+1) for every line; fast and slow SMA seeds end on the same bar (slow − 1);
    // the signal EMA is seeded with the mean of the first `signal` MACD values; fast/slow swapped if slow < fast.
    public static func macd(_ x: [Double], fast: Int, slow: Int, signal: Int) -> MACDOutput {
        checkPeriod(fast, min: 2, "fast", "macd")
        checkPeriod(slow, min: 2, "slow", "macd")
        checkPeriod(signal, min: 1, "signal", "macd")
        let f = min(fast, slow), s = max(fast, slow)
        let n = x.count
        var m = nans(n), sig = nans(n), hist = nans(n)
        let lookback = s - 1 + signal - 1
        guard n > lookback else { return MACDOutput(macd: m, signal: sig, histogram: hist) }
        let fastK = 2.0 / Double(f + 1), slowK = 2.0 / Double(s + 1), signalK = 2.0 / Double(signal + 1)
        x.withUnsafeBufferPointer { xp in
            m.withUnsafeMutableBufferPointer { mp in
                sig.withUnsafeMutableBufferPointer { sp in
                    hist.withUnsafeMutableBufferPointer { hp in
                        var today = 0
                        var slowSum = 0.0
                        for _ in 0..<(s - f) { slowSum += xp[today]; today += 1 }
                        var prevFast = 0.0
                        for _ in 0..<f { prevFast += xp[today]; slowSum += xp[today]; today += 1 }
                        var prevSlow = slowSum / Double(s)
                        prevFast = prevFast / Double(f)
                        var macdValue = prevFast - prevSlow
                        var prevSignal = 0.0
                        prevSignal += macdValue
                        for _ in 0..<(signal - 1) {
                            let v = xp[today]; today += 1
                            prevFast = (v - prevFast) * fastK + prevFast
                            prevSlow = (v - prevSlow) * slowK + prevSlow
                            macdValue = prevFast - prevSlow
                            prevSignal += macdValue
                        }
                        prevSignal = prevSignal / Double(signal)
                        mp[lookback] = macdValue
                        sp[lookback] = prevSignal
                        hp[lookback] = macdValue - prevSignal
                        while today < n {
                            let v = xp[today]
                            prevFast = (v - prevFast) * fastK + prevFast
                            prevSlow = (v - prevSlow) * slowK + prevSlow
                            macdValue = prevFast - prevSlow
                            prevSignal = (macdValue - prevSignal) * signalK + prevSignal
                            mp[today] = macdValue
                            sp[today] = prevSignal
                            hp[today] = macdValue - prevSignal
                            today += 1
                        }
                    }
                }
            }
        }
        return MACDOutput(macd: m, signal: sig, histogram: hist)
    }

    /// Slow stochastic: fast %K over `fastK` bars, smoothed by an SMA of `slowK` (slow %K), then an SMA of `slowD` (%D).
    // TA-Lib: TA_STOCH with SlowK/SlowD MAType 0 (SMA); fast %K = (C − LL)/((HH − LL)/100), 0 when HH − LL == 0.
    public static func stoch(high: [Double], low: [Double], close: [Double],
                             fastK: Int, slowK: Int, slowD: Int) -> StochOutput {
        checkPeriod(fastK, min: 1, "fastK", "stoch")
        checkPeriod(slowK, min: 1, "slowK", "stoch")
        checkPeriod(slowD, min: 1, "slowD", "stoch")
        checkCounts("stoch", high.count, low.count, close.count)
        let n = close.count
        var kOut = nans(n), dOut = nans(n)
        let lookback = stochLookback(fastK: fastK, slowK: slowK, slowD: slowD)
        guard n > lookback else { return StochOutput(k: kOut, d: dOut) }
        var fast = nans(n)
        high.withUnsafeBufferPointer { hp in
            low.withUnsafeBufferPointer { lp in
                close.withUnsafeBufferPointer { cp in
                    fast.withUnsafeMutableBufferPointer { fp in
                        kOut.withUnsafeMutableBufferPointer { kp in
                            dOut.withUnsafeMutableBufferPointer { dp in
                                rollingExtremes(hp.baseAddress!, lp.baseAddress!, count: n, period: fastK) { i, hh, ll in
                                    let diff = (hh - ll) / 100.0
                                    fp[i] = diff != 0.0 ? (cp[i] - ll) / diff : 0.0
                                }
                                smaKernel(fp.baseAddress!, start: fastK - 1, end: n, period: slowK, kp.baseAddress!)
                                smaKernel(kp.baseAddress!, start: fastK - 1 + slowK - 1, end: n, period: slowD, dp.baseAddress!)
                                var i = fastK - 1 + slowK - 1
                                while i < lookback { kp[i] = .nan; i += 1 }
                            }
                        }
                    }
                }
            }
        }
        return StochOutput(k: kOut, d: dOut)
    }

    /// Williams %R over the last `period` bars, −100…0 (period ≥ 2).
    // TA-Lib: TA_WILLR (0.8) — (HH − C)/((HH − LL)/−100), 0 when HH − LL == 0 exactly, clamped into [−100, 0]
    // (a close outside the window's range, as on bad bars, gives −100 or 0).
    public static func willr(high: [Double], low: [Double], close: [Double], period: Int) -> [Double] {
        checkPeriod(period, min: 2, "period", "willr")
        checkCounts("willr", high.count, low.count, close.count)
        let n = close.count
        var out = nans(n)
        guard n >= period else { return out }
        high.withUnsafeBufferPointer { hp in
            low.withUnsafeBufferPointer { lp in
                close.withUnsafeBufferPointer { cp in
                    out.withUnsafeMutableBufferPointer { op in
                        rollingExtremes(hp.baseAddress!, lp.baseAddress!, count: n, period: period) { i, hh, ll in
                            let diff = (hh - ll) / (0 - 100.0)
                            let r = diff != 0.0 ? (hh - cp[i]) / diff : 0.0
                            op[i] = r < -100.0 ? -100.0 : (r > 0.0 ? 0.0 : r)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Commodity channel index of the typical price (H+L+C)/3 over `period` bars (period ≥ 2).
    // TA-Lib: TA_CCI — (tp − mean)/(0.015 · mean deviation), sums taken in ring-buffer order; 0 when either is TA_IS_ZERO.
    public static func cci(high: [Double], low: [Double], close: [Double], period: Int) -> [Double] {
        checkPeriod(period, min: 2, "period", "cci")
        checkCounts("cci", high.count, low.count, close.count)
        let n = close.count
        var out = nans(n)
        guard n >= period else { return out }
        let p = Double(period)
        var ring = [Double](repeating: 0, count: period)
        high.withUnsafeBufferPointer { hp in
            low.withUnsafeBufferPointer { lp in
                close.withUnsafeBufferPointer { cp in
                    out.withUnsafeMutableBufferPointer { op in
                        ring.withUnsafeMutableBufferPointer { rp in
                            var idx = 0
                            var i = 0
                            while i < period - 1 {
                                rp[idx] = (hp[i] + lp[i] + cp[i]) / 3
                                idx += 1; if idx == period { idx = 0 }
                                i += 1
                            }
                            while i < n {
                                let last = (hp[i] + lp[i] + cp[i]) / 3
                                rp[idx] = last
                                var avg = 0.0
                                for j in 0..<period { avg += rp[j] }
                                avg /= p
                                var dev = 0.0
                                for j in 0..<period { dev += abs(rp[j] - avg) }
                                let num = last - avg
                                op[i] = (!isZero(num) && !isZero(dev)) ? num / (0.015 * (dev / p)) : 0.0
                                idx += 1; if idx == period { idx = 0 }
                                i += 1
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Rate of change in percent: (x / x[−period] − 1)·100 (period ≥ 1).
    // TA-Lib: TA_ROC — 0 when the value `period` bars back is 0.
    public static func roc(_ x: [Double], period: Int) -> [Double] {
        checkPeriod(period, min: 1, "period", "roc")
        let n = x.count
        var out = nans(n)
        guard n > period else { return out }
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                for i in period..<n {
                    let t = xp[i - period]
                    op[i] = t != 0.0 ? ((xp[i] / t) - 1.0) * 100.0 : 0.0
                }
            }
        }
        return out
    }
}
