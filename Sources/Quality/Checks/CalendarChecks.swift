import Market

/// A calendar's sessions by day, with a fast "is there a session" test and the last session looked up kept.
struct SessionLookup {
    let calendar: any TradingCalendar
    let isSessionDay: (Int64) -> Bool
    private var cached: (day: Int64, session: TradingSession?) = (Int64.min, nil)

    init(_ calendar: any TradingCalendar) {
        self.calendar = calendar
        self.isSessionDay = Self.sessionPredicate(calendar)
    }

    /// The session of a day (days since 1970-01-01), if any.
    mutating func session(_ day: Int64) -> TradingSession? {
        if cached.day != day { cached = (day, calendar.session(on: CivilDate(daysSinceEpoch: day))) }
        return cached.session
    }

    /// Whether a day has a session: the calendar's own `trades(on:)`, with the day-number arithmetic of the
    /// calendars we ship in front of it (no civil date computed for a weekend, nor for a 24x7 or 24x5 day).
    static func sessionPredicate(_ calendar: any TradingCalendar) -> (Int64) -> Bool {
        @inline(__always) func weekday(_ d: Int64) -> Int64 { let w = (d + 3) % 7; return (w < 0 ? w + 7 : w) + 1 }
        switch calendar {
        case is NYSECalendar:
            return { d in weekday(d) <= 5 && calendar.trades(on: CivilDate(daysSinceEpoch: d)) }
        case is AlwaysOpenCalendar:
            return { _ in true }
        case is WeekdayCalendar:
            return { d in weekday(d) <= 5 }
        default:
            return { d in calendar.trades(on: CivilDate(daysSinceEpoch: d)) }
        }
    }
}

extension QualityChecker {
    /// The longest run of days without a bar that the calendar walk visits day by day (about ten years). A longer
    /// gap — a two-row upload centuries apart — is counted in one step, so the walk is bounded by the bars present
    /// (at most this many days per bar) rather than by the span between them.
    static let maxWalkedGapDays: Int64 = 3_660

    /// Sessions on the days `[from, to)` counted without walking them: every day on a 24x7 calendar, otherwise the
    /// weekdays (holidays are not subtracted: an upper bound, within about 4 % for the NYSE).
    static func sessionsInLongGap(_ calendar: any TradingCalendar, from: Int64, to: Int64) -> Int {
        guard to > from else { return 0 }
        if calendar is AlwaysOpenCalendar { return Int(to - from) }
        let days = to - from
        var count = days / 7 * 5
        var d = from + days / 7 * 7
        while d < to {
            let w = ((d + 3) % 7 + 7) % 7   // 0 = Monday
            if w < 5 { count += 1 }
            d += 1
        }
        return Int(count)
    }

    /// When the walk stands at `day` with the next bar on `nextDay` more than `maxWalkedGapDays` ahead: counts the
    /// gap's sessions as missing (listed once) and returns the day to continue from; nil when the gap is short.
    static func skipLongGap(_ series: Series, day: Int64, nextDay: Int64, expectedSessions: inout Int,
                            into findings: inout Findings) -> Int64? {
        guard nextDay - day > maxWalkedGapDays else { return nil }
        let missing = sessionsInLongGap(series.calendar, from: day, to: nextDay)
        expectedSessions += missing
        findings.add(day * 86_400, .missingSession, count: missing)
        return nextDay
    }

    /// Daily bars against the calendar: sessions without a bar, bars on days without a session, and
    /// zero volume in a session (when `volumeMatters`). Sets the missing-session rate.
    static func checkDailySessions(_ series: Series, _ sessions: inout SessionLookup, volumeMatters: Bool,
                                   into findings: inout Findings) {
        let bars = series.bars, n = series.count
        var expectedSessions = 0
        var i = 0
        var day = Series.day(bars[0].timestamp)
        let lastDay = Series.day(bars[n - 1].timestamp)
        while day <= lastDay {
            if i < n, let next = skipLongGap(series, day: day, nextDay: Series.day(bars[i].timestamp),
                                             expectedSessions: &expectedSessions, into: &findings) {
                day = next
                continue
            }
            let open = sessions.isSessionDay(day)
            var has = false
            while i < n, Series.day(bars[i].timestamp) == day {
                has = true
                if !open {
                    findings.add(bars[i].timestamp,
                                 .outsideDailySession(closure: series.calendar.closureReason(on: CivilDate(daysSinceEpoch: day))))
                } else if volumeMatters && bars[i].volume == 0 {
                    findings.add(bars[i].timestamp, .zeroVolume)
                }
                i += 1
            }
            if open {
                expectedSessions += 1
                if !has { findings.add(day * 86_400, .missingSession) }
            }
            day += 1
        }
        setMissingSessionRate(expectedSessions, &findings)
    }

