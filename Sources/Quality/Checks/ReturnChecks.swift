import Market
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension QualityChecker {
    /// Outliers and splits, from log close-to-close returns (within one day for intraday bars):
    /// returns beyond `outlierThreshold` robust standard deviations are outliers, unless the price
    /// ratio is near a split ratio with volume moving the other way: then a corporate action.
    /// Sets the outlier rate (share of the returns examined).
    static func checkReturns(_ series: Series, volumeReported: Bool, into findings: inout Findings) {
        let examined = detectOutliers(series.bars, intraday: series.intraday, volumeReported: volumeReported, into: &findings)
        findings.setRate(.outlierReturn, examined > 0 ? Double(findings.count(.outlierReturn)) / Double(examined) : 0)
    }

    /// Median of a non-empty array (sorts it in place).
    static func median(_ v: inout [Double]) -> Double {
        v.sort()
        let m = v.count / 2
        return v.count % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2
    }

    /// Adds the outliers and corporate actions of `bars`; returns the number of returns examined.
    static func detectOutliers(_ bars: [Bar], intraday: Bool, volumeReported: Bool, into findings: inout Findings) -> Int {
        let n = bars.count
        guard n >= 3 else { return 0 }
        var r = [Double](repeating: .nan, count: n)   // r[i]: return from bar i−1 to bar i
        var values: [Double] = []
        values.reserveCapacity(n)
        for i in 1..<n {
            let p = bars[i - 1].close, c = bars[i].close
            guard p > 0, c > 0, bars[i].timestamp != bars[i - 1].timestamp else { continue }
            if intraday && bars[i].timestamp / 86_400 != bars[i - 1].timestamp / 86_400 { continue }
            let x = log(c / p)
            r[i] = x
            values.append(x)
        }
        let count = values.count
        guard count >= 20 else { return count }
        let med = median(&values)
        for k in 0..<count { values[k] = abs(values[k] - med) }
        var sigma = 1.4826 * median(&values)   // MAD scaled by 1.4826: consistent with σ for normal data
        if sigma == 0 {
            // Mostly unchanged prices: mean absolute deviation × √(π/2) (normal consistency).
            sigma = values.reduce(0, +) / Double(count) * 1.2533
        }
        guard sigma > 0 else { return count }
        let limit = outlierThreshold * sigma
        for i in 1..<n where !r[i].isNaN && abs(r[i] - med) > limit {
            let b = bars[i], p = bars[i - 1]
            let priceNow = b.open > 0 ? b.open : b.close
            let ratio = p.close / priceNow   // > 1: price fell (forward split), < 1: rose (reverse split)
            // Volume change: this bar against the median of up to 20 bars before.
            var volumeRatio = 1.0
            if volumeReported {
                var window: [Double] = []
                var j = i - 1
                while j >= 0 && window.count < 20 { if bars[j].volume > 0 { window.append(bars[j].volume) }; j -= 1 }
                if !window.isEmpty {
                    let mv = median(&window)
                    if mv > 0 { volumeRatio = b.volume / mv }
                }
            }
            // A split by f multiplies the share volume by about f: require volume to move the
            // other way from the price, and by a plausible amount (within 1/3…4 × f); a crash
            // that happens to land near 2/3 of the price comes with a far larger volume burst.
            if let factor = splitFactor(ratio),
               !volumeReported || ((factor > 1 ? volumeRatio >= 1.2 : volumeRatio <= 1 / 1.2)
                                   && volumeRatio >= factor / 3 && volumeRatio <= factor * 4) {
                findings.add(b.timestamp, .corporateAction(previousClose: p.close, price: priceNow, factor: factor,
                                                           volumeRatio: volumeRatio))
                continue
            }
            let reverts = i + 1 < n && !r[i + 1].isNaN && r[i + 1] * r[i] < 0 && abs(r[i + 1]) > limit / 2
            findings.add(b.timestamp, .outlierReturn(logReturn: r[i], deviations: abs(r[i] - med) / sigma, sigma: sigma,
                                                     reverts: reverts))
        }
        return count
    }

    /// The split factor (2 = 2-for-1, 0.1 = 1-for-10) a price ratio is within 3% of, if any.
    static func splitFactor(_ ratio: Double) -> Double? {
        let candidates: [Double] = [1.5, 2, 3, 4, 5, 6, 7, 8, 10, 15, 20, 25, 30, 50, 100]
        for f in candidates {
            if abs(ratio / f - 1) < 0.03 { return f }
            if abs(ratio * f - 1) < 0.03 { return 1 / f }
        }
        return nil
    }
}
