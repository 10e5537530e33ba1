import Market
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Data-quality checks over one bar series. Pure: no I/O, no clock (the caller passes `now`).
///
/// Score: `score = max(0, 1 − Σ_checks weight × min(1, 10 × rate))`, where `rate` is the share of
/// bars the check flags (missing sessions: share of expected sessions; missing intraday bars: share
/// of expected bars; flat runs: share of bars inside a run; staleness: 1 when stale). A check's
/// penalty is full once 10% of the bars fail it, so one bad day in 10,000 costs at most
/// 0.6 × 0.001 = 0.0006, while 10% of bars with High < Low costs 0.5 on that check alone (plus the
/// range checks it usually brings). A check's status is `fail` when `10 × rate ≥ 0.1` (≥ 1% of
/// bars) and its weight is positive, `warn` for any smaller or informational finding, else `pass`.
/// See the `Quality` documentation catalog (`Sources/Quality/Quality.docc/Quality.md`).
public enum QualityChecker {
    /// The weight of each check in the score (0 = informational only).
    public static let weights: [String: Double] = Dictionary(uniqueKeysWithValues: Check.allCases.map { ($0.name, $0.weight) })

    /// Penalty saturation factor: a check costs its full weight once `rate × k ≥ 1` (10% of bars).
    public static let rateFactor = 10.0
    /// Robust z-score above which a return is an outlier: |r − median| / (1.4826 × MAD).
    public static let outlierThreshold = 10.0
    /// Shortest run of O = H = L = C bars reported, for daily/weekly and for intraday bars.
    public static let flatRunMinimum = (daily: 3, intraday: 15)

    enum Check: Int, CaseIterable {
        case highBelowLow, nonPositivePrice, negativeVolume, futureTimestamp
        case openOutsideRange, closeOutsideRange, duplicateTimestamp, outOfOrder, missingSession
        case missingOpen, missingBars, outsideSession, misalignedTimestamp, staleData
        case zeroVolume, outlierReturn, flatRun
        case volumeNotReported, corporateAction

        var name: String {
            switch self {
            case .highBelowLow: "high_below_low"
            case .nonPositivePrice: "non_positive_price"
            case .negativeVolume: "negative_volume"
            case .futureTimestamp: "future_timestamp"
            case .openOutsideRange: "open_outside_range"
            case .closeOutsideRange: "close_outside_range"
            case .duplicateTimestamp: "duplicate_timestamp"
            case .outOfOrder: "out_of_order"
            case .missingSession: "missing_session"
            case .missingOpen: "missing_open"
            case .missingBars: "missing_bars"
            case .outsideSession: "outside_session"
            case .misalignedTimestamp: "misaligned_timestamp"
            case .staleData: "stale_data"
            case .zeroVolume: "zero_volume"
            case .outlierReturn: "outlier_return"
            case .flatRun: "flat_run"
            case .volumeNotReported: "volume_not_reported"
            case .corporateAction: "corporate_action"
            }
        }

        /// 0 critical … 4 info.
        var severityRank: Int {
            switch self {
            case .highBelowLow, .nonPositivePrice, .negativeVolume, .futureTimestamp: 0
            case .openOutsideRange, .closeOutsideRange, .duplicateTimestamp, .outOfOrder, .missingSession: 1
            case .missingOpen, .missingBars, .outsideSession, .misalignedTimestamp, .staleData: 2
            case .zeroVolume, .outlierReturn, .flatRun: 3
            case .volumeNotReported, .corporateAction: 4
            }
        }

        var weight: Double {
            switch self {
            case .nonPositivePrice: 0.6
            case .highBelowLow, .futureTimestamp: 0.5
            case .missingSession: 0.4
            case .negativeVolume, .openOutsideRange, .closeOutsideRange, .duplicateTimestamp, .outOfOrder, .missingOpen: 0.3
            case .missingBars, .outsideSession, .misalignedTimestamp: 0.2
            case .zeroVolume, .outlierReturn: 0.1
            // Freshness is not correctness: a clean historical series stays above 0.95. The check still
            // fails with its own issue, and consumers that need fresh data read its status directly.
            case .staleData: 0.04
            case .flatRun: 0.05
            case .volumeNotReported, .corporateAction: 0
            }
        }
    }

    static let severityNames = ["critical", "high", "medium", "low", "info"]

