import Primitives

/// A calendar date with no time zone (a trading date, a holiday).
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `days` days after 1970-01-01 (proleptic Gregorian).
    public init(daysSinceEpoch days: Int64) {
        let (y, m, d) = CivilDays.civil(days: days)
        self.init(year: Int(y), month: Int(m), day: Int(d))
    }

    /// The UTC date of a Unix timestamp in seconds.
    public init(unixSeconds: Int64) {
        self.init(daysSinceEpoch: CivilDays.days(unixSeconds: unixSeconds))
    }

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int64 {
        CivilDays.days(year: Int64(year), month: Int64(month), day: Int64(day))
    }

    /// Midnight UTC of this date, in Unix seconds.
    public var unixSeconds: Int64 { daysSinceEpoch * 86_400 }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    public var weekday: Int {
        let w = (daysSinceEpoch + 3) % 7   // 1970-01-01 was a Thursday (3 with Monday = 0)
        return Int(w < 0 ? w + 7 : w) + 1
    }

    /// The date `n` days later (earlier when negative).
    public func adding(days n: Int) -> CivilDate { CivilDate(daysSinceEpoch: daysSinceEpoch + Int64(n)) }

    /// `YYYY-MM-DD`.
    public var description: String {
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (a: CivilDate, b: CivilDate) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }
}
