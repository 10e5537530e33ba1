import Primitives

public import Foundation

extension Date: PostgresEncodable, PostgresDecodable, PostgresArrayLiteralElement {
    /// `timestamptz` text in UTC with microsecond precision, e.g. `2024-05-01 13:45:00.123456+00`.
    public var postgresText: String {
        if self == .distantFuture { return "infinity" }
        if self == .distantPast { return "-infinity" }
        let micros = Int64((timeIntervalSince1970 * 1_000_000).rounded())
        return PostgresTimestamp.format(microsSince1970: micros)
    }

    /// Parses `timestamptz` (any offset), `timestamp` (taken as UTC) or `date` text in ISO DateStyle.
    public init(postgresText: String) throws {
        switch postgresText {
        case "infinity": self = .distantFuture
        case "-infinity": self = .distantPast
        default:
            guard let micros = PostgresTimestamp.parse(postgresText) else { throw decodingError(Date.self) }
            self = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
        }
    }
}

/// Conversions between Unix microseconds and PostgreSQL's ISO timestamp text, in the proleptic Gregorian calendar.
enum PostgresTimestamp {
    static let microsPerDay: Int64 = 86_400_000_000

    /// Formats as `YYYY-MM-DD HH:MM:SS.ffffff+00`.
    static func format(microsSince1970 micros: Int64) -> String {
        let days = micros >= 0 ? micros / microsPerDay : -((-micros + microsPerDay - 1) / microsPerDay)
        var rest = micros - days * microsPerDay
        let (y, m, d) = CivilDays.civil(days: days)
        let hour = rest / 3_600_000_000; rest -= hour * 3_600_000_000
        let minute = rest / 60_000_000; rest -= minute * 60_000_000
        let second = rest / 1_000_000; rest -= second * 1_000_000
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        var out = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2)) \(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
        if rest != 0 { out += "." + pad(rest, 6) }
        return out + "+00"
    }

    /// Parses `YYYY-MM-DD[ HH:MM:SS[.f…]][±HH[:MM[:SS]]]`; returns microseconds since 1970 UTC.
    static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        var i = 0
        func number(_ minDigits: Int, _ maxDigits: Int) -> Int64? {
            var v: Int64 = 0, n = 0
            while i < b.count, n < maxDigits, b[i] >= 48, b[i] <= 57 {
                v = v * 10 + Int64(b[i] - 48); i += 1; n += 1
            }
            return n >= minDigits ? v : nil
        }
        func expect(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        guard let year = number(4, 9), expect("-"), let month = number(2, 2), expect("-"), let day = number(2, 2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var micros = CivilDays.days(year: year, month: month, day: day) * microsPerDay
        if i < b.count, b[i] == UInt8(ascii: " ") || b[i] == UInt8(ascii: "T") {
            i += 1
            guard let h = number(2, 2), expect(":"), let mi = number(2, 2), expect(":"), let s = number(2, 2) else { return nil }
            micros += ((h * 60 + mi) * 60 + s) * 1_000_000
            if expect(".") {
                var frac: Int64 = 0, scale: Int64 = 100_000, digits = 0
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if digits < 6 { frac += Int64(b[i] - 48) * scale; scale /= 10 }
                    i += 1; digits += 1
                }
                guard digits > 0 else { return nil }
                micros += frac
            }
        }
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign: Int64 = b[i] == UInt8(ascii: "+") ? 1 : -1
            i += 1
            guard let oh = number(2, 2) else { return nil }
            var offset = oh * 3600
            if expect(":") { guard let om = number(2, 2) else { return nil }; offset += om * 60 }
            if expect(":") { guard let os = number(2, 2) else { return nil }; offset += os }
            micros -= sign * offset * 1_000_000
        }
        if i < b.count, text.hasSuffix(" BC") { return nil } // BC dates are not supported
        return i == b.count ? micros : nil
    }
}
