import Market
import Signals
import Primitives
import Testing


struct CalibrationFitTests {
    /// Outcomes whose true hit probability is `truth(p)` for a confidence p drawn uniformly in [0.3, 0.9].
    static func synthetic(_ n: Int, seed: UInt64, truth: (Double) -> Double) -> [ScoredPoint] {
        var g = SplitMix64(seed: seed)
        return (0..<n).map { _ in
            let p = Double.random(in: 0.3...0.9, using: &g)
            return ScoredPoint(p: p, hit: Double.random(in: 0..<1, using: &g) < truth(p))
        }
    }

    @Test func isotonicRecoversAKnownCurve() {
        let seed: UInt64 = 20_261_201
        print("CalibrationFitTests seed: \(seed)")
        // Overconfident raw scores: the truth is 0.2 + 0.5 (p − 0.3).
        let truth = { (p: Double) in 0.2 + 0.5 * (p - 0.3) }
        let pts = Self.synthetic(20_000, seed: seed, truth: truth)
        let curve = CalibrationFit.isotonic(pts)
        #expect(!curve.isIdentity)
        // Within 0.05 of the truth inside the range (ends excluded: isotonic flattens there).
        for p in stride(from: 0.35, through: 0.85, by: 0.05) {
            #expect(abs(curve.apply(p) - truth(p)) < 0.05, "at \(p): \(curve.apply(p)) vs \(truth(p))")
        }
        // Monotone.
        for (a, b) in zip(curve.ys, curve.ys.dropFirst()) { #expect(a <= b) }
        let stats = CalibrationFit.statistics(pts, curve)
        #expect(stats.eceCalibrated < 0.02 && stats.eceRaw > 0.1)
        #expect(stats.brierCalibrated < stats.brierRaw)
    }

    @Test func belowTheMinimumSampleItIsTheIdentity() {
        let pts = Self.synthetic(CalibrationFit.minSample - 1, seed: 7, truth: { _ in 0.1 })
        #expect(CalibrationFit.isotonic(pts).isIdentity)
        #expect(CalibrationFit.isotonic(pts).apply(0.7) == 0.7)
    }

    @Test func wilsonAndMetricsOnKnownValues() {
        let w = Metrics.wilson(hits: 8, n: 10)
        #expect(abs(w.low - 0.4902) < 1e-3 && abs(w.high - 0.9433) < 1e-3)
        // Bins as scikit-learn assigns them: a value on an inner edge goes to the lower bin.
        #expect(Metrics.bin(0.5, bins: 10) == 4 && Metrics.bin(0.3, bins: 10) == 2 && Metrics.bin(0.30001, bins: 10) == 3)
        #expect(Metrics.bin(0, bins: 10) == 0 && Metrics.bin(1, bins: 10) == 9 && Metrics.bin(0.05, bins: 10) == 0)
        let pts = [ScoredPoint(p: 0.9, hit: true), ScoredPoint(p: 0.2, hit: false), ScoredPoint(p: 0.6, hit: false)]
        #expect(abs(Metrics.brier(pts) - (0.01 + 0.04 + 0.36) / 3) < 1e-12)
        #expect(abs(Metrics.ece(pts) - (0.1 + 0.2 + 0.6) / 3) < 1e-12)
    }

    /// Walk-forward: a signal's calibrated confidence depends only on outcomes finalized before its bar.
    @Test func removingLaterOutcomesLeavesASignalsCalibrationUnchanged() {
        var g = SplitMix64(seed: 42)
        print("walk-forward seed: 42")
        let day: Int64 = 86_400
        let start: Int64 = 1_000 * day
        let outcomes: [FinalizedPoint] = (0..<6_000).map { k in
            let p = Double.random(in: 0.4...0.9, using: &g)
            return FinalizedPoint(strategy: ["a", "b"][k % 2], timeframe: .d1, p: p, hit: Double.random(in: 0..<1, using: &g) < p - 0.2,
                                  finalizedAt: start + Int64(k / 4) * day)
        }
        let period = 30 * day
        let end = outcomes.map(\.finalizedAt).max()!
        let full = CalibrationSet(CalibrationSet.walkForward(outcomes, after: CalibrationSet([]), through: end, period: period, firstVersion: 1))
        #expect(full.versions.count > 10)
        for signalTime in [start + 300 * day + 5, start + 900 * day, start + 1_400 * day + 1] {
            let before = outcomes.filter { $0.finalizedAt < signalTime }
            let cut = CalibrationSet(CalibrationSet.walkForward(before, after: CalibrationSet([]), through: end, period: period, firstVersion: 1))
            for p in [0.45, 0.6, 0.75, 0.88] {
                let a = full.calibrate("a", .d1, at: signalTime, p), b = cut.calibrate("a", .d1, at: signalTime, p)
                #expect(a.0 == b.0 && a.1 == b.1)
            }
            // The version in force was fitted through a time before the signal.
            if let v = full.version(at: signalTime) { #expect(v.fittedThrough < signalTime) }
        }
        // Appending versions after stored ones gives the same set as fitting at once.
        let mid = start + 700 * day
        let first = CalibrationSet.walkForward(outcomes.filter { $0.finalizedAt <= mid }, after: CalibrationSet([]), through: mid,
                                               period: period, firstVersion: 1)
        let rest = CalibrationSet.walkForward(outcomes, after: CalibrationSet(first), through: end, period: period,
                                              firstVersion: first.count + 1)
        let both = CalibrationSet(first + rest)
        #expect(both.versions.map(\.fittedThrough) == full.versions.map(\.fittedThrough))
        #expect(both.calibrate("b", .d1, at: end, 0.7).0 == full.calibrate("b", .d1, at: end, 0.7).0)
    }

    /// The engine's hook calibrates each bar by the version in force at its time.
    @Test func theEngineCalibratesHistoryWalkForward() {
        let v1 = CalibrationVersion(version: 1, fittedThrough: 100, curves: ["s|1d": CalibrationCurve(xs: [0, 1], ys: [0.1, 0.2])], stats: [:])
        let v2 = CalibrationVersion(version: 2, fittedThrough: 200, curves: ["s|1d": CalibrationCurve(xs: [0, 1], ys: [0.5, 0.6])], stats: [:])
        let cal = CalibrationSet([v2, v1]).engineCalibration
        #expect(cal.version == 2)
        #expect(cal.asOf?(100).version == 0 && cal.asOf?(101).version == 1 && cal.asOf?(201).version == 2)
        #expect(abs((cal.asOf?(150).apply("s", .d1, 0.5) ?? 0) - 0.15) < 1e-12)
    }
}
