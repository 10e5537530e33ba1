/// The data-quality score of a series as of each bar, from the bars up to it only (a report over the
/// whole series would leak later defects into earlier signals).
///
/// Over the trailing `window` bars (the bar itself included) each check's rate is the share of bars
/// it flags, and, as in the stored quality report, `score = max(0, 1 − Σ weight × min(1, 10 × rate))`.
/// Checks: High < Low (0.3), a non-positive price (0.3), Open or Close outside [Low, High] (0.1),
/// zero volume where the series reports volume (0.05), a close-to-close move beyond ±40% (0.05).
public struct RollingQuality: Sendable {
    /// Score as of each bar.
    public private(set) var score: [Double]
    /// Whether the bar itself fails a structural check (High < Low, a non-positive price, Open or
    /// Close outside the range): no signal is made about such a bar.
    public private(set) var barDefect: [String?]

    public static let window = 250
    static let checks: [(name: String, weight: Double)] = [
        ("high_below_low", 0.3), ("non_positive_price", 0.3), ("outside_range", 0.1), ("zero_volume", 0.05), ("jump", 0.05),
    ]

    public init(_ s: PriceSeries, window: Int = RollingQuality.window) {
        let n = s.count
        score = [Double](repeating: 1, count: n)
        barDefect = [String?](repeating: nil, count: n)
        var flags = [[UInt8]](repeating: [UInt8](repeating: 0, count: n), count: Self.checks.count)
        var seenVolume = false   // some volume > 0 up to this bar
        for i in 0..<n {
            let o = s.open[i], h = s.high[i], l = s.low[i], c = s.close[i]
            if h < l { flags[0][i] = 1; barDefect[i] = "High \(Format.price(h)) is below Low \(Format.price(l))" }
            if o <= 0 || h <= 0 || l <= 0 || c <= 0 { flags[1][i] = 1; barDefect[i] = barDefect[i] ?? "a price is zero or negative" }
            if o < l || o > h || c < l || c > h { flags[2][i] = 1; barDefect[i] = barDefect[i] ?? "Open or Close lies outside [Low, High]" }
            if s.volume[i] > 0 { seenVolume = true }
            if seenVolume && s.volume[i] == 0 { flags[3][i] = 1 }
            if i > 0, s.close[i - 1] > 0, abs(c / s.close[i - 1] - 1) > 0.4 { flags[4][i] = 1 }
        }
        var sums = [Int](repeating: 0, count: Self.checks.count)
        for i in 0..<n {
            for k in 0..<sums.count {
                sums[k] += Int(flags[k][i])
                if i >= window { sums[k] -= Int(flags[k][i - window]) }
            }
            let len = Double(min(i + 1, window))
            var penalty = 0.0
            for k in 0..<sums.count { penalty += Self.checks[k].weight * min(1, 10 * Double(sums[k]) / len) }
            score[i] = max(0, 1 - penalty)
        }
    }
}
