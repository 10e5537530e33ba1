/// Numbers as ASCII decimal text, written straight into byte buffers (HTTP framing, JSON, COPY) or
/// as strings (messages, metrics).
public enum DecimalText {
    /// Appends `value` in decimal (with a leading `-` when negative), without allocating.
    @inlinable
    public static func append(_ value: Int64, to out: inout [UInt8]) {
        if value == 0 { out.append(0x30); return }
        if value < 0 { out.append(0x2D) }
        var v = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buf in
            var n = 0
            while v > 0 { buf[n] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30; v /= 10; n += 1 }
            while n > 0 { n -= 1; out.append(buf[n]) }
        }
    }

    /// `x` as an integer when it is integral and below 10^15 in magnitude (where a Double holds every
    /// integer exactly), else nil (fractions, NaN, ±∞, huge values).
    @inlinable
    public static func integral(_ x: Double) -> Int64? {
        x == x.rounded() && abs(x) < 1e15 ? Int64(x) : nil
    }

    /// Appends `x` in its shortest round-trip form, integral values without `.0` (`2`, `2.5`, `1e+20`).
    @inlinable
    public static func append(_ x: Double, to out: inout [UInt8]) {
        if let i = integral(x) { append(i, to: &out); return }
        out.append(contentsOf: x.description.utf8)
    }

    /// `x` in its shortest round-trip form, integral values without `.0` (`2`, `2.5`, `nan`).
    @inlinable
    public static func string(_ x: Double) -> String {
        if let i = integral(x) { return String(i) }
        return x.description
    }
}
