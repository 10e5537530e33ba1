/// Local-time conversions for the exchanges we know, computed from the daylight-saving rules
/// themselves (no tzdata): US Eastern time (America/New_York) and Central European time.
///
/// US rules covered: 2007– (second Sunday of March → first Sunday of November), 1987–2006
/// (first Sunday of April → last Sunday of October), 1976–1986 and 1967–1973 (last Sunday of
/// April → last Sunday of October), the 1974 and 1975 energy-crisis dates (Jan 6, Feb 23), and
/// New York's own pre-1967 rule (last Sunday of April → last Sunday of October). Changes happen
/// at 02:00 local time. EU rules covered: 1996– (last Sunday of March → last Sunday of October,
/// 01:00 UTC), 1981–1995 (last Sunday of March → last Sunday of September, 01:00 UTC), 1980
/// (April 6 → September 28); no daylight saving before 1980.
public enum ExchangeTime {
    static let hour: Int64 = 3_600

    /// The date of the `n`-th (1-based) `weekday` (ISO, 7 = Sunday) of a month.
    static func nthWeekday(_ n: Int, _ weekday: Int, year: Int, month: Int) -> CivilDate {
        let first = CivilDate(year: year, month: month, day: 1)
        let shift = (weekday - first.weekday + 7) % 7
        return CivilDate(year: year, month: month, day: 1 + shift + 7 * (n - 1))
    }

    /// The date of the last `weekday` (ISO, 7 = Sunday) of a month.
    static func lastWeekday(_ weekday: Int, year: Int, month: Int) -> CivilDate {
        let nextMonth = month == 12 ? CivilDate(year: year + 1, month: 1, day: 1)
                                    : CivilDate(year: year, month: month + 1, day: 1)
        let last = nextMonth.adding(days: -1)
        let back = (last.weekday - weekday + 7) % 7
        return last.adding(days: -back)
    }

    /// US daylight-saving start and end dates for a year (both Sundays, change at 02:00 local).
    static func usDSTDates(year: Int) -> (start: CivilDate, end: CivilDate) {
        switch year {
        case 2007...:
            return (nthWeekday(2, 7, year: year, month: 3), nthWeekday(1, 7, year: year, month: 11))
        case 1987...2006:
            return (nthWeekday(1, 7, year: year, month: 4), lastWeekday(7, year: year, month: 10))
        case 1975:
            return (CivilDate(year: 1975, month: 2, day: 23), lastWeekday(7, year: year, month: 10))
        case 1974:
            return (CivilDate(year: 1974, month: 1, day: 6), lastWeekday(7, year: year, month: 10))
        default:
            return (lastWeekday(7, year: year, month: 4), lastWeekday(7, year: year, month: 10))
        }
    }

    /// The offset of New York local time from UTC, in seconds (−18,000 or −14,400), at a UTC instant.
    public static func newYorkOffset(atUTC t: Int64) -> Int64 {
        let year = CivilDate(unixSeconds: t).year
        let (s, e) = usDSTDates(year: year)
        // Start: 02:00 EST = 07:00 UTC. End: 02:00 EDT = 06:00 UTC.
        let startUTC = s.unixSeconds + 7 * hour
        let endUTC = e.unixSeconds + 6 * hour
        return (t >= startUTC && t < endUTC) ? -4 * hour : -5 * hour
    }

    /// The UTC instant of a New York wall-clock time. Times skipped by the spring change are read
    /// as standard time (02:30 → 03:30 EDT); repeated autumn times resolve to daylight time.
    public static func newYorkLocalToUTC(date: CivilDate, secondsOfDay: Int) -> Int64 {
        let local = date.unixSeconds + Int64(secondsOfDay)
        let asDaylight = local + 4 * hour
        if newYorkOffset(atUTC: asDaylight) == -4 * hour { return asDaylight }
        return local + 5 * hour
    }

    /// EU daylight-saving start and end as UTC instants, or nil for a year without it.
    static func euDSTInstants(year: Int) -> (start: Int64, end: Int64)? {
        switch year {
        case 1996...:
            return (lastWeekday(7, year: year, month: 3).unixSeconds + hour,
                    lastWeekday(7, year: year, month: 10).unixSeconds + hour)
        case 1981...1995:
            return (lastWeekday(7, year: year, month: 3).unixSeconds + hour,
                    lastWeekday(7, year: year, month: 9).unixSeconds + hour)
        case 1980:
            return (CivilDate(year: 1980, month: 4, day: 6).unixSeconds + hour,
                    CivilDate(year: 1980, month: 9, day: 28).unixSeconds + hour)
        default:
            return nil
        }
    }

    /// The offset of Central European time (CET/CEST) from UTC, in seconds (3,600 or 7,200).
    public static func centralEuropeOffset(atUTC t: Int64) -> Int64 {
        guard let (s, e) = euDSTInstants(year: CivilDate(unixSeconds: t).year) else { return hour }
        return (t >= s && t < e) ? 2 * hour : hour
    }

    /// The UTC instant of a Central European wall-clock time (skipped times read as standard
    /// time; repeated times resolve to summer time).
    public static func centralEuropeLocalToUTC(date: CivilDate, secondsOfDay: Int) -> Int64 {
        let local = date.unixSeconds + Int64(secondsOfDay)
        let asSummer = local - 2 * hour
        if centralEuropeOffset(atUTC: asSummer) == 2 * hour { return asSummer }
        return local - hour
    }
}
