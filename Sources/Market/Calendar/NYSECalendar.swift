/// The New York Stock Exchange (XNYS) calendar, computed by rule for any year from 1962 on.
///
/// Regular hours: 09:30–16:00 New York time (historically 10:00–15:30 until 1974-09-30,
/// 10:00–16:00 until 1985-09-27, 09:30 open from 1985-09-30). Early closes at 13:00: the day before
/// Independence Day (Mon/Tue/Thu from 1995, Wednesday from 2013, and the Friday July 5 after a
/// Thursday Independence Day in 1996–2012), the day after Thanksgiving (from 1993) and Christmas Eve
/// on Mon–Thu (from 1993). Earlier 14:00 early closes are not modelled.
///
/// Holidays: New Year's Day (Sunday → Monday; a Saturday New Year is not observed), Martin Luther
/// King Jr. Day (from 1998), Washington's Birthday (Feb 22 before 1971, third Monday from 1971),
/// Good Friday, Memorial Day (May 30 before 1970, last Monday of May from 1971; not observed in 1970
/// when it fell on a Saturday), Juneteenth (from 2022), Independence Day, Labor Day, Thanksgiving,
/// Christmas (Saturday → Friday, Sunday → Monday for the fixed-date holidays from 1964), and
/// Election Day (every year to 1967, presidential years 1968–1980). Unscheduled closures from 1963 on
/// are listed in `specialClosures` (state funerals, 1968 paperwork-crisis Wednesdays, weather,
/// blackout, 9/11, Hurricane Sandy); 1962–1980 was checked against the sessions in Yahoo PG data.
public struct NYSECalendar: TradingCalendar {
    /// `XNYS`.
    public let identifier = "XNYS"

    /// Creates the calendar (it holds no state).
    public init() {}

    /// Unscheduled whole-day closures, keyed by date.
    public static let specialClosures: [CivilDate: String] = {
        var m: [CivilDate: String] = [:]
        func add(_ y: Int, _ mo: Int, _ d: Int, _ why: String) { m[CivilDate(year: y, month: mo, day: d)] = why }
        add(1963, 11, 25, "National day of mourning for President John F. Kennedy")
        add(1968, 2, 12, "Lincoln's Birthday (1968)")
        add(1968, 4, 9, "Day of mourning for Martin Luther King Jr.")
        for (mo, d) in [(6, 12), (6, 19), (6, 26), (7, 10), (7, 17), (7, 24), (7, 31), (8, 7), (8, 14), (8, 21),
                        (8, 28), (9, 11), (9, 18), (9, 25), (10, 2), (10, 9), (10, 16), (10, 23), (10, 30),
                        (11, 20), (12, 4), (12, 11), (12, 18)] {
            add(1968, mo, d, "Paperwork crisis (Wednesday closure, 1968)")
        }
        add(1968, 7, 5, "Day after Independence Day (1968)")
        add(1968, 11, 11, "Veterans Day (1968)")
        add(1969, 2, 10, "Snowstorm")
        add(1969, 3, 31, "National day of mourning for President Dwight D. Eisenhower")
        add(1969, 7, 21, "Apollo 11 lunar landing")
        add(1972, 12, 28, "National day of mourning for President Harry S. Truman")
        add(1973, 1, 25, "National day of mourning for President Lyndon B. Johnson")
        add(1977, 7, 14, "New York City blackout")
        add(1985, 9, 27, "Hurricane Gloria")
        add(1994, 4, 27, "National day of mourning for President Richard Nixon")
        for d in 11...14 { add(2001, 9, d, "September 11 attacks") }
        add(2004, 6, 11, "National day of mourning for President Ronald Reagan")
        add(2007, 1, 2, "National day of mourning for President Gerald Ford")
        add(2012, 10, 29, "Hurricane Sandy")
        add(2012, 10, 30, "Hurricane Sandy")
        add(2018, 12, 5, "National day of mourning for President George H. W. Bush")
        add(2025, 1, 9, "National day of mourning for President Jimmy Carter")
        return m
    }()

    /// Easter Sunday of a Gregorian year (anonymous Gregorian computus, Meeus/Jones/Butcher).
    public static func easter(year: Int) -> CivilDate {
        let a = year % 19, b = year / 100, c = year % 100
        let d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return CivilDate(year: year, month: month, day: day)
    }

