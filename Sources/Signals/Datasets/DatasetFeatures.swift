#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Indicators
import Market

/// One model feature: a stable column name, its warm-up (the index of its first defined value on a
/// gap-free series; earlier rows are null) and its formula in one line (docs/DATASETS.md has them all).
/// Every value at bar t reads bars ≤ t only.
public struct DatasetFeature: Sendable, Hashable {
    public var name: String
    public var warmup: Int
    public var formula: String
    /// Intraday series only (minutes since the session opened).
    public var intradayOnly: Bool = false
    /// Calendar features are never normalized.
    public var isCalendar: Bool = false

    /// Every feature, in column order.
    public static let catalog: [DatasetFeature] = [
        .init(name: "ret_1", warmup: 1, formula: "ln(close_t) − ln(close_t-1)"),
        .init(name: "ret_5", warmup: 5, formula: "ln(close_t) − ln(close_t-5)"),
        .init(name: "ret_20", warmup: 20, formula: "ln(close_t) − ln(close_t-20)"),
        .init(name: "rvol_20", warmup: 20, formula: "sample standard deviation (n−1) of ret_1 over bars t-19..t"),
        .init(name: "rvol_60", warmup: 60, formula: "sample standard deviation (n−1) of ret_1 over bars t-59..t"),
        .init(name: "atr_frac_14", warmup: 14, formula: "ATR(14)_t / close_t (TA-Lib ATR, Wilder smoothing)"),
        .init(name: "range_frac", warmup: 0, formula: "(high_t − low_t) / close_t"),
        .init(name: "gap_frac", warmup: 1, formula: "open_t / close_t-1 − 1"),
        .init(name: "dist_sma_20_atr", warmup: 19, formula: "(close_t − SMA(20)_t) / ATR(14)_t"),
        .init(name: "dist_sma_50_atr", warmup: 49, formula: "(close_t − SMA(50)_t) / ATR(14)_t"),
        .init(name: "dist_sma_200_atr", warmup: 199, formula: "(close_t − SMA(200)_t) / ATR(14)_t"),
        .init(name: "rsi_14", warmup: 14, formula: "TA-Lib RSI(14) of close"),
        .init(name: "stoch_k", warmup: 17, formula: "TA-Lib STOCH(14, 3, 3) slow %K"),
        .init(name: "stoch_d", warmup: 17, formula: "TA-Lib STOCH(14, 3, 3) slow %D"),
        .init(name: "willr_14", warmup: 13, formula: "TA-Lib WILLR(14)"),
        .init(name: "cci_20", warmup: 19, formula: "TA-Lib CCI(20)"),
        .init(name: "mfi_14", warmup: 14, formula: "TA-Lib MFI(14)"),
        .init(name: "macd_hist_frac", warmup: 33, formula: "TA-Lib MACD(12, 26, 9) histogram_t / close_t"),
        .init(name: "bb_pctb_20", warmup: 19, formula: "(close_t − lower_t) / (upper_t − lower_t), Bollinger(20, 2); null when the bands coincide"),
        .init(name: "bb_width_20", warmup: 19, formula: "(upper_t − lower_t) / middle_t, Bollinger(20, 2)"),
        .init(name: "adx_14", warmup: 27, formula: "TA-Lib ADX(14)"),
        .init(name: "plus_di_14", warmup: 14, formula: "TA-Lib PLUS_DI(14)"),
        .init(name: "minus_di_14", warmup: 14, formula: "TA-Lib MINUS_DI(14)"),
        .init(name: "volume_z_20", warmup: 19, formula: "(volume_t − mean(volume_t-19..t)) / population std(volume_t-19..t); null when the std is 0"),
        .init(name: "dollar_volume", warmup: 0, formula: "close_t × volume_t"),
        .init(name: "obv_slope_20", warmup: 20, formula: "(OBV_t − OBV_t-20) / Σ volume_t-19..t, in [−1, 1]; null when that volume is 0"),
        .init(name: "day_of_week", warmup: 0, formula: "0 = Monday … 6 = Sunday, of the bar's date (the exchange session's date intraday)", isCalendar: true),
        .init(name: "minutes_since_open", warmup: 0, formula: "(bar start − regular session open) / 60 from the exchange calendar; null outside a session", intradayOnly: true, isCalendar: true),
    ]

    /// The features of `names` (`all` or a comma list), for a timeframe.
    /// - Throws: `DatasetSpecError` naming the unknown feature.
    public static func parse(_ text: String, intraday: Bool) throws -> [DatasetFeature] {
        let available = catalog.filter { intraday || !$0.intradayOnly }
        if text == "all" || text.isEmpty { return available }
        var out: [DatasetFeature] = []
        for raw in text.split(separator: ",").map({ String($0).lowercased() }) {
            guard let f = catalog.first(where: { $0.name == raw }) else {
                throw DatasetSpecError(field: "features", message: "unknown feature '\(raw.prefix(40))'; known: all, \(catalog.map(\.name).joined(separator: ", "))")
            }
            if f.intradayOnly && !intraday { throw DatasetSpecError(field: "features", message: "\(f.name) needs an intraday timeframe") }
            if out.contains(f) { throw DatasetSpecError(field: "features", message: "\(f.name) is asked for twice") }
            out.append(f)
        }
        // Column order is the catalog's, whatever order they were asked in.
        return available.filter { out.contains($0) }
    }
}

