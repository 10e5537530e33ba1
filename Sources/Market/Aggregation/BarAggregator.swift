/// Builds higher-timeframe bars from 1-minute bars.
///
/// With a calendar (equities): only minutes inside a regular session count (pre/post-market minutes are dropped);
/// 5m…4h buckets are aligned to the session open and the last one is cut at the close (e.g. 1h bars 09:30, 10:30,
/// …, 15:30–16:00 in New York); a daily bar is one session stamped midnight UTC of its trading date; a weekly bar
/// covers the sessions of one Monday-based week, stamped midnight UTC of the week's first trading date.
/// Without a calendar (crypto, 24x7): buckets are aligned to UTC (days at 00:00Z, weeks on Monday 00:00Z).
/// OHLCV: first open, max high, min low, last close, summed volume. Empty buckets produce no bar.
public enum BarAggregator {
    /// Aggregates minute bars (sorted by time) to `timeframe`; `.m1` returns the input (session-filtered with a calendar).
    public static func aggregate(_ minuteBars: [Bar], to timeframe: Timeframe, calendar: (any TradingCalendar)?) -> [Bar] {
        var out: [Bar] = []
        var current: Bar? = nil
        var currentKey: Int64 = .min
        func push(_ b: Bar, key: Int64) {
            if var c = current, key == currentKey {
                c.high = max(c.high, b.high)
                c.low = min(c.low, b.low)
                c.close = b.close
                c.volume += b.volume
                current = c
            } else {
                if let c = current { out.append(c) }
                current = Bar(timestamp: key, open: b.open, high: b.high, low: b.low, close: b.close, volume: b.volume)
                currentKey = key
            }
        }

        if let calendar {
            var sessions = SessionCache(calendar: calendar)
            for b in minuteBars {
                guard let s = sessions.session(containing: b.timestamp) else { continue }
                let key: Int64
                switch timeframe {
                case .d1:
                    key = s.date.unixSeconds
                case .w1:
                    key = sessions.firstTradingDate(ofWeekOf: s.date).unixSeconds
                default:
                    let step = timeframe.seconds
                    key = s.open + (b.timestamp - s.open) / step * step
                }
                push(b, key: key)
            }
        } else {
            for b in minuteBars {
                let key: Int64
                switch timeframe {
                case .w1:
                    let date = CivilDate(unixSeconds: b.timestamp)
                    key = date.adding(days: -(date.weekday - 1)).unixSeconds
                default:
                    let step = timeframe.seconds
                    key = b.timestamp - ((b.timestamp % step) + step) % step
                }
                push(b, key: key)
            }
        }
        if let c = current { out.append(c) }
        return out
    }
}

/// Memoised session look-ups for a run of consecutive minutes.
private struct SessionCache {
    let calendar: any TradingCalendar
    var byDate: [Int64: TradingSession?] = [:]
    var weekStart: [Int64: CivilDate] = [:]
    var last: TradingSession? = nil

    init(calendar: any TradingCalendar) { self.calendar = calendar }

    mutating func session(on date: CivilDate) -> TradingSession? {
        let k = date.daysSinceEpoch
        if let s = byDate[k] { return s }
        let s = calendar.session(on: date)
        byDate[k] = s
        return s
    }

    /// The session whose [open, close) contains `ts` (a minute bar's start), if any.
    mutating func session(containing ts: Int64) -> TradingSession? {
        if let l = last, ts >= l.open && ts < l.close { return l }
        let utcDate = CivilDate(unixSeconds: ts)
        // A session may start on the previous or next UTC date (far-east or far-west exchanges).
        for d in [utcDate, utcDate.adding(days: -1), utcDate.adding(days: 1)] {
            if let s = session(on: d), ts >= s.open && ts < s.close {
                last = s
                return s
            }
        }
        return nil
    }

    /// The first date with a session in the Monday-based week of `date`.
    mutating func firstTradingDate(ofWeekOf date: CivilDate) -> CivilDate {
        let monday = date.adding(days: -(date.weekday - 1))
        if let d = weekStart[monday.daysSinceEpoch] { return d }
        var first = date
        for i in 0..<7 {
            let d = monday.adding(days: i)
            if d >= date { break }
            if session(on: d) != nil {
                first = d
                break
            }
        }
        weekStart[monday.daysSinceEpoch] = first
        return first
    }
}