    /// A finding before its message is written (messages are only built for the listed issues).
    struct Raw {
        var timestamp: Int64
        var check: Check
        var a: Double = 0
        var b: Double = 0
        var c: Double = 0
        var n: Int64 = 0
        var m: Int64 = 0
        var note: String? = nil
    }

    /// Checks a series and returns its report.
    public static func report(_ input: QualityInput) -> QualityReport {
        var bars = input.bars
        let tf = input.timeframe
        let step = tf.seconds
        let intraday = tf.isIntraday
        let calendar = input.calendar
        var raws: [Raw] = []
        var counts = [Int](repeating: 0, count: Check.allCases.count)
        var rates = [Double](repeating: 0, count: Check.allCases.count)
        @inline(__always) func add(_ r: Raw) { raws.append(r); counts[r.check.rawValue] += 1 }

        // Order and duplicates (on the series as handed in).
        var sorted = true
        if bars.count > 1 {
            for i in 1..<bars.count {
                let t = bars[i].timestamp, p = bars[i - 1].timestamp
                if t == p {
                    add(Raw(timestamp: t, check: .duplicateTimestamp, a: bars[i - 1].close, b: bars[i].close,
                            c: bars[i - 1].volume, n: 0, m: Int64(bars[i].volume)))
                } else if t < p {
                    sorted = false
                    add(Raw(timestamp: t, check: .outOfOrder, n: p))
                }
            }
        }
        if !sorted {
            bars = bars.indices.sorted { (bars[$0].timestamp, $0) < (bars[$1].timestamp, $1) }.map { bars[$0] }
            // Repeated timestamps that were apart before sorting.
            counts[Check.duplicateTimestamp.rawValue] = 0
            raws.removeAll { $0.check == .duplicateTimestamp }
            for i in 1..<bars.count where bars[i].timestamp == bars[i - 1].timestamp {
                add(Raw(timestamp: bars[i].timestamp, check: .duplicateTimestamp, a: bars[i - 1].close,
                        b: bars[i].close, c: bars[i - 1].volume, m: Int64(bars[i].volume)))
            }
        }
        let n = bars.count
        guard n > 0 else {
            return QualityReport(score: 0, barsChecked: 0, checks: Check.allCases.map {
                QualityCheckResult(name: $0.name, status: "pass", count: 0, weight: $0.weight)
            }, issues: [], issuesTotal: 0, firstTimestamp: nil, lastTimestamp: nil)
        }

        // Per-bar checks: prices, volume, alignment, future, flat runs.
        var zeroVolume = 0
        var flatRun = 0
        var flatBars = 0
        let flatMinimum = intraday ? flatRunMinimum.intraday : flatRunMinimum.daily
        let alignStep = intraday ? step : 86_400
        for i in 0..<n {
            let b = bars[i]
            let t = b.timestamp
            if t > input.now { add(Raw(timestamp: t, check: .futureTimestamp, n: input.now)) }
            let rem = t % alignStep
            if rem != 0 { add(Raw(timestamp: t, check: .misalignedTimestamp, n: rem < 0 ? rem + alignStep : rem)) }
            if b.volume < 0 { add(Raw(timestamp: t, check: .negativeVolume, a: b.volume)) }
            if b.volume == 0 { zeroVolume += 1 }
            if b.open < 0 || b.high <= 0 || b.low <= 0 || b.close <= 0 {
                add(Raw(timestamp: t, check: .nonPositivePrice, a: b.open, b: b.high, c: b.low, n: Int64(bitPattern: b.close.bitPattern)))
            } else {
                if b.open == 0 { add(Raw(timestamp: t, check: .missingOpen, a: b.low, b: b.high)) }
                if b.high < b.low {
                    add(Raw(timestamp: t, check: .highBelowLow, a: b.high, b: b.low))
                } else {
                    if b.open != 0 && (b.open < b.low || b.open > b.high) {
                        add(Raw(timestamp: t, check: .openOutsideRange, a: b.open, b: b.low, c: b.high))
                    }
                    if b.close < b.low || b.close > b.high {
                        add(Raw(timestamp: t, check: .closeOutsideRange, a: b.close, b: b.low, c: b.high))
                    }
                }
            }
            let flat = b.close > 0 && b.open == b.high && b.high == b.low && b.low == b.close
            if flat { flatRun += 1 }
            if (!flat || i == n - 1) && flatRun > 0 {
                if flatRun >= flatMinimum {
                    let last = flat ? i : i - 1
                    let first = last - flatRun + 1
                    add(Raw(timestamp: bars[first].timestamp, check: .flatRun, a: bars[first].close,
                            n: Int64(flatRun), m: bars[last].timestamp))
                    flatBars += flatRun
                }
                flatRun = 0
            }
        }
        rates[Check.flatRun.rawValue] = Double(flatBars) / Double(n)

        // Volume: "not reported" once when (nearly) every bar has 0; else zero volume in a session.
        let volumeNotReported = zeroVolume * 100 >= n * 95
        if volumeNotReported {
            add(Raw(timestamp: bars[0].timestamp, check: .volumeNotReported, n: Int64(zeroVolume), m: Int64(n)))
        }
        let volumeMatters = !volumeNotReported && [.equity, .etf, .crypto].contains(input.assetClass)

        // Calendar checks.
        let isSessionDay = sessionPredicate(calendar)
        var sessionCache: (day: Int64, session: TradingSession?) = (Int64.min, nil)
        func session(_ day: Int64) -> TradingSession? {
            if sessionCache.day != day { sessionCache = (day, calendar.session(on: CivilDate(daysSinceEpoch: day))) }
            return sessionCache.session
        }
        @inline(__always) func dayOf(_ t: Int64) -> Int64 { t >= 0 ? t / 86_400 : (t - 86_399) / 86_400 }
        let firstDay = dayOf(bars[0].timestamp), lastDay = dayOf(bars[n - 1].timestamp)
        var expectedSessions = 0
        var expectedBars = 0
        var missingBars = 0

        if tf == .w1 {
            // Weekly bars: only future/alignment/price checks; sessions are not checked per week.
        } else if !intraday {
            var i = 0
            var day = firstDay
            while day <= lastDay {
                let open = isSessionDay(day)
                var has = false
                while i < n, dayOf(bars[i].timestamp) == day {
                    has = true
                    if !open {
                        add(Raw(timestamp: bars[i].timestamp, check: .outsideSession,
                                note: calendar.closureReason(on: CivilDate(daysSinceEpoch: day))))
                    } else if volumeMatters && bars[i].volume == 0 {
                        add(Raw(timestamp: bars[i].timestamp, check: .zeroVolume))
                    }
                    i += 1
                }
                if open {
                    expectedSessions += 1
                    if !has { add(Raw(timestamp: day * 86_400, check: .missingSession)) }
                }
                day += 1
            }
        } else {
            var i = 0
            var day = firstDay
            while day <= lastDay {
                let s = isSessionDay(day) ? session(day) : nil
                let start = i
                while i < n, dayOf(bars[i].timestamp) == day { i += 1 }
                if s != nil { expectedSessions += 1 }
                if start == i {
                    if let s { add(Raw(timestamp: s.open, check: .missingSession)) }
                    day += 1
                    continue
                }
                // The window: the calendar's session when it is a real session (not a whole day),
                // otherwise the day's first → last bar (interior gaps only).
                let proper = s.map { $0.close - $0.open < 86_400 } ?? false
                var prev: Int64? = nil
                var inSession = 0
                for k in start..<i {
                    let t = bars[k].timestamp
                    let inside = s.map { t >= $0.open && t < $0.close } ?? false
                    if !inside {
                        add(Raw(timestamp: t, check: .outsideSession, n: s?.open ?? 0, m: s?.close ?? 0,
                                note: s == nil ? (calendar.closureReason(on: CivilDate(daysSinceEpoch: day)) ?? "no session") : nil))
                        if proper { continue }
                    } else if volumeMatters && bars[k].volume == 0 {
                        add(Raw(timestamp: t, check: .zeroVolume))
                    }
                    inSession += 1
                    let expectedPrev = prev ?? (proper ? s!.open - step : t - step)
                    if t - expectedPrev > step && t > expectedPrev {
                        let missing = (t - expectedPrev) / step - 1
                        if missing > 0 {
                            add(Raw(timestamp: expectedPrev + step, check: .missingBars, n: missing, m: t))
                            missingBars += Int(missing)
                        }
                    }
                    if t != prev { prev = t }
                }
                if proper, let s, let p = prev {
                    let lastStart = s.close - step
                    if lastStart > p {
                        let missing = (lastStart - p) / step
                        if missing > 0 {
                            add(Raw(timestamp: p + step, check: .missingBars, n: missing, m: s.close))
                            missingBars += Int(missing)
                        }
                    }
                }
                expectedBars += inSession
                day += 1
            }
            expectedBars += missingBars
            rates[Check.missingBars.rawValue] = expectedBars > 0 ? Double(missingBars) / Double(expectedBars) : 0
        }
        rates[Check.missingSession.rawValue] = expectedSessions > 0
            ? Double(counts[Check.missingSession.rawValue]) / Double(expectedSessions) : 0

        // Staleness: a session closed after the last bar's session (and before now).
        let lastT = bars[n - 1].timestamp
        if lastT <= input.now {
            let nowDay = dayOf(input.now)
            var missed = 0
            var latest: Int64? = nil
            var day = nowDay
            while day > lastDay && nowDay - day < 3_700 {
                if isSessionDay(day), let s = session(day), s.close <= input.now {
                    missed += 1
                    if latest == nil { latest = day }
                }
                day -= 1
            }
            var inProgressLag = false
            if intraday, missed == 0, let s = session(nowDay), s.close - s.open < 86_400,
               input.now >= s.open, input.now < s.close, lastT < input.now - max(5 * step, 1_800) {
                inProgressLag = true
            }
            if let latest, missed > 0 {
                add(Raw(timestamp: lastT, check: .staleData, n: Int64(missed), m: latest))
                rates[Check.staleData.rawValue] = 1
            } else if inProgressLag {
                add(Raw(timestamp: lastT, check: .staleData, n: 0, m: input.now))
                rates[Check.staleData.rawValue] = 1
            }
        }

        // Outliers and splits, from log close-to-close returns (within one day for intraday bars).
        let returns = detectOutliers(bars, intraday: intraday, volumeReported: !volumeNotReported, add: add)
        rates[Check.outlierReturn.rawValue] = returns > 0 ? Double(counts[Check.outlierReturn.rawValue]) / Double(returns) : 0

        // Per-bar rates.
        for check in [Check.highBelowLow, .nonPositivePrice, .negativeVolume, .futureTimestamp, .openOutsideRange,
                      .closeOutsideRange, .duplicateTimestamp, .outOfOrder, .missingOpen, .outsideSession,
                      .misalignedTimestamp, .zeroVolume] {
            rates[check.rawValue] = Double(counts[check.rawValue]) / Double(n)
        }

        // Score and results.
        var penalty = 0.0
        var checks: [QualityCheckResult] = []
        for check in Check.allCases {
            let load = min(1, rateFactor * rates[check.rawValue])
            penalty += check.weight * load
            let count = counts[check.rawValue]
            let status = count == 0 ? "pass" : (check.weight > 0 && load >= 0.1 ? "fail" : "warn")
            checks.append(QualityCheckResult(name: check.name, status: status, count: count, weight: check.weight))
        }

        // The listed issues: by severity, then time; messages only for those.
        let cap = max(0, input.maxIssues)
        var order = raws.indices.map { $0 }
        if raws.count > cap {
            order.sort { (raws[$0].check.severityRank, raws[$0].timestamp, $0) < (raws[$1].check.severityRank, raws[$1].timestamp, $1) }
            order.removeLast(raws.count - cap)
        } else {
            order.sort { (raws[$0].check.severityRank, raws[$0].timestamp, $0) < (raws[$1].check.severityRank, raws[$1].timestamp, $1) }
        }
        let issues = order.map { i -> QualityIssue in
            let r = raws[i]
            return QualityIssue(timestamp: r.timestamp, check: r.check.name, severity: severityNames[r.check.severityRank],
                                message: message(r, input: input))
        }
        return QualityReport(score: max(0, min(1, 1 - penalty)), barsChecked: n, checks: checks, issues: issues,
                             issuesTotal: raws.count, firstTimestamp: bars[0].timestamp, lastTimestamp: lastT)
    }