/// A dataset request that cannot be served.
public struct DatasetSpecError: Error, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(field: String, message: String) { self.field = field; self.message = message }
    public var description: String { "\(field): \(message)" }
}

/// Computes feature columns over a whole series. Pure; every value at index t depends on bars ≤ t only.
public enum DatasetFeatureEngine {
    /// One column per feature (NaN = null), each with the series' count.
    /// - Parameter normalizeWindow: rolling z-score window (nil: raw values); calendar features stay raw.
    public static func compute(_ s: PriceSeries, info: SeriesInfo, features: [DatasetFeature], normalizeWindow: Int? = nil) -> [[Double]] {
        let n = s.count
        let c = s.close, h = s.high, l = s.low, o = s.open, v = s.volume
        var cache: [String: [Double]] = [:]
        func memo(_ key: String, _ make: () -> [Double]) -> [Double] {
            if let x = cache[key] { return x }
            let x = make(); cache[key] = x; return x
        }
        let atr = { memo("atr14") { TA.atr(high: h, low: l, close: c, period: 14) } }
        let logClose = { memo("ln_close") { c.map { $0 > 0 ? log($0) : .nan } } }
        let ret1 = { memo("ret_1") { logReturn(logClose(), 1) } }
        var stoch: StochOutput?
        var adx: ADXOutput?
        var bb: BandsOutput?
        var out: [[Double]] = []
        out.reserveCapacity(features.count)
        for f in features {
            var col: [Double]
            switch f.name {
            case "ret_1": col = ret1()
            case "ret_5": col = logReturn(logClose(), 5)
            case "ret_20": col = logReturn(logClose(), 20)
            case "rvol_20": col = rollingSampleStd(ret1(), 20)
            case "rvol_60": col = rollingSampleStd(ret1(), 60)
            case "atr_frac_14": col = ratio(atr(), c)
            case "range_frac":
                col = [Double](repeating: .nan, count: n)
                for i in 0..<n { col[i] = (h[i] - l[i]) / c[i] }
            case "gap_frac":
                col = [Double](repeating: .nan, count: n)
                if n > 1 { for i in 1..<n { col[i] = o[i] / c[i - 1] - 1 } }
            case "dist_sma_20_atr", "dist_sma_50_atr", "dist_sma_200_atr":
                let p = f.name == "dist_sma_20_atr" ? 20 : f.name == "dist_sma_50_atr" ? 50 : 200
                let sma = TA.sma(c, period: p), a = atr()
                col = [Double](repeating: .nan, count: n)
                for i in 0..<n { col[i] = (c[i] - sma[i]) / a[i] }
            case "rsi_14": col = TA.rsi(c, period: 14)
            case "stoch_k", "stoch_d":
                if stoch == nil { stoch = TA.stoch(high: h, low: l, close: c, fastK: 14, slowK: 3, slowD: 3) }
                col = f.name == "stoch_k" ? stoch!.k : stoch!.d
            case "willr_14": col = TA.willr(high: h, low: l, close: c, period: 14)
            case "cci_20": col = TA.cci(high: h, low: l, close: c, period: 20)
            case "mfi_14": col = TA.mfi(high: h, low: l, close: c, volume: v, period: 14)
            case "macd_hist_frac": col = ratio(TA.macd(c, fast: 12, slow: 26, signal: 9).histogram, c)
            case "bb_pctb_20", "bb_width_20":
                if bb == nil { bb = TA.bbands(c, period: 20, k: 2) }
                let b = bb!
                col = [Double](repeating: .nan, count: n)
                for i in 0..<n {
                    let w = b.upper[i] - b.lower[i]
                    if f.name == "bb_width_20" { col[i] = w / b.middle[i] } else { col[i] = w > 0 ? (c[i] - b.lower[i]) / w : .nan }
                }
            case "adx_14", "plus_di_14", "minus_di_14":
                if adx == nil { adx = TA.adx(high: h, low: l, close: c, period: 14) }
                col = f.name == "adx_14" ? adx!.adx : f.name == "plus_di_14" ? adx!.plusDI : adx!.minusDI
            case "volume_z_20": col = rollingZ(v, 20, nanWhenFlat: true)
            case "dollar_volume":
                col = [Double](repeating: .nan, count: n)
                for i in 0..<n { col[i] = c[i] * v[i] }
            case "obv_slope_20":
                let obv = TA.obv(close: c, volume: v)
                col = [Double](repeating: .nan, count: n)
                var sum = 0.0
                for i in 0..<n {
                    sum += v[i]
                    if i >= 20 { sum -= v[i - 20] }
                    if i >= 20 {
                        // Re-summed every 20 bars so rounding never drifts (and stays a function of bars ≤ t).
                        if i % 20 == 0 { sum = 0; for j in (i - 19)...i { sum += v[j] } }
                        col[i] = sum > 0 ? (obv[i] - obv[i - 20]) / sum : .nan
                    }
                }
            case "day_of_week", "minutes_since_open":
                col = calendarColumn(s, info: info, minutes: f.name == "minutes_since_open")
            default: col = [Double](repeating: .nan, count: n)
            }
            // Infinities (a zero ATR, a zero close) become null; NaN stays (writing it would copy shared lines).
            for i in 0..<n where col[i].isInfinite { col[i] = .nan }
            if let w = normalizeWindow, !f.isCalendar { col = rollingZ(col, w, nanWhenFlat: false) }
            out.append(col)
        }
        return out
    }

