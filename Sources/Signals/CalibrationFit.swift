import Market
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A monotone map from an uncalibrated confidence to a probability: piecewise linear through
/// `points` (x ascending, y non-decreasing), flat beyond the ends. No points is the identity.
public struct CalibrationCurve: Sendable, Hashable {
    public var xs: [Double]
    public var ys: [Double]

    public init(xs: [Double], ys: [Double]) {
        self.xs = xs
        self.ys = ys
    }

    public static let identity = CalibrationCurve(xs: [], ys: [])
    public var isIdentity: Bool { xs.isEmpty }

    public func apply(_ p: Double) -> Double {
        guard let first = xs.first, let last = xs.last else { return p }
        if p <= first { return ys[0] }
        if p >= last { return ys[ys.count - 1] }
        var lo = 0, hi = xs.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if xs[mid] <= p { lo = mid } else { hi = mid }
        }
        let span = xs[hi] - xs[lo]
        return span > 0 ? ys[lo] + (ys[hi] - ys[lo]) * (p - xs[lo]) / span : ys[hi]
    }
}

/// One (confidence, hit) pair of a finalized outcome.
public struct ScoredPoint: Sendable, Hashable {
    public var p: Double
    public var hit: Bool
    public init(p: Double, hit: Bool) {
        self.p = p
        self.hit = hit
    }
}

/// Fit statistics stored with a calibration.
public struct FitStatistics: Sendable, Hashable {
    public var n: Int
    public var baseRate: Double
    public var brierRaw: Double
    public var brierCalibrated: Double
    public var eceRaw: Double
    public var eceCalibrated: Double

    public init(n: Int, baseRate: Double, brierRaw: Double, brierCalibrated: Double, eceRaw: Double, eceCalibrated: Double) {
        self.n = n
        self.baseRate = baseRate
        self.brierRaw = brierRaw
        self.brierCalibrated = brierCalibrated
        self.eceRaw = eceRaw
        self.eceCalibrated = eceCalibrated
    }
}

/// Isotonic calibration: pool-adjacent-violators over the outcomes sorted by confidence, each block's
/// hit rate shrunk toward the base rate with `priorStrength` pseudo-outcomes (Beta prior), the
/// result pooled again so that it stays monotone. Below `minSample` outcomes the identity is kept.
public enum CalibrationFit {
    /// Fewest finalized outcomes before a strategy's calibration departs from the identity.
    public static let minSample = 100
    /// Pseudo-outcomes at the base rate added to every isotonic block.
    public static let priorStrength = 4.0

    public static func isotonic(_ points: [ScoredPoint], minSample: Int = CalibrationFit.minSample,
                                priorStrength: Double = CalibrationFit.priorStrength) -> CalibrationCurve {
        guard points.count >= max(1, minSample) else { return .identity }
        let sorted = points.sorted { $0.p < $1.p }
        let base = Double(sorted.reduce(0) { $0 + ($1.hit ? 1 : 0) }) / Double(sorted.count)
        // Blocks: (sum of x, sum of y, weight).
        var blocks = pav(sorted.map { (x: $0.p, y: $0.hit ? 1.0 : 0.0, w: 1.0) })
        for k in blocks.indices {
            let b = blocks[k]
            blocks[k].y = (b.y + priorStrength * base) / (b.w + priorStrength) * b.w
        }
        blocks = pav(blocks.map { (x: $0.x / $0.w, y: $0.y / $0.w, w: $0.w) })
        var xs: [Double] = [], ys: [Double] = []
        for b in blocks {
            let x = b.x / b.w, y = min(1, max(0, b.y / b.w))
            if let last = xs.last, x <= last { ys[ys.count - 1] = max(ys[ys.count - 1], y); continue }
            xs.append(x); ys.append(y)
        }
        return CalibrationCurve(xs: xs, ys: ys)
    }

    /// Pool adjacent violators over weighted points (x ascending). Blocks carry weighted sums.
    static func pav(_ pts: [(x: Double, y: Double, w: Double)]) -> [(x: Double, y: Double, w: Double)] {
        var out: [(x: Double, y: Double, w: Double)] = []
        out.reserveCapacity(pts.count)
        for p in pts {
            out.append((p.x * p.w, p.y * p.w, p.w))
            while out.count > 1 {
                let b = out[out.count - 1], a = out[out.count - 2]
                guard a.y / a.w >= b.y / b.w else { break }
                out.removeLast(2)
                out.append((a.x + b.x, a.y + b.y, a.w + b.w))
            }
        }
        return out
    }

    public static func statistics(_ points: [ScoredPoint], _ curve: CalibrationCurve) -> FitStatistics {
        let cal = points.map { ScoredPoint(p: curve.apply($0.p), hit: $0.hit) }
        return FitStatistics(n: points.count, baseRate: Metrics.hitRate(points), brierRaw: Metrics.brier(points),
                             brierCalibrated: Metrics.brier(cal), eceRaw: Metrics.ece(points), eceCalibrated: Metrics.ece(cal))
    }
}

