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

    /// The sentence for a finding at `t`: what is wrong and what it likely means.
    static func message(_ finding: Finding, at t: Int64, input: QualityInput) -> String {
        let at = when(t, input)
        let cal = input.calendar.identifier
        switch finding {
        case let .highBelowLow(high, low):
            return "High \(num(high)) is below Low \(num(low)) on \(at): the bar is internally inconsistent (high and low swapped or one of them wrong), so its range cannot be trusted."
        case let .nonPositivePrice(open, high, low, close):
            var bad: [String] = []
            if open < 0 { bad.append("Open \(num(open))") }
            if high <= 0 { bad.append("High \(num(high))") }
            if low <= 0 { bad.append("Low \(num(low))") }
            if close <= 0 { bad.append("Close \(num(close))") }
            return "\(bad.joined(separator: ", ")) on \(at): a price of zero or below is not a real price, so the bar is unusable (a missing value encoded as 0, or a sign error)."
        case let .negativeVolume(volume):
            return "Volume is \(num(volume)) on \(at): volume cannot be negative; this is a sign or parsing error in the source."
        case let .futureTimestamp(now):
            return "The bar at \(at) is later than now (\(when(now, input))): a future timestamp means a clock, time-zone or date-format error."
        case let .openOutsideRange(open, low, high):
            let side = open < low ? "below Low \(num(low))" : "above High \(num(high))"
            return "Open \(num(open)) is \(side) on \(at): the open lies outside the bar's own range, likely a vendor error in the open or in the high/low."
        case let .closeOutsideRange(close, low, high):
            let side = close < low ? "below Low \(num(low))" : "above High \(num(high))"
            return "Close \(num(close)) is \(side) on \(at): the close lies outside the bar's own range, likely a vendor error in the close or in the high/low."
        case let .duplicateTimestamp(previousVolume, volume):
            // The second volume is shown (and compared) without its fraction.
            let whole = volume.rounded(.towardZero)
            let vol = previousVolume != whole ? " (volumes \(num(previousVolume)) and \(num(whole)))" : ""
            return "Two bars share the timestamp \(at)\(vol): a duplicated row, typically a live last bar downloaded twice; keep only the latest."
        case let .outOfOrder(previous):
            return "The bar at \(at) comes after a later bar (\(when(previous, input))): the series is not sorted by time; it was sorted before the other checks."
        case .missingSession:
            return "No bar for \(CivilDate(unixSeconds: t)), which is a \(cal) trading session: the bar is missing from the data (a gap a strategy would silently skip)."
        case let .missingOpen(low):
            return "Open is 0 while Low is \(num(low)) on \(at): the open price is missing (encoded as 0), not a real price."
        case let .missingBars(count, until):
            let bars = count == 1 ? "1 bar is" : "\(count) bars are"
            return "\(bars) missing (\(input.timeframe.rawValue)) from \(at) up to \(clock(until)) UTC inside the trading session: the feed dropped them, or nothing traded."
        case let .outsideDailySession(closure):
            let why = closure ?? (CivilDate(unixSeconds: t).weekday >= 6 ? "weekend" : "no session")
            return "Bar on \(at), when \(cal) is closed (\(why)): the market did not trade that day, so the bar is spurious or misdated."
        case let .onClosedDay(closure):
            return "Bar at \(at) falls on a day \(cal) is closed (\(closure)): the bar is spurious, or its timestamps are in the wrong time zone."
        case let .outsideSession(open, close):
            return "Bar at \(at) is outside the \(cal) session (\(clock(open))–\(clock(close)) UTC): an extended-hours or closing-auction print, or timestamps in the wrong time zone."
        case let .misalignedTimestamp(offset):
            if !input.timeframe.isIntraday {
                return "Timestamp \(at) is not midnight UTC: daily bars are stamped at midnight of their trading date, so this bar is probably stamped in a local time zone."
            }
            return "Timestamp \(at) is not on a \(input.timeframe.rawValue) boundary (\(offset) s past it): bars should start on the interval grid; the series may be resampled wrongly or stamped irregularly."
        case let .staleData(missed, latestDay):
            return "The last bar is at \(at) but \(missed) \(cal) session(s) have closed since (latest \(CivilDate(daysSinceEpoch: latestDay))): the data is stale, likely a feed that stopped updating."
        case let .stalledSession(now):
            return "The last bar is at \(at) but the \(cal) session has been open since without new bars (now \(when(now, input))): the feed has stopped updating."
        case .zeroVolume:
            return "Volume is 0 on \(at) during a regular session: no trades were reported, likely a missing volume figure (or a trading halt)."
        case let .outlierReturn(logReturn, deviations, sigma, reverts):
            let tail = reverts ? " It largely reverses on the next bar: typical of a bad print, though violent real moves (1987, 2008) do this too." : " Check it against another source: it may be a real market move or a bad price."
            return "Return of \(pct(exp(logReturn) - 1)) on \(at) is \(fixed(deviations, 1)) robust standard deviations from the median (MAD-based σ \(fixed(sigma * 100, 2))%).\(tail)"
        case let .flatRun(length, close, until):
            return "\(length) consecutive bars from \(at) to \(when(until, input)) have Open = High = Low = Close (\(num(close))): the price did not move, likely a stale or carried-forward quote."
        case let .volumeNotReported(zeroBars, bars):
            return "Volume is 0 on \(zeroBars) of \(bars) bars: this series does not report volume (usual for an index), so volume-based signals cannot be used."
        case let .corporateAction(previousClose, price, factor, volumeRatio):
            let split = factor >= 1 ? (factor == 1.5 ? "3-for-2 split" : "\(num(factor))-for-1 split") : "1-for-\(num(1 / factor)) reverse split"
            let volume = (volumeRatio * 1_000).rounded(.towardZero) / 1_000   // shown from its thousandths
            return "Price went from \(num(previousClose)) to \(num(price)) on \(at) (ratio \(fixed(previousClose / price, 2))) with volume at \(fixed(volume, 2))× its recent median: probably a \(split) not adjusted in this series, not a market move."
        }
    }
}
