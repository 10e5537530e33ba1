extension TA {
    /// Bars before the first ADX (TA_ADX_Lookback: 2·period − 1); +DI and −DI start at `period` (TA_PLUS_DI_Lookback).
    public static func adxLookback(period: Int) -> Int { 2 * period - 1 }

    /// Wilder's ADX with the +DI and −DI of the same period, in one pass (period ≥ 2).
    // TA-Lib: TA_ADX, TA_PLUS_DI, TA_MINUS_DI — DM and TR summed over the first period−1 moves, then
    // prev − prev/n + x; DI = 100·DM/TR (0 when TR is TA_IS_ZERO); first ADX = mean of `period` DX;
    // then (prev·(n−1) + DX)/n; a bar whose DX is undefined (TR or +DI + −DI TA_IS_ZERO) leaves the ADX unchanged.
    public static func adx(high: [Double], low: [Double], close: [Double], period: Int) -> ADXOutput {
        checkPeriod(period, min: 2, "period", "adx")
        checkCounts("adx", high.count, low.count, close.count)
        let n = close.count
        var adxOut = nans(n), plusOut = nans(n), minusOut = nans(n)
        guard n > period else { return ADXOutput(adx: adxOut, plusDI: plusOut, minusDI: minusOut) }
        let p = Double(period), p1 = Double(period - 1)
        let lookback = 2 * period - 1
        high.withUnsafeBufferPointer { hp in
            low.withUnsafeBufferPointer { lp in
                close.withUnsafeBufferPointer { cp in
                    adxOut.withUnsafeMutableBufferPointer { ap in
                        plusOut.withUnsafeMutableBufferPointer { pp in
                            minusOut.withUnsafeMutableBufferPointer { mp in
                                var prevHigh = hp[0], prevLow = lp[0], prevClose = cp[0]
                                var plusDM = 0.0, minusDM = 0.0, tr = 0.0
                                var sumDX = 0.0, prevADX = 0.0
                                var today = 1
                                while today < n {
                                    let h = hp[today], l = lp[today]
                                    let diffP = h - prevHigh
                                    let diffM = prevLow - l
                                    prevHigh = h
                                    prevLow = l
                                    var range = prevHigh - prevLow
                                    var tmp = abs(prevHigh - prevClose)
                                    if tmp > range { range = tmp }
                                    tmp = abs(prevLow - prevClose)
                                    if tmp > range { range = tmp }
                                    prevClose = cp[today]
                                    if today < period {  // initial sums over period − 1 moves
                                        if diffM > 0 && diffP < diffM { minusDM += diffM } else if diffP > 0 && diffP > diffM { plusDM += diffP }
                                        tr += range
                                        today += 1
                                        continue
                                    }
                                    minusDM -= minusDM / p
                                    plusDM -= plusDM / p
                                    if diffM > 0 && diffP < diffM { minusDM += diffM } else if diffP > 0 && diffP > diffM { plusDM += diffP }
                                    tr = tr - tr / p + range
                                    var dx = Double.nan
                                    if !isZero(tr) {
                                        let minusDI = 100.0 * (minusDM / tr)
                                        let plusDI = 100.0 * (plusDM / tr)
                                        pp[today] = plusDI
                                        mp[today] = minusDI
                                        let s = minusDI + plusDI
                                        if !isZero(s) { dx = 100.0 * (abs(minusDI - plusDI) / s) }
                                    } else {
                                        pp[today] = 0.0
                                        mp[today] = 0.0
                                    }
                                    if today < lookback {
                                        if !dx.isNaN { sumDX += dx }
                                    } else if today == lookback {
                                        if !dx.isNaN { sumDX += dx }
                                        prevADX = sumDX / p
                                        ap[today] = prevADX
                                    } else {
                                        if !dx.isNaN { prevADX = (prevADX * p1 + dx) / p }
                                        ap[today] = prevADX
                                    }
                                    today += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        return ADXOutput(adx: adxOut, plusDI: plusOut, minusDI: minusOut)
    }
}
