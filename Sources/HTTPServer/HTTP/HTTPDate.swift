import Primitives

/// Formats HTTP dates (IMF-fixdate, RFC 9110 §5.6.7).
public enum HTTPDate {
    private static let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT` for the given Unix time.
    public static func format(unixSeconds: Int64) -> String {
        let dayNumber = CivilDays.days(unixSeconds: unixSeconds)
        let secondOfDay = unixSeconds - dayNumber * 86_400
        let weekday = Int(((dayNumber % 7) + 7) % 7)
        let (year, month, day) = CivilDays.civil(days: dayNumber)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[weekday]), \(two(day)) \(months[Int(month - 1)]) \(year) "
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60)) GMT"
    }
}
