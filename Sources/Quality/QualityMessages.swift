import Market
import Primitives
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension QualityChecker {
    /// A number as written in data (shortest form; integral values without ".0").
    static func num(_ x: Double) -> String {
        DecimalText.string(x)
    }

    /// `x` with `decimals` decimals (no Foundation).
    static func fixed(_ x: Double, _ decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let v = (abs(x) * scale).rounded()
        guard v < 9e15 else { return "\(x)" }
        let i = Int64(v)
        let whole = i / Int64(scale), frac = i % Int64(scale)
        var f = String(frac)
        while f.count < decimals { f = "0" + f }
        return (x < 0 && v > 0 ? "-" : "") + String(whole) + (decimals > 0 ? "." + f : "")
    }

    static func pct(_ x: Double) -> String { (x > 0 ? "+" : "") + fixed(x * 100, 1) + "%" }

    static func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// `HH:MM` (UTC) of a timestamp.
    static func clock(_ t: Int64) -> String {
        let s = ((t % 86_400) + 86_400) % 86_400
        return two(s / 3_600) + ":" + two(s / 60 % 60)
    }

    /// The bar's date for daily bars, date and UTC time for intraday bars.
    static func when(_ t: Int64, _ input: QualityInput) -> String {
        let d = CivilDate(unixSeconds: t).description
        if !input.timeframe.isIntraday && t % 86_400 == 0 { return d }
        let s = ((t % 86_400) + 86_400) % 86_400
        return d + " " + clock(t) + (s % 60 != 0 ? ":" + two(s % 60) : "") + " UTC"
    }

    static func message(_ r: Raw, input: QualityInput) -> String {
        let at = when(r.timestamp, input)
        let cal = input.calendar.identifier
        switch r.check {
        case .highBelowLow:
            return "High \(num(r.a)) is below Low \(num(r.b)) on \(at): the bar is internally inconsistent (high and low swapped or one of them wrong), so its range cannot be trusted."
        case .nonPositivePrice:
            let close = Double(bitPattern: UInt64(bitPattern: r.n))
            var bad: [String] = []
            if r.a < 0 { bad.append("Open \(num(r.a))") }
            if r.b <= 0 { bad.append("High \(num(r.b))") }
            if r.c <= 0 { bad.append("Low \(num(r.c))") }
            if close <= 0 { bad.append("Close \(num(close))") }
            return "\(bad.joined(separator: ", ")) on \(at): a price of zero or below is not a real price, so the bar is unusable (a missing value encoded as 0, or a sign error)."
        case .negativeVolume:
            return "Volume is \(num(r.a)) on \(at): volume cannot be negative; this is a sign or parsing error in the source."
        case .futureTimestamp:
            return "The bar at \(at) is later than now (\(when(r.n, input))): a future timestamp means a clock, time-zone or date-format error."
        case .openOutsideRange:
            let side = r.a < r.b ? "below Low \(num(r.b))" : "above High \(num(r.c))"
            return "Open \(num(r.a)) is \(side) on \(at): the open lies outside the bar's own range, likely a vendor error in the open or in the high/low."
        case .closeOutsideRange:
            let side = r.a < r.b ? "below Low \(num(r.b))" : "above High \(num(r.c))"
            return "Close \(num(r.a)) is \(side) on \(at): the close lies outside the bar's own range, likely a vendor error in the close or in the high/low."
        case .duplicateTimestamp:
            let vol = r.c != Double(r.m) ? " (volumes \(num(r.c)) and \(r.m))" : ""
            return "Two bars share the timestamp \(at)\(vol): a duplicated row, typically a live last bar downloaded twice; keep only the latest."
        case .outOfOrder:
            return "The bar at \(at) comes after a later bar (\(when(r.n, input))): the series is not sorted by time; it was sorted before the other checks."
        case .missingSession:
            return "No bar for \(CivilDate(unixSeconds: r.timestamp)), which is a \(cal) trading session: the bar is missing from the data (a gap a strategy would silently skip)."
        case .missingOpen:
            return "Open is 0 while Low is \(num(r.a)) on \(at): the open price is missing (encoded as 0), not a real price."
        case .missingBars:
            let minutes = r.n == 1 ? "1 bar is" : "\(r.n) bars are"
            return "\(minutes) missing (\(input.timeframe.rawValue)) from \(when(r.timestamp, input)) up to \(clock(r.m)) UTC inside the trading session: the feed dropped them, or nothing traded."
        case .outsideSession:
            if !input.timeframe.isIntraday {
                let why = r.note ?? (CivilDate(unixSeconds: r.timestamp).weekday >= 6 ? "weekend" : "no session")
                return "Bar on \(at), when \(cal) is closed (\(why)): the market did not trade that day, so the bar is spurious or misdated."
            }
            if let note = r.note {
                return "Bar at \(at) falls on a day \(cal) is closed (\(note)): the bar is spurious, or its timestamps are in the wrong time zone."
            }
            return "Bar at \(at) is outside the \(cal) session (\(clock(r.n))–\(clock(r.m)) UTC): an extended-hours or closing-auction print, or timestamps in the wrong time zone."
        case .misalignedTimestamp:
            if !input.timeframe.isIntraday {
                return "Timestamp \(at) is not midnight UTC: daily bars are stamped at midnight of their trading date, so this bar is probably stamped in a local time zone."
            }
            return "Timestamp \(at) is not on a \(input.timeframe.rawValue) boundary (\(r.n) s past it): bars should start on the interval grid; the series may be resampled wrongly or stamped irregularly."
        case .staleData:
            if r.n == 0 {
                return "The last bar is at \(at) but the \(cal) session has been open since without new bars (now \(when(r.m, input))): the feed has stopped updating."
            }
            return "The last bar is at \(at) but \(r.n) \(cal) session(s) have closed since (latest \(CivilDate(daysSinceEpoch: r.m))): the data is stale, likely a feed that stopped updating."
        case .zeroVolume:
            return "Volume is 0 on \(at) during a regular session: no trades were reported, likely a missing volume figure (or a trading halt)."
        case .outlierReturn:
            let tail = r.n == 1 ? " It largely reverses on the next bar: typical of a bad print, though violent real moves (1987, 2008) do this too." : " Check it against another source: it may be a real market move or a bad price."
            return "Return of \(pct(exp(r.a) - 1)) on \(at) is \(fixed(r.b, 1)) robust standard deviations from the median (MAD-based σ \(fixed(r.c * 100, 2))%).\(tail)"
        case .flatRun:
            return "\(r.n) consecutive bars from \(at) to \(when(r.m, input)) have Open = High = Low = Close (\(num(r.a))): the price did not move, likely a stale or carried-forward quote."
        case .volumeNotReported:
            return "Volume is 0 on \(r.n) of \(r.m) bars: this series does not report volume (usual for an index), so volume-based signals cannot be used."
        case .corporateAction:
            let f = r.c
            let split = f >= 1 ? (f == 1.5 ? "3-for-2 split" : "\(num(f))-for-1 split") : "1-for-\(num(1 / f)) reverse split"
            let vol = Double(r.m) / 1_000
            return "Price went from \(num(r.a)) to \(num(r.b)) on \(at) (ratio \(fixed(r.a / r.b, 2))) with volume at \(fixed(vol, 2))× its recent median: probably a \(split) not adjusted in this series, not a market move."
        }
    }
}