    /// Whether a day (days since 1970-01-01) has a session; fast paths for the calendars we ship.
    static func sessionPredicate(_ calendar: any TradingCalendar) -> (Int64) -> Bool {
        @inline(__always) func weekday(_ d: Int64) -> Int64 { let w = (d + 3) % 7; return (w < 0 ? w + 7 : w) + 1 }
        switch calendar {
        case is NYSECalendar:
            return { d in weekday(d) <= 5 && NYSECalendar.holidayName(CivilDate(daysSinceEpoch: d)) == nil }
        case is AlwaysOpenCalendar:
            return { _ in true }
        case is WeekdayCalendar:
            return { d in weekday(d) <= 5 }
        default:
            return { d in calendar.session(on: CivilDate(daysSinceEpoch: d)) != nil }
        }
    }

    /// Median of a non-empty array (sorts it in place).
    static func median(_ v: inout [Double]) -> Double {
        v.sort()
        let m = v.count / 2
        return v.count % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2
    }

    /// Flags returns beyond `outlierThreshold` robust standard deviations; a return whose price
    /// ratio is near a split ratio with volume moving the other way is a corporate action instead.
    /// Returns the number of returns examined.
    static func detectOutliers(_ bars: [Bar], intraday: Bool, volumeReported: Bool, add: (Raw) -> Void) -> Int {
        let n = bars.count
        guard n >= 3 else { return 0 }
        var r = [Double](repeating: .nan, count: n)   // r[i]: return from bar i−1 to bar i
        var values: [Double] = []
        values.reserveCapacity(n)
        for i in 1..<n {
            let p = bars[i - 1].close, c = bars[i].close
            guard p > 0, c > 0, bars[i].timestamp != bars[i - 1].timestamp else { continue }
            if intraday && bars[i].timestamp / 86_400 != bars[i - 1].timestamp / 86_400 { continue }
            let x = log(c / p)
            r[i] = x
            values.append(x)
        }
        let count = values.count
        guard count >= 20 else { return count }
        let med = median(&values)
        for k in 0..<count { values[k] = abs(values[k] - med) }
        var sigma = 1.4826 * median(&values)   // MAD scaled by 1.4826: consistent with σ for normal data
        if sigma == 0 {
            // Mostly unchanged prices: mean absolute deviation × √(π/2) (normal consistency).
            sigma = values.reduce(0, +) / Double(count) * 1.2533
        }
        guard sigma > 0 else { return count }
        let limit = outlierThreshold * sigma
        for i in 1..<n where !r[i].isNaN && abs(r[i] - med) > limit {
            let b = bars[i], p = bars[i - 1]
            let priceNow = b.open > 0 ? b.open : b.close
            let ratio = p.close / priceNow   // > 1: price fell (forward split), < 1: rose (reverse split)
            // Volume change: this bar against the median of up to 20 bars before.
            var volumeRatio = 1.0
            if volumeReported {
                var window: [Double] = []
                var j = i - 1
                while j >= 0 && window.count < 20 { if bars[j].volume > 0 { window.append(bars[j].volume) }; j -= 1 }
                if !window.isEmpty {
                    let mv = median(&window)
                    if mv > 0 { volumeRatio = b.volume / mv }
                }
            }
            // A split by f multiplies the share volume by about f: require volume to move the
            // other way from the price, and by a plausible amount (within 1/3…4 × f); a crash
            // that happens to land near 2/3 of the price comes with a far larger volume burst.
            if let factor = splitFactor(ratio),
               !volumeReported || ((factor > 1 ? volumeRatio >= 1.2 : volumeRatio <= 1 / 1.2)
                                   && volumeRatio >= factor / 3 && volumeRatio <= factor * 4) {
                add(Raw(timestamp: b.timestamp, check: .corporateAction, a: p.close, b: priceNow, c: factor, m: Int64(volumeRatio * 1_000)))
                continue
            }
            let reverts = i + 1 < n && !r[i + 1].isNaN && r[i + 1] * r[i] < 0 && abs(r[i + 1]) > limit / 2
            add(Raw(timestamp: b.timestamp, check: .outlierReturn, a: r[i], b: abs(r[i] - med) / sigma, c: sigma,
                    n: reverts ? 1 : 0))
        }
        return count
    }

    /// The split factor (2 = 2-for-1, 0.1 = 1-for-10) a price ratio is within 3% of, if any.
    static func splitFactor(_ ratio: Double) -> Double? {
        let candidates: [Double] = [1.5, 2, 3, 4, 5, 6, 7, 8, 10, 15, 20, 25, 30, 50, 100]
        for f in candidates {
            if abs(ratio / f - 1) < 0.03 { return f }
            if abs(ratio * f - 1) < 0.03 { return 1 / f }
        }
        return nil
    }
}