/// Calibration metrics, as scikit-learn computes them.
public enum Metrics {
    public static func hitRate(_ pts: [ScoredPoint]) -> Double {
        pts.isEmpty ? 0 : Double(pts.reduce(0) { $0 + ($1.hit ? 1 : 0) }) / Double(pts.count)
    }

    /// Mean squared difference of confidence and outcome (`brier_score_loss`).
    public static func brier(_ pts: [ScoredPoint]) -> Double {
        guard !pts.isEmpty else { return 0 }
        return pts.reduce(0) { $0 + ($1.p - ($1.hit ? 1 : 0)) * ($1.p - ($1.hit ? 1 : 0)) } / Double(pts.count)
    }

    /// Mean negative log-likelihood with probabilities clipped to [1e-15, 1 − 1e-15] (`log_loss`).
    public static func logLoss(_ pts: [ScoredPoint]) -> Double {
        guard !pts.isEmpty else { return 0 }
        var s = 0.0
        for x in pts {
            let p = min(1 - 1e-15, max(1e-15, x.p))
            s -= x.hit ? log(p) : log(1 - p)
        }
        return s / Double(pts.count)
    }

    /// The bin of a confidence among `bins` equal-width bins of [0, 1], exactly as scikit-learn's
    /// `calibration_curve(strategy="uniform")` assigns it: edges `i × (1 / bins)` as `np.linspace` makes
    /// them and `np.searchsorted(edges[1:-1], p)` (a value on an inner edge goes to the lower bin).
    public static func bin(_ p: Double, bins: Int) -> Int {
        let step = 1.0 / Double(bins)
        var b = min(bins - 1, max(0, Int((p * Double(bins)).rounded(.down))))
        while b > 0 && p <= Double(b) * step { b -= 1 }
        while b < bins - 1 && p > Double(b + 1) * step { b += 1 }
        return b
    }

    /// Reliability buckets: per non-empty bin, count, mean confidence and hit rate.
    public static func reliability(_ pts: [ScoredPoint], bins: Int = 10) -> [Bucket] {
        var n = [Int](repeating: 0, count: bins), sp = [Double](repeating: 0, count: bins), hits = [Int](repeating: 0, count: bins)
        for x in pts {
            let b = bin(x.p, bins: bins)
            n[b] += 1; sp[b] += x.p; hits[b] += x.hit ? 1 : 0
        }
        return (0..<bins).compactMap { b in
            guard n[b] > 0 else { return nil }
            let w = wilson(hits: hits[b], n: n[b])
            return Bucket(lo: Double(b) / Double(bins), hi: Double(b + 1) / Double(bins), n: n[b], meanConfidence: sp[b] / Double(n[b]),
                          hitRate: Double(hits[b]) / Double(n[b]), ciLow: w.low, ciHigh: w.high)
        }
    }

    /// Expected calibration error over `bins` equal-width bins: Σ (n_b / n) |hit rate_b − mean confidence_b|.
    public static func ece(_ pts: [ScoredPoint], bins: Int = 10) -> Double {
        guard !pts.isEmpty else { return 0 }
        return reliability(pts, bins: bins).reduce(0) { $0 + Double($1.n) * abs($1.hitRate - $1.meanConfidence) } / Double(pts.count)
    }

    /// Wilson score interval of a proportion (z = 1.96: 95 %).
    public static func wilson(hits: Int, n: Int, z: Double = 1.96) -> (low: Double, high: Double) {
        guard n > 0 else { return (0, 1) }
        let nn = Double(n), p = Double(hits) / nn, z2 = z * z
        let centre = (p + z2 / (2 * nn)) / (1 + z2 / nn)
        let half = z * (p * (1 - p) / nn + z2 / (4 * nn * nn)).squareRoot() / (1 + z2 / nn)
        return (max(0, centre - half), min(1, centre + half))
    }

    public struct Bucket: Sendable, Hashable {
        public var lo, hi: Double
        public var n: Int
        public var meanConfidence, hitRate, ciLow, ciHigh: Double
    }
}

/// A finalized outcome as walk-forward fitting needs it.
public struct FinalizedPoint: Sendable, Hashable {
    public var strategy: String
    public var timeframe: Timeframe
    /// The uncalibrated confidence (`raw × quality`) and whether it was a hit.
    public var p: Double
    public var hit: Bool
    /// Bar time at which the outcome was decided.
    public var finalizedAt: Int64

    public init(strategy: String, timeframe: Timeframe, p: Double, hit: Bool, finalizedAt: Int64) {
        self.strategy = strategy
        self.timeframe = timeframe
        self.p = p
        self.hit = hit
        self.finalizedAt = finalizedAt
    }
}

/// One calibration version: curves per strategy and timeframe, fitted on the outcomes finalized at or
/// before `fittedThrough` (bar time). It may calibrate only signals whose bar time is after that.
public struct CalibrationVersion: Sendable {
    public var version: Int
    public var fittedThrough: Int64
    public var curves: [String: CalibrationCurve]   // "strategy|timeframe"
    public var stats: [String: FitStatistics]

