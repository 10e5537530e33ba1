// Evaluation benchmark: every daily file in ../shared/data is imported once, then, in alternating rounds,
// (a) generation scans every series from scratch (reads the bars, runs the strategies and layers, writes
// every candidate), and (b) evaluation scores every candidate from the bars after it, fits the
// walk-forward calibrations from the finalized outcomes and rescores open signals. Prints the medians
// and the ratio evaluation / generation (target ≤ 1), with the overall calibration figures.
//   GS_TEST_DATABASE_URL=postgresql://… swift run -c release --package-path Benchmarks EvaluationBench
import Foundation
import GoldenSignals
import Logging
import Market
import Postgres

let env = ProcessInfo.processInfo.environment
let serverURL = env["GS_TEST_DATABASE_URL"] ?? "postgresql://goldensignals@127.0.0.1:55432/goldensignals_test"
let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
let dataDir = repo.deletingLastPathComponent().appendingPathComponent("shared/data").path
let dailyFiles: [(file: String, symbol: String)] = [
    ("bluefin_AAPL.csv", "AAPL"), ("bluefin_JPM.csv", "JPM"), ("bluefin_MSFT.csv", "MSFT"), ("bluefin_PG.csv", "PG"),
    ("bluefin_QQQ.csv", "QQQ"), ("bluefin_TSLA.csv", "TSLA"), ("bluefin_VIV.csv", "VIV"),
    ("mplf_yahoofinance-SPY-20080101-20180101.csv", "SPY"), ("bt_orcl-1995-2014.txt", "ORCL"),
    ("pta_SPY_D.csv", "SPYP"), ("bestdaybtc_BTC-USD.csv", "BTC-USD"),
]
let rounds = Int(env["ROUNDS"] ?? "5") ?? 5

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

do {
    let name = "gs_bench_evaluation_\(getpid())"
    let admin = try PostgresConnection.connect(serverURL)
    try admin.execute("DROP DATABASE IF EXISTS \(name)")
    try admin.execute("CREATE DATABASE \(name)")
    admin.close()
    var config = AppConfiguration()
    config.databaseURL = String(serverURL[..<serverURL.lastIndex(of: "/")!]) + "/" + name
    config.migrationsDirectory = repo.appendingPathComponent("migrations").path
    config.openAPIPath = repo.appendingPathComponent("openapi.yaml").path
    config.ingestInterval = 0
    config.evaluateInterval = 0
    config.generateOnArrival = false
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let app = try Application(configuration: config, logger: logger)
    defer { app.close() }
    for (file, symbol) in dailyFiles {
        _ = try app.imports.importFile(path: dataDir + "/" + file, symbol: NewSymbol(symbol: symbol, assetClass: AssetClass.infer(fromSymbol: symbol)),
                                       timeframe: .d1, timeZone: .utc)
    }
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
    let drop = try PostgresConnection.connect(serverURL)
    defer { drop.close() }
    app.close()
    try drop.execute("DROP DATABASE IF EXISTS \(name)")
} catch {
    print("EvaluationBench failed: \(error)")
    exit(1)
}