    /// Intraday bars against the calendar, day by day: sessions without a bar, bars outside the
    /// session or on a closed day, zero volume in a session (when `volumeMatters`), and bars missing
    /// inside a session. Where the calendar's session is the whole day (24x7), only gaps between the
    /// day's first and last bar count. Sets the missing-session and missing-bar rates.
    static func checkIntradaySessions(_ series: Series, _ sessions: inout SessionLookup, volumeMatters: Bool,
                                      into findings: inout Findings) {
        let bars = series.bars, n = series.count, step = series.step
        var expectedSessions = 0
        var expectedBars = 0
        var missingBars = 0
        var i = 0
        var day = Series.day(bars[0].timestamp)
        let lastDay = Series.day(bars[n - 1].timestamp)
        while day <= lastDay {
            if i < n, let next = skipLongGap(series, day: day, nextDay: Series.day(bars[i].timestamp),
                                             expectedSessions: &expectedSessions, into: &findings) {
                day = next
                continue
            }
            let s = sessions.isSessionDay(day) ? sessions.session(day) : nil
            let start = i
            while i < n, Series.day(bars[i].timestamp) == day { i += 1 }
            if s != nil { expectedSessions += 1 }
            if start == i {
                if let s { findings.add(s.open, .missingSession) }
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
                    if let s {
                        findings.add(t, .outsideSession(open: s.open, close: s.close))
                    } else {
                        findings.add(t, .onClosedDay(closure: series.calendar.closureReason(on: CivilDate(daysSinceEpoch: day)) ?? "no session"))
                    }
                    if proper { continue }
                } else if volumeMatters && bars[k].volume == 0 {
                    findings.add(t, .zeroVolume)
                }
                inSession += 1
                let expectedPrev = prev ?? (proper ? s!.open - step : t - step)
                if t - expectedPrev > step && t > expectedPrev {
                    let missing = (t - expectedPrev) / step - 1
                    if missing > 0 {
                        findings.add(expectedPrev + step, .missingBars(count: missing, until: t))
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
                        findings.add(p + step, .missingBars(count: missing, until: s.close))
                        missingBars += Int(missing)
                    }
                }
            }
            expectedBars += inSession
            day += 1
        }
        expectedBars += missingBars
        findings.setRate(.missingBars, expectedBars > 0 ? Double(missingBars) / Double(expectedBars) : 0)
        setMissingSessionRate(expectedSessions, &findings)
    }

    private static func setMissingSessionRate(_ expectedSessions: Int, _ findings: inout Findings) {
        findings.setRate(.missingSession, expectedSessions > 0
            ? Double(findings.count(.missingSession)) / Double(expectedSessions) : 0)
    }

    /// Staleness: sessions that closed after the last bar's day (and before now), or, for intraday
    /// bars, today's session running well past the last bar. Sets the staleness rate (0 or 1).
    static func checkStaleness(_ series: Series, _ sessions: inout SessionLookup, into findings: inout Findings) {
        let now = series.input.now, step = series.step
        let lastT = series.bars[series.count - 1].timestamp
        guard lastT <= now else { return }
        let lastDay = Series.day(lastT)
        let nowDay = Series.day(now)
        var missed = 0
        var latest: Int64? = nil
        var day = nowDay
        while day > lastDay && nowDay - day < 3_700 {
            if sessions.isSessionDay(day), let s = sessions.session(day), s.close <= now {
                missed += 1
                if latest == nil { latest = day }
            }
            day -= 1
        }
        var inProgressLag = false
        if series.intraday, missed == 0, let s = sessions.session(nowDay), s.close - s.open < 86_400,
           now >= s.open, now < s.close, lastT < now - max(5 * step, 1_800) {
            inProgressLag = true
        }
        if let latest, missed > 0 {
            findings.add(lastT, .staleData(missed: Int64(missed), latestDay: latest))
            findings.setRate(.staleData, 1)
        } else if inProgressLag {
            findings.add(lastT, .stalledSession(now: now))
            findings.setRate(.staleData, 1)
        }
    }
}