    /// ln(close_t) − ln(close_t−k) from the log closes (null where a close is not positive).
    static func logReturn(_ lc: [Double], _ k: Int) -> [Double] {
        var out = [Double](repeating: .nan, count: lc.count)
        if lc.count > k { for i in k..<lc.count { out[i] = lc[i] - lc[i - k] } }
        return out
    }

    static func ratio(_ a: [Double], _ b: [Double]) -> [Double] {
        var out = [Double](repeating: .nan, count: a.count)
        for i in 0..<a.count { out[i] = a[i] / b[i] }
        return out
    }

    /// Sample standard deviation over the `w` values ending at t (null if any is null).
    static func rollingSampleStd(_ x: [Double], _ w: Int) -> [Double] {
        let dw = Double(w)
        return rollingWindows(x, w) { sum, sq, _ in
            let m = sum / dw
            return (max(0, sq - dw * m * m) / (dw - 1)).squareRoot()
        }
    }

    /// Rolling z-score over the `w` values ending at t (population std; null if any is null).
    /// When the window is flat the z-score is null (`nanWhenFlat`) or 0.
    public static func rollingZ(_ x: [Double], _ w: Int, nanWhenFlat: Bool) -> [Double] {
        let dw = Double(w)
        return rollingWindows(x, w) { sum, sq, y in
            let m = sum / dw
            let sd = max(0, sq / dw - m * m).squareRoot()
            if sd <= abs(m) * 1e-12 || sd == 0 { return nanWhenFlat ? .nan : 0 }
            return (y - m) / sd
        }
    }

    /// For each t whose window of `w` values ending at t holds no null, `value(sum, sum of squares, x[t])`;
    /// null elsewhere. Running sums, re-summed exactly every `w` bars, so the value at t is a function of
    /// the window and t alone (a truncated history gives the same numbers).
    @inline(__always)
    static func rollingWindows(_ x: [Double], _ w: Int, _ value: (_ sum: Double, _ sq: Double, _ y: Double) -> Double) -> [Double] {
        let n = x.count
        var out = [Double](repeating: .nan, count: n)
        guard n >= w, w >= 2 else { return out }
        x.withUnsafeBufferPointer { p in
            var nans = 0
            var sum = 0.0, sq = 0.0
            for i in 0..<n {
                let y = p[i]
                if y.isNaN { nans += 1 } else { sum += y; sq += y * y }
                if i >= w {
                    let old = p[i - w]
                    if old.isNaN { nans -= 1 } else { sum -= old; sq -= old * old }
                }
                guard i >= w - 1, nans == 0 else { continue }
                if i % w == 0 {
                    sum = 0; sq = 0
                    for j in (i - w + 1)...i { sum += p[j]; sq += p[j] * p[j] }
                }
                out[i] = value(sum, sq, y)
            }
        }
        return out
    }

    /// Day of week (0 = Monday) or minutes since the regular session opened.
    static func calendarColumn(_ s: PriceSeries, info: SeriesInfo, minutes: Bool) -> [Double] {
        var out = [Double](repeating: .nan, count: s.count)
        let intraday = info.timeframe.isIntraday
        for i in 0..<s.count {
            let t = s.time[i]
            if !intraday {
                // Daily and weekly bars: the UTC date is the session's date; weekday straight from the day number.
                if !minutes {
                    let days = t >= 0 ? t / 86_400 : -((-t + 86_399) / 86_400)
                    out[i] = Double(((days + 3) % 7 + 7) % 7)   // 1970-01-01 was a Thursday (3)
                }
                continue
            }
            let day = CivilDate(unixSeconds: t)
            var session: TradingSession?
            for d in [day.adding(days: -1), day] {
                if let x = info.calendar.session(on: d), t >= x.open, t < x.close { session = x }
            }
            if minutes {
                out[i] = session.map { Double(t - $0.open) / 60 } ?? .nan
            } else {
                out[i] = Double((session?.date ?? day).weekday - 1)
            }
        }
        return out
    }
}
