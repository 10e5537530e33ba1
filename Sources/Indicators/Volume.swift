extension TA {
    /// Bars before the first OBV (TA_OBV_Lookback: 0).
    public static func obvLookback() -> Int { 0 }
    /// Bars before the first MFI (TA_MFI_Lookback: period).
    public static func mfiLookback(period: Int) -> Int { period }
    /// Bars before the first VWAP: 0 (no warm-up; NaN only where the session's cumulative volume is 0).
    public static func vwapLookback() -> Int { 0 }

    /// On-balance volume, starting at the first bar's volume.
    // TA-Lib: TA_OBV — adds the volume on an up close, subtracts it on a down close, unchanged on an equal close.
    public static func obv(close: [Double], volume: [Double]) -> [Double] {
        checkCounts("obv", close.count, volume.count)
        let n = close.count
        var out = nans(n)
        guard n > 0 else { return out }
        close.withUnsafeBufferPointer { cp in
            volume.withUnsafeBufferPointer { vp in
                out.withUnsafeMutableBufferPointer { op in
                    var prevOBV = vp[0]
                    var prevReal = cp[0]
                    for i in 0..<n {
                        let c = cp[i]
                        if c > prevReal { prevOBV += vp[i] } else if c < prevReal { prevOBV -= vp[i] }
                        op[i] = prevOBV
                        prevReal = c
                    }
                }
            }
        }
        return out
    }

    /// Money flow index, 0…100, of typical price × volume over `period` bars (period ≥ 2).
    // TA-Lib: TA_MFI (0.8) — a bar whose typical price moved by no more than 1e-14·(|tp|+|tp₋₁|) adds no flow;
    // a window with no flow for `period` bars resets both sums to 0; 0 when the total is ≤ 0; ratio clamped to [0, 100].
    public static func mfi(high: [Double], low: [Double], close: [Double], volume: [Double], period: Int) -> [Double] {
        checkPeriod(period, min: 2, "period", "mfi")
        checkCounts("mfi", high.count, low.count, close.count, volume.count)
        let n = close.count
        var out = nans(n)
        guard n > period else { return out }
        var pos = [Double](repeating: 0, count: period), neg = [Double](repeating: 0, count: period)
        high.withUnsafeBufferPointer { hp in
            low.withUnsafeBufferPointer { lp in
                close.withUnsafeBufferPointer { cp in
                    volume.withUnsafeBufferPointer { vp in
                        out.withUnsafeMutableBufferPointer { op in
                            pos.withUnsafeMutableBufferPointer { pp in
                                neg.withUnsafeMutableBufferPointer { np in
                                    var prevValue = (hp[0] + lp[0] + cp[0]) / 3.0
                                    var posSum = 0.0, negSum = 0.0
                                    var nullRun = 0
                                    var idx = 0
                                    var today = 1
                                    while today < n {
                                        if today > period { posSum -= pp[idx]; negSum -= np[idx] }
                                        let tp = (hp[today] + lp[today] + cp[today]) / 3.0
                                        let d = tp - prevValue
                                        let scale = abs(tp) + abs(prevValue)
                                        prevValue = tp
                                        let flow = tp * vp[today]
                                        let moneyFlow = abs(d) <= 1e-14 * scale ? 0.0 : flow
                                        let posFlow = d < 0.0 ? 0.0 : moneyFlow
                                        let negFlow = d < 0.0 ? moneyFlow : 0.0
                                        pp[idx] = posFlow
                                        np[idx] = negFlow
                                        posSum += posFlow
                                        negSum += negFlow
                                        nullRun = moneyFlow == 0.0 ? nullRun + 1 : 0
                                        if nullRun >= period { nullRun = period; posSum = 0.0; negSum = 0.0 }
                                        if today >= period {
                                            let total = posSum + negSum
                                            let clamped = posSum < 0.0 ? 0.0 : (posSum > total ? total : posSum)
                                            op[today] = total <= 0.0 ? 0.0 : 100.0 * (clamped / total)
                                        }
                                        idx += 1; if idx == period { idx = 0 }
                                        today += 1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Volume-weighted average of the typical price (H+L+C)/3, cumulated from each bar where `sessionStart` is true.
    // No TA-Lib function: cumulative Σ(tp·v)/Σv per session, NaN while the session's cumulative volume is 0.
    public static func vwap(high: [Double], low: [Double], close: [Double], volume: [Double], sessionStart: [Bool]) -> [Double] {
        checkCounts("vwap", high.count, low.count, close.count, volume.count, sessionStart.count)
        let n = close.count
        var out = nans(n)
        high.withUnsafeBufferPointer { hp in
            low.withUnsafeBufferPointer { lp in
                close.withUnsafeBufferPointer { cp in
                    volume.withUnsafeBufferPointer { vp in
                        sessionStart.withUnsafeBufferPointer { sp in
                            out.withUnsafeMutableBufferPointer { op in
                                var pv = 0.0, vol = 0.0
                                for i in 0..<n {
                                    if sp[i] { pv = 0.0; vol = 0.0 }
                                    let tp = (hp[i] + lp[i] + cp[i]) / 3.0
                                    pv += tp * vp[i]
                                    vol += vp[i]
                                    op[i] = vol == 0.0 ? .nan : pv / vol
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