    /// Whether `date` is the observed date of a fixed-date holiday `month/day`: Saturday → Friday
    /// (when `saturdayToFriday`), Sunday → Monday.
    @inline(__always)
    static func isObserved(_ date: CivilDate, month: Int, day: Int, saturdayToFriday: Bool = true) -> Bool {
        let h = CivilDate(year: date.year, month: month, day: day)
        switch h.weekday {
        case 6: return saturdayToFriday && date == h.adding(days: -1)
        case 7: return date == h.adding(days: 1)
        default: return date == h
        }
    }

    /// The name of the holiday or closure on a weekday, or nil when the exchange is open.
    public static func holidayName(_ date: CivilDate) -> String? {
        let y = date.year, mo = date.month, d = date.day, wd = date.weekday
        if wd >= 6 { return nil }
        switch mo {
        case 1:
            if d == 1 || (d == 2 && wd == 1) { return "New Year's Day" }
            if y >= 1998 && wd == 1 && (15...21).contains(d) { return "Martin Luther King Jr. Day" }
        case 2:
            if y >= 1971 {
                if wd == 1 && (15...21).contains(d) { return "Washington's Birthday (Presidents' Day)" }
            } else if isObserved(date, month: 2, day: 22, saturdayToFriday: y >= 1964) {
                return "Washington's Birthday"
            }
        case 3, 4:
            if date == easter(year: y).adding(days: -2) { return "Good Friday" }
        case 5:
            if y >= 1971 {
                if wd == 1 && d >= 25 { return "Memorial Day" }
            } else if y != 1970 && isObserved(date, month: 5, day: 30, saturdayToFriday: y >= 1964) {
                return "Memorial Day"
            }
        case 6:
            if y >= 2022 && isObserved(date, month: 6, day: 19) { return "Juneteenth National Independence Day" }
        case 7:
            if isObserved(date, month: 7, day: 4) { return "Independence Day" }
        case 9:
            if wd == 1 && d <= 7 { return "Labor Day" }
        case 11:
            if wd == 4 && (22...28).contains(d) { return "Thanksgiving Day" }
            if wd == 2 && (2...8).contains(d) && (y <= 1967 || [1968, 1972, 1976, 1980].contains(y)) {
                return "Election Day"
            }
        case 12:
            if isObserved(date, month: 12, day: 25) { return "Christmas Day" }
        default:
            break
        }
        return specialClosures[date]
    }

    /// Whether the session on an open day `date` closes early (at 13:00 New York time).
    public static func isEarlyClose(_ date: CivilDate) -> Bool {
        let y = date.year, wd = date.weekday
        switch (date.month, date.day) {
        case (7, 3):
            return (y >= 1995 && [1, 2, 4].contains(wd)) || (y >= 2013 && wd == 3)
        case (7, 5):
            return y >= 1996 && y <= 2012 && wd == 5
        case (11, 23...29):
            return y >= 1993 && wd == 5 && holidayName(date.adding(days: -1)) == "Thanksgiving Day"
        case (12, 24):
            return y >= 1993 && (1...4).contains(wd)
        default:
            return false
        }
    }

    /// Whether `date` has a session: a weekday that is no holiday or closure (no daylight-saving
    /// arithmetic for the hours: generation asks this of every day of a history).
    public func trades(on date: CivilDate) -> Bool {
        date.weekday < 6 && NYSECalendar.holidayName(date) == nil
    }

    /// The regular session on `date`, or nil on weekends, holidays and closures.
    public func session(on date: CivilDate) -> TradingSession? {
        guard trades(on: date) else { return nil }
        let early = NYSECalendar.isEarlyClose(date)
        let days = date.daysSinceEpoch
        // 1985-09-30 (open moved to 09:30) and 1974-10-01 (close moved to 16:00).
        let openSeconds = days >= 5_751 ? 9 * 3_600 + 1_800 : 10 * 3_600
        let closeSeconds = early ? 13 * 3_600 : (days >= 1_734 ? 16 * 3_600 : 15 * 3_600 + 1_800)
        return TradingSession(date: date,
                              open: ExchangeTime.newYorkLocalToUTC(date: date, secondsOfDay: openSeconds),
                              close: ExchangeTime.newYorkLocalToUTC(date: date, secondsOfDay: closeSeconds),
                              isEarlyClose: early)
    }

    /// The holiday or closure on a weekday; nil on open days and weekends.
    public func closureReason(on date: CivilDate) -> String? { NYSECalendar.holidayName(date) }
}
