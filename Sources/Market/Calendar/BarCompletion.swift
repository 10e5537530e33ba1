/// When a bar is complete by its market's calendar, so that ingestion never treats a forming bar as final.
extension TradingCalendar {
    /// The instant (Unix seconds) after which no trade can change the bar that starts at `start`.
    ///
    /// - Daily bars (stored at midnight UTC of the trading date): the session's close that day (NYSE 16:00 New
    ///   York, 13:00 on early closes; 24x7 the next midnight UTC); a bar on a day without a session (a defect)
    ///   ends at the next midnight UTC.
    /// - Weekly bars: the close of the last session of the seven days from `start`, else `start` + 7 days.
    /// - Intraday bars: `start` + the bar's length, or the session's close when that comes first.
    public func barEnd(start: Int64, timeframe: Timeframe) -> Int64 {
        let (nominal, overflow) = start.addingReportingOverflow(timeframe.seconds)
        if overflow { return Int64.max }
        let date = CivilDate(unixSeconds: start)
        switch timeframe {
        case .d1:
            return session(on: date)?.close ?? nominal
        case .w1:
            for k in stride(from: 6, through: 0, by: -1) {
                if let s = session(on: date.adding(days: k)) { return s.close }
            }
            return nominal
        default:
            // A bar can start on the previous UTC date's session (a session past midnight UTC) or on its own.
            for d in [date, date.adding(days: -1)] {
                if let s = session(on: d), start >= s.open, start < s.close { return min(nominal, s.close) }
            }
            return nominal
        }
    }

    /// Seconds of regular sessions between the instants `from` and `to` (Unix seconds), counted up to `limit`
    /// (the walk over the days stops there): how long the market traded in between, nights, weekends and
    /// holidays left out.
    public func tradingSeconds(from: Int64, to: Int64, limit: Int64 = .max) -> Int64 {
        guard to > from else { return 0 }
        var total: Int64 = 0
        var day = CivilDate(unixSeconds: from).adding(days: -1)   // a session may run past midnight UTC
        let last = CivilDate(unixSeconds: to)
        while day <= last {
            if let s = session(on: day) {
                total += max(0, min(s.close, to) - max(s.open, from))
                if total >= limit { return limit }
            }
            day = day.adding(days: 1)
        }
        return total
    }

    /// Whether the bar starting at `start` is final at `now`: its end (`barEnd`) plus `settle` seconds — time for
    /// the provider to publish the closing figures — has passed.
    public func isBarFinal(start: Int64, timeframe: Timeframe, now: Int64, settle: Int64 = 0) -> Bool {
        let (due, overflow) = barEnd(start: start, timeframe: timeframe).addingReportingOverflow(max(0, settle))
        return !overflow && due <= now
    }
}
