import Indicators
import Testing

/// Small cases worked by hand, and warm-up lengths equal to the lookbacks.
@Suite struct IndicatorsHandTests {
    func close(_ a: [Double], _ b: [Double], tol: Double = 1e-9) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { ($0.isNaN && $1.isNaN) || abs($0 - $1) <= tol * max(1, abs($1)) }
    }
    let nan = Double.nan

    @Test func movingAverages() {
        let x: [Double] = [1, 2, 3, 4, 5]
        #expect(close(TA.sma(x, period: 3), [nan, nan, 2, 3, 4]))
        // EMA(3): k = 0.5, seed mean(1,2,3) = 2; then (4−2)·0.5+2 = 3, (5−3)·0.5+3 = 4.
        #expect(close(TA.ema(x, period: 3), [nan, nan, 2, 3, 4]))
        let e2: Double = 3 + (9 - 3) * 2.0 / 3, e3: Double = 7 + (1 - 7) * 2.0 / 3
        #expect(close(TA.ema([2, 4, 9, 1], period: 2), [nan, 3, e2, e3]))
        // WMA(3), divider 6: (1+4+9)/6, (2+6+12)/6, (3+8+15)/6.
        #expect(close(TA.wma(x, period: 3), [nan, nan, 14.0 / 6, 20.0 / 6, 26.0 / 6]))
        #expect(TA.sma([1, 2], period: 3).allSatisfy { $0.isNaN })
    }

    @Test func rsi() {
        // Moves +1, −1, +1, +1. Seed over 2 moves: gain 0.5, loss 0.5 → 50;
        // then gain (0.5+1)/2 = 0.75, loss 0.25 → 75; gain 0.875, loss 0.125 → 87.5.
        #expect(close(TA.rsi([1, 2, 1, 2, 3], period: 2), [nan, nan, 50, 75, 87.5]))
        // A flat series has no gain and no loss: TA-Lib writes 0, not NaN.
        #expect(close(TA.rsi([5, 5, 5, 5], period: 2), [nan, nan, 0, 0]))
    }

    @Test func macd() {
        // fast 2 / slow 3 / signal 2 on a straight line: slow seed mean(1,2,3) = 2, fast seed mean(2,3) = 2.5,
        // MACD = 0.5 from bar 2 on; signal seed mean(0.5, 0.5) = 0.5 at bar 3 (lookback 2 + 1).
        let m = TA.macd([1, 2, 3, 4, 5, 6], fast: 2, slow: 3, signal: 2)
        #expect(close(m.macd, [nan, nan, nan, 0.5, 0.5, 0.5]))
        #expect(close(m.signal, [nan, nan, nan, 0.5, 0.5, 0.5]))
        #expect(close(m.histogram, [nan, nan, nan, 0, 0, 0]))
        // Swapped periods behave as TA-Lib: slow/fast exchanged.
        #expect(close(TA.macd([1, 2, 3, 4, 5, 6], fast: 3, slow: 2, signal: 2).macd, m.macd))
    }

    @Test func bbands() {
        // Window 1,2,3: mean 2, population variance 14/3 − 4 = 2/3.
        let b = TA.bbands([1, 2, 3], period: 3, k: 2)
        let sd = (2.0 / 3).squareRoot()
        let up: [Double] = [nan, nan, 2 + 2 * sd], down: [Double] = [nan, nan, 2 - 2 * sd]
        #expect(close(b.middle, [nan, nan, 2]))
        #expect(close(b.upper, up))
        #expect(close(b.lower, down))
        // A constant window has zero deviation.
        #expect(close(TA.bbands([4, 4, 4], period: 2, k: 2).upper, [nan, 4, 4]))
    }

    @Test func atrAndNatr() {
        let h: [Double] = [2, 3, 4, 6], l: [Double] = [1, 1, 2, 3], c: [Double] = [1.5, 2, 3, 4]
        // TR1 = max(2, |1.5−3|, |1.5−1|) = 2; TR2 = max(2, 2, 0) = 2; TR3 = max(3, 3, 0) = 3.
        // ATR(2): (2+2)/2 = 2 at bar 2, (2·1 + 3)/2 = 2.5 at bar 3. NATR = 2/3·100, then 2.5/4·100 = 62.5.
        #expect(close(TA.atr(high: h, low: l, close: c, period: 2), [nan, nan, 2, 2.5]))
        #expect(close(TA.natr(high: h, low: l, close: c, period: 2), [nan, nan, 200.0 / 3, 62.5]))
    }

    let sh: [Double] = [3, 4, 5, 4, 3, 4], sl: [Double] = [1, 2, 3, 2, 1, 2], sc: [Double] = [2, 3, 4, 3, 2, 3]

    @Test func stoch() {
        // Fast %K(3): bar2 (4−1)/(5−1) = 75, bar3 (3−2)/(5−2) = 33.33, bar4 (2−1)/(5−1) = 25, bar5 (3−1)/(4−1) = 66.67.
        // Slow %K(2): 54.17, 29.17, 45.83 from bar 3; %D(2): 41.67, 37.5 from bar 4 (lookback 2+1+1).
        let s = TA.stoch(high: sh, low: sl, close: sc, fastK: 3, slowK: 2, slowD: 2)
        let k4: Double = (100.0 / 3 + 25) / 2, k5: Double = (25 + 200.0 / 3) / 2
        #expect(close(s.k, [nan, nan, nan, nan, k4, k5]))
        #expect(close(s.d, [nan, nan, nan, nan, 125.0 / 3, 37.5]))
        // Zero range (H = L over the window): %K is 0, as TA-Lib writes.
        let f = [Double](repeating: 7, count: 6)
        #expect(close(TA.stoch(high: f, low: f, close: f, fastK: 3, slowK: 2, slowD: 2).k, [nan, nan, nan, nan, 0, 0]))
    }

    @Test func willr() {
        // (HH − C)/(HH − LL)·−100: bar2 (5−4)/4 → −25; bar3 (5−3)/3 → −66.67.
        let w = TA.willr(high: sh, low: sl, close: sc, period: 3)
        #expect(close(Array(w[2...3]), [-25, -200.0 / 3]))
        let f = [Double](repeating: 7, count: 4)
        #expect(close(TA.willr(high: f, low: f, close: f, period: 2), [nan, 0, 0, 0]))
        // A close outside the window's range (a bad bar) is clamped to −100 or 0, as TA-Lib 0.8 does.
        let bad = TA.willr(high: [10, 11, 12], low: [9, 10, 11], close: [9.5, 10.5, 8], period: 3)
        #expect(bad[2] == -100)
        #expect(TA.willr(high: [10, 11, 12], low: [9, 10, 11], close: [9.5, 10.5, 13], period: 3)[2] == 0)
    }

    @Test func cci() {
        // tp = 1,2,3: mean 2, mean deviation 2/3 → (3−2)/(0.015·2/3) = 100.
        let x: [Double] = [1, 2, 3, 4]
        #expect(close(TA.cci(high: x, low: x, close: x, period: 3), [nan, nan, 100, 100]))
        let f = [Double](repeating: 2, count: 3)
        #expect(close(TA.cci(high: f, low: f, close: f, period: 2), [nan, 0, 0]))
    }

    @Test func mfi() {
        // tp = 1,2,1,3 with volume 1: flows +2 (bar1), −1 (bar2), +3 (bar3).
        // MFI(2) bar2: 2/(2+1) = 66.67; bar3: window bars 2–3: 3/(3+1) = 75.
        let tp: [Double] = [1, 2, 1, 3], v: [Double] = [1, 1, 1, 1]
        #expect(close(TA.mfi(high: tp, low: tp, close: tp, volume: v, period: 2), [nan, nan, 200.0 / 3, 75]))
    }

    @Test func obvAndRoc() {
        #expect(TA.obv(close: [1, 2, 2, 1], volume: [10, 20, 30, 40]) == [10, 30, 30, -10])
        // ROC(1): (2/1 − 1)·100 = 100, (0/2 − 1)·100 = −100, and 0 where the base is 0.
        #expect(close(TA.roc([1, 2, 0, 4], period: 1), [nan, 100, -100, 0]))
    }

    @Test func adx() {
        // Period 2. Move 1: +DM 1, TR 1.5. Move 2: +DM 1 − 0.5 + 1 = 1.5, TR 1.5 − 0.75 + 1.5 = 2.25 → +DI 66.67, −DI 0, DX 100.
        // Move 3: −DM 2, +DM 0.75, TR 1.125 + 2.5 = 3.625 → +DI 20.69, −DI 55.17, DX 100·1.25/2.75 = 45.45.
        // ADX at bar 3 (lookback 3) = (100 + 45.45)/2 = 72.73.
        let h: [Double] = [10, 11, 12, 11], l: [Double] = [9, 10, 11, 9], c: [Double] = [9.5, 10.5, 11.5, 10]
        let a = TA.adx(high: h, low: l, close: c, period: 2)
        let p3: Double = 75 / 3.625, m3: Double = 200 / 3.625, adx3: Double = (100 + 100 * 1.25 / 2.75) / 2
        #expect(close(a.plusDI, [nan, nan, 200.0 / 3, p3]))
        #expect(close(a.minusDI, [nan, nan, 0, m3]))
        #expect(close(a.adx, [nan, nan, nan, adx3]))
    }

    @Test func donchianAndVwap() {
        let d = TA.donchian(high: [1, 3, 2], low: [0, 1, 1], period: 2)
        #expect(close(d.upper, [nan, 3, 3]))
        #expect(close(d.lower, [nan, 0, 1]))
        #expect(close(d.middle, [nan, 1.5, 2]))
        // Session 1: tp 1 vol 1, then tp 2 vol 3 → (1 + 6)/4; session 2 has no volume → NaN.
        let p: [Double] = [1, 2, 3]
        #expect(close(TA.vwap(high: p, low: p, close: p, volume: [1, 3, 0], sessionStart: [true, false, true]), [1, 1.75, nan]))
    }

    @Test func warmUpEqualsLookback() {
        let n = 120
        let c: [Double] = (0..<n).map { (i: Int) -> Double in 100 + Double(i * 37 % 23) - Double(i * 11 % 7) }
        let h: [Double] = c.map { $0 + 1.5 }, l: [Double] = c.map { $0 - 1.25 }
        let v: [Double] = (0..<n).map { (i: Int) -> Double in 1000 + Double(i * 37 % 101) }
        func firstValue(_ a: [Double]) -> Int { a.firstIndex { !$0.isNaN } ?? -1 }
        #expect(firstValue(TA.sma(c, period: 20)) == TA.smaLookback(period: 20))
        #expect(firstValue(TA.ema(c, period: 20)) == TA.emaLookback(period: 20))
        #expect(firstValue(TA.wma(c, period: 20)) == TA.wmaLookback(period: 20))
        #expect(firstValue(TA.rsi(c, period: 14)) == TA.rsiLookback(period: 14))
        let m = TA.macd(c, fast: 12, slow: 26, signal: 9)
        #expect(TA.macdLookback(fast: 12, slow: 26, signal: 9) == 33)
        #expect(firstValue(m.macd) == 33)
        #expect(firstValue(m.signal) == 33)
        #expect(firstValue(m.histogram) == 33)
        let b = TA.bbands(c, period: 20, k: 2)
        #expect(firstValue(b.upper) == 19)
        #expect(firstValue(b.middle) == 19)
        #expect(firstValue(b.lower) == TA.bbandsLookback(period: 20))
        #expect(firstValue(TA.atr(high: h, low: l, close: c, period: 14)) == TA.atrLookback(period: 14))
        #expect(firstValue(TA.natr(high: h, low: l, close: c, period: 14)) == TA.natrLookback(period: 14))
        let s = TA.stoch(high: h, low: l, close: c, fastK: 14, slowK: 3, slowD: 3)
        #expect(TA.stochLookback(fastK: 14, slowK: 3, slowD: 3) == 17)
        #expect(firstValue(s.k) == 17)
        #expect(firstValue(s.d) == 17)
        #expect(firstValue(TA.willr(high: h, low: l, close: c, period: 14)) == TA.willrLookback(period: 14))
        #expect(firstValue(TA.cci(high: h, low: l, close: c, period: 20)) == TA.cciLookback(period: 20))
        #expect(firstValue(TA.mfi(high: h, low: l, close: c, volume: v, period: 14)) == TA.mfiLookback(period: 14))
        #expect(firstValue(TA.obv(close: c, volume: v)) == TA.obvLookback())
        let a = TA.adx(high: h, low: l, close: c, period: 14)
        #expect(TA.adxLookback(period: 14) == 27)
        #expect(firstValue(a.adx) == 27)
        #expect(firstValue(a.plusDI) == 14)
        #expect(firstValue(a.minusDI) == 14)
        #expect(firstValue(TA.roc(c, period: 10)) == TA.rocLookback(period: 10))
        #expect(firstValue(TA.donchian(high: h, low: l, period: 20).upper) == TA.donchianLookback(period: 20))
        let noSession = [Bool](repeating: false, count: n)
        #expect(firstValue(TA.vwap(high: h, low: l, close: c, volume: v, sessionStart: noSession)) == TA.vwapLookback())
        // Every output keeps the input's count, even when shorter than the warm-up.
        #expect(TA.adx(high: [1, 2], low: [0, 1], close: [1, 1], period: 14).adx.count == 2)
        #expect(TA.macd([1, 2, 3], fast: 12, slow: 26, signal: 9).signal.count == 3)
    }
}
