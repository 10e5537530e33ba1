/// Integer conversions of outside numbers that cannot trap: `Int64(x)` traps on NaN, infinity and anything beyond
/// ±9.2e18, and such values arrive in headers, provider bodies and configuration.
extension Int64 {
    /// `x` rounded toward zero, clamped to `Int64`'s range; NaN → 0.
    @inlinable
    public init(saturating x: Double) {
        if x.isNaN { self = 0 }
        else if x >= 9.223_372_036_854_775e18 { self = .max }
        else if x <= -9.223_372_036_854_775e18 { self = .min }
        else { self = Int64(x) }
    }
}

extension Int {
    /// `x` rounded toward zero, clamped to `Int`'s range; NaN → 0.
    @inlinable
    public init(saturating x: Double) {
        self = Int(truncatingIfNeeded: Int64(saturating: x))
    }
}
