/// Proleptic Gregorian dates as days since 1970-01-01 and back (Howard Hinnant's `days_from_civil`
/// and `civil_from_days`), for every module that turns timestamps into dates: `Market`'s
/// `CivilDate`, `HTTPServer`'s HTTP dates, `Postgres`'s date and timestamp text.
public enum CivilDays {
    /// Days since 1970-01-01 of a year, month (1–12) and day (1–31).
    @inlinable
    public static func days(year y0: Int64, month m: Int64, day d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The year, month (1–12) and day of a day number (days since 1970-01-01).
    @inlinable
    public static func civil(days z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// The day number of a Unix time in seconds (floor division, so times before 1970 fall on the right day).
    @inlinable
    public static func days(unixSeconds t: Int64) -> Int64 {
        t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
    }
}
