import Market

/// RFC 3339 timestamps in UTC (`2024-03-01T14:30:00Z`), the only time format on the wire.
public enum RFC3339 {
    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the times the API reads (four-digit years, as
    /// RFC 3339 writes them); anything outside is refused as input.
    public static let minSeconds: Int64 = -62_135_596_800
    public static let maxSeconds: Int64 = 253_402_300_799
    /// `minSeconds...maxSeconds`.
    public static let range: ClosedRange<Int64> = minSeconds...maxSeconds

    /// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
    public static func format(_ unixSeconds: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(20)
        append(unixSeconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the formatted timestamp to a byte buffer (no allocation of its own).
    public static func append(_ unixSeconds: Int64, to out: inout [UInt8]) {
        let date = CivilDate(unixSeconds: unixSeconds)
        var sod = unixSeconds - date.unixSeconds
        if sod < 0 { sod += 86_400 }
        func two(_ v: Int) { out.append(UInt8(48 + v / 10)); out.append(UInt8(48 + v % 10)) }
        let y = date.year
        if y < 0 || y > 9_999 { out.append(contentsOf: String(y).utf8) } else {
            two(y / 100); two(y % 100)
        }
        out.append(45); two(date.month); out.append(45); two(date.day)
        out.append(84); two(Int(sod / 3_600)); out.append(58); two(Int(sod / 60 % 60)); out.append(58); two(Int(sod % 60))
        out.append(90)
    }

    /// Parses `YYYY-MM-DD` (midnight UTC), `YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM)`, or Unix seconds.
    /// - Returns: Unix seconds, or nil when the text is none of these or falls outside years 1…9999.
    public static func parse(_ text: String) -> Int64? {
        guard let t = parseUnbounded(text), range.contains(t) else { return nil }
        return t
    }

    private static func parseUnbounded(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        if !b.isEmpty, b.allSatisfy({ $0 >= 48 && $0 <= 57 }), b.count <= 12 { return Int64(text) }
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= b.count else { return nil }
            var v = 0
            for i in from..<(from + len) {
                let c = b[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard b.count >= 10, let y = num(0, 4), b[4] == 45, let mo = num(5, 2), b[7] == 45, let d = num(8, 2),
              (1...12).contains(mo), (1...31).contains(d) else { return nil }
        let date = CivilDate(year: y, month: mo, day: d)
        guard CivilDate(daysSinceEpoch: date.daysSinceEpoch) == date else { return nil }   // 2023-02-30
        if b.count == 10 { return date.unixSeconds }
        guard b[10] == 84 || b[10] == 116 || b[10] == 32, let h = num(11, 2), b.count > 13, b[13] == 58, let mi = num(14, 2),
              h < 24, mi < 60 else { return nil }
        var i = 16
        var s = 0
        if i < b.count, b[i] == 58 {
            guard let sec = num(i + 1, 2), sec < 61 else { return nil }
            s = sec
            i += 3
            if i < b.count, b[i] == 46 {
                i += 1
                let start = i
                while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
                guard i > start else { return nil }
            }
        }
        var offset = 0
        guard i < b.count else { return nil }   // a zone is required
        switch b[i] {
        case 90, 122: i += 1
        case 43, 45:
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 58, let om = num(i + 4, 2) else { return nil }
            offset = (oh * 3_600 + om * 60) * (b[i] == 45 ? -1 : 1)
            i += 6
        default: return nil
        }
        guard i == b.count else { return nil }
        return date.unixSeconds + Int64(h * 3_600 + mi * 60 + s - offset)
    }
}
