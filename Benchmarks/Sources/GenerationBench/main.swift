// Signal generation benchmark: every daily file in ../shared/data (about 68,000 bars) is imported once,
// then, in alternating rounds, (a) PostgreSQL reads every bar of every series through our fastest read
// path (binary rows), and (b) generation scans every series from scratch: reads the bars, runs the seven
// strategies and eight filter layers, and writes every candidate. Prints the medians and the ratio
// generation / read (target ≤ 5).
//   GS_TEST_DATABASE_URL=postgresql://… swift run -c release --package-path Benchmarks GenerationBench
import Foundation
import GoldenSignals
import Logging
import Market
import Postgres
import Signals

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
    let name = "gs_bench_generation_\(getpid())"
    let admin = try PostgresConnection.connect(serverURL)
    try admin.execute("DROP DATABASE IF EXISTS \(name)")
    try admin.execute("CREATE DATABASE \(name)")
    admin.close()
    var config = AppConfiguration()
    config.databaseURL = String(serverURL[..<serverURL.lastIndex(of: "/")!]) + "/" + name
    config.migrationsDirectory = repo.appendingPathComponent("migrations").path
    config.openAPIPath = repo.appendingPathComponent("openapi.yaml").path
    config.ingestInterval = 0
    config.generateOnArrival = false
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let app = try Application(configuration: config, logger: logger)
    defer { app.close() }
    for (file, symbol) in dailyFiles {
        _ = try app.imports.importFile(path: dataDir + "/" + file, symbol: NewSymbol(symbol: symbol, assetClass: AssetClass.infer(fromSymbol: symbol)),
                                       timeframe: .d1, timeZone: .utc)
    }
    let series = try app.signalService.seriesToScan(symbolIDs: nil, timeframe: nil)
    var read: [Double] = [], generate: [Double] = [], engineOnly: [Double] = []
    var loaded: [(PriceSeries, SeriesInfo)] = []
    for (symbol, tf) in series {
        loaded.append((PriceSeries(try app.bars.all(symbolID: symbol.id, timeframe: tf)),
                       SeriesInfo(symbol: symbol.symbol, timeframe: tf, assetClass: symbol.assetClass,
                                  calendar: Calendars.calendar(for: symbol.assetClass, exchange: symbol.exchange))))
    }
    let engine = SignalEngine()
    var barCount = 0, candidates = 0, published = 0
    for _ in 0..<rounds {
        read.append(try seconds {
            barCount = 0
            for (symbol, tf) in series { barCount += try app.bars.all(symbolID: symbol.id, timeframe: tf).count }
        })
        engineOnly.append(seconds { for (s, info) in loaded { _ = engine.run(s, info: info) } })
        _ = try app.pool.withConnection { try $0.execute("TRUNCATE signals CASCADE; TRUNCATE signal_scans") }
        generate.append(try seconds {
            let s = try app.signalService.generate()
            candidates = s.generated + s.rejected
            published = s.generated
        })
    }
    let r = median(read), g = median(generate)
    print("generation over \(series.count) daily series, \(barCount) bars: \(candidates) candidates, \(published) published")
    print(String(format: "  PostgreSQL read of the bars:  %.3f s (median of %d)", r, rounds))
    print(String(format: "  generation (read, strategies, layers, write): %.3f s (median of %d)", g, rounds))
    print(String(format: "  of which the engine alone (strategies, layers; no database): %.3f s", median(engineOnly)))
    print(String(format: "  ratio generation / read: %.2f (target ≤ 5)", g / r))
    let drop = try PostgresConnection.connect(serverURL)
    defer { drop.close() }
    app.close()
    try drop.execute("DROP DATABASE IF EXISTS \(name)")
} catch {
    print("GenerationBench failed: \(error)")
    exit(1)
}