    public init(version: Int, fittedThrough: Int64, curves: [String: CalibrationCurve], stats: [String: FitStatistics]) {
        self.version = version
        self.fittedThrough = fittedThrough
        self.curves = curves
        self.stats = stats
    }

    public static func key(_ strategy: String, _ timeframe: Timeframe) -> String { strategy + "|" + timeframe.rawValue }

    public func apply(_ strategy: String, _ timeframe: Timeframe, _ p: Double) -> Double {
        curves[Self.key(strategy, timeframe)]?.apply(p) ?? p
    }
}

/// Every calibration version in order: walk-forward by construction.
public struct CalibrationSet: Sendable {
    /// Ascending by `fittedThrough` (and version).
    public private(set) var versions: [CalibrationVersion]

    public init(_ versions: [CalibrationVersion]) {
        self.versions = versions.sorted { ($0.fittedThrough, $0.version) < ($1.fittedThrough, $1.version) }
    }

    public var latest: CalibrationVersion? { versions.last }

    /// The version in force for a signal on a bar at time `t`: the newest fitted through a time before `t`.
    public func version(at t: Int64) -> CalibrationVersion? {
        var lo = 0, hi = versions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if versions[mid].fittedThrough < t { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : versions[lo - 1]
    }

    /// (calibrated, version) for a signal of `strategy` at bar time `t` with uncalibrated confidence `p`.
    public func calibrate(_ strategy: String, _ timeframe: Timeframe, at t: Int64, _ p: Double) -> (Double, Int) {
        guard let v = version(at: t) else { return (p, 0) }
        return (min(1, max(0, v.apply(strategy, timeframe, p))), v.version)
    }

    /// The engine's hook: each bar is calibrated by the version in force at its time.
    public var engineCalibration: Calibration {
        let set = self
        guard let latest else { return .identity }
        return Calibration(version: latest.version, apply: { s, tf, p in latest.apply(s, tf, p) },
                           asOf: { t in
                               guard let v = set.version(at: t) else { return .identity }
                               return Calibration(version: v.version) { s, tf, p in v.apply(s, tf, p) }
                           })
    }

    /// Fits the versions that follow the stored ones, walk-forward: one checkpoint per `period`
    /// seconds of bar time (multiples of `period` since the epoch, so the grid does not depend on the
    /// data), from the first after the last stored version through `through`, each fitted on every
    /// outcome finalized at or before it, skipped when no outcome was added since the previous one.
    public static func walkForward(_ outcomes: [FinalizedPoint], after existing: CalibrationSet, through: Int64, period: Int64,
                                   firstVersion: Int, minSample: Int = CalibrationFit.minSample) -> [CalibrationVersion] {
        guard period > 0, !outcomes.isEmpty else { return [] }
        let sorted = outcomes.sorted { $0.finalizedAt < $1.finalizedAt }
        let lastFitted = existing.latest?.fittedThrough
        let firstOutcome = sorted[0].finalizedAt
        var t = ((lastFitted ?? (firstOutcome - 1)) / period + 1) * period
        var out: [CalibrationVersion] = []
        var groups: [String: [ScoredPoint]] = [:]
        var idx = 0
        var version = firstVersion
        var countAtLast = -1
        while t <= through {
            while idx < sorted.count && sorted[idx].finalizedAt <= t {
                let o = sorted[idx]
                groups[CalibrationVersion.key(o.strategy, o.timeframe), default: []].append(ScoredPoint(p: o.p, hit: o.hit))
                idx += 1
            }
            if idx != countAtLast && idx > 0 {
                var curves: [String: CalibrationCurve] = [:], stats: [String: FitStatistics] = [:]
                for (k, pts) in groups {
                    let c = CalibrationFit.isotonic(pts, minSample: minSample)
                    curves[k] = c
                    stats[k] = CalibrationFit.statistics(pts, c)
                }
                out.append(CalibrationVersion(version: version, fittedThrough: t, curves: curves, stats: stats))
                version += 1
                countAtLast = idx
            }
            if idx == sorted.count && t >= sorted[sorted.count - 1].finalizedAt { break }
            // Jump over empty stretches.
            let next = idx < sorted.count ? (sorted[idx].finalizedAt + period - 1) / period * period : t + period
            t = max(t + period, next)
        }
        return out
    }

    /// One version fitted on every outcome finalized at or before `t` (a refit off the grid, after drift).
    public static func fit(_ outcomes: [FinalizedPoint], through t: Int64, version: Int, minSample: Int = CalibrationFit.minSample)
        -> CalibrationVersion {
        var groups: [String: [ScoredPoint]] = [:]
        for o in outcomes where o.finalizedAt <= t {
            groups[CalibrationVersion.key(o.strategy, o.timeframe), default: []].append(ScoredPoint(p: o.p, hit: o.hit))
        }
        var curves: [String: CalibrationCurve] = [:], stats: [String: FitStatistics] = [:]
        for (k, pts) in groups {
            let c = CalibrationFit.isotonic(pts, minSample: minSample)
            curves[k] = c
            stats[k] = CalibrationFit.statistics(pts, c)
        }
        return CalibrationVersion(version: version, fittedThrough: t, curves: curves, stats: stats)
    }
}
