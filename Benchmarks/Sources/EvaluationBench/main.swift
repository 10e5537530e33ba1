// Evaluation benchmark: every daily file in ../shared/data is imported once, then, in alternating rounds,
// (a) generation scans every series from scratch (reads the bars, runs the strategies and layers, writes
// every candidate), and (b) evaluation scores every candidate from the bars after it, fits the
// walk-forward calibrations from the finalized outcomes and rescores open signals. Prints the medians
// and the ratio evaluation / generation (target ≤ 1), with the overall calibration figures.
//   GS_TEST_DATABASE_URL=postgresql://… swift run -c release --package-path Benchmarks EvaluationBench
import BenchSupport
import Foundation
import GoldenSignals
import Logging
import Market
import Postgres

let rounds = benchRounds(5)

do {
    let app = try benchApplication("evaluation") { $0.generateOnArrival = false }
    defer { app.close() }
    try importDailyFiles(app)
    var generate: [Double] = [], evaluate: [Double] = []
    var candidates = 0
    var summary = EvaluationSummary()
    for _ in 0..<rounds {
        _ = try app.pool.withConnection {
            try $0.execute("TRUNCATE signals, signal_scans, signal_outcomes, signal_outcome_reports, calibrations, calibration_drift CASCADE")
        }
        generate.append(try seconds {
            let s = try app.signalService.generate()
            candidates = s.generated + s.rejected
        })
        evaluate.append(try seconds { summary = try app.outcomeService.evaluate() })
    }
    let g = median(generate), e = median(evaluate)
    print("evaluation over \(summary.series) daily series: \(candidates) candidates, \(summary.finalized) outcomes finalized, \(summary.provisional) provisional, \(summary.versionsFitted) calibration versions, \(summary.rescored) open signals rescored")
    print(String(format: "  generation (read, strategies, layers, write): %.3f s (median of %d)", g, rounds))
    print(String(format: "  evaluation (read, score, write outcomes, walk-forward fit, rescore): %.3f s (median of %d)", e, rounds))
    print(String(format: "  ratio evaluation / generation: %.2f (target ≤ 1)", e / g))
    if let o = try app.outcomeService.overall()["overall"] as? [String: Any] {
        print("  published final outcomes \(o["n"] ?? 0): ECE raw \(o["ece_raw"] ?? 0) → calibrated \(o["ece_calibrated"] ?? 0), Brier raw \(o["brier_raw"] ?? 0) → calibrated \(o["brier_calibrated"] ?? 0)")
    }
    app.close()
    try dropBenchDatabase("evaluation")
} catch {
    print("EvaluationBench failed: \(error)")
    exit(1)
}
