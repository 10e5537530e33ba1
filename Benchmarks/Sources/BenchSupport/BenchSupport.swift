// What the database-backed benchmarks share: where the reference files and the test PostgreSQL are,
// the daily files with the symbols they are imported as, timing helpers, and a service on a fresh
// database of its own.
import Foundation
import GoldenSignals
import Logging
import Market
import Postgres

public let benchEnvironment = ProcessInfo.processInfo.environment
/// The test PostgreSQL server (`GS_TEST_DATABASE_URL`, as `make bench-…` sets it).
public let serverURL = benchEnvironment["GS_TEST_DATABASE_URL"] ?? "postgresql://goldensignals@127.0.0.1:55432/goldensignals_test"
/// The repository root, from this file's path.
public let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
/// `../shared/data` beside the repository.
public let dataDir = repo.deletingLastPathComponent().appendingPathComponent("shared/data").path
/// Every daily file of the reference data and the symbol it is imported as.
public let dailyFiles: [(file: String, symbol: String)] = [
    ("bluefin_AAPL.csv", "AAPL"), ("bluefin_JPM.csv", "JPM"), ("bluefin_MSFT.csv", "MSFT"), ("bluefin_PG.csv", "PG"),
    ("bluefin_QQQ.csv", "QQQ"), ("bluefin_TSLA.csv", "TSLA"), ("bluefin_VIV.csv", "VIV"),
    ("mplf_yahoofinance-SPY-20080101-20180101.csv", "SPY"), ("bt_orcl-1995-2014.txt", "ORCL"),
    ("pta_SPY_D.csv", "SPYP"), ("bestdaybtc_BTC-USD.csv", "BTC-USD"),
]

/// Rounds to run (`ROUNDS`, else `fallback`).
public func benchRounds(_ fallback: Int) -> Int { Int(benchEnvironment["ROUNDS"] ?? "") ?? fallback }

/// Wall seconds `body` takes.
public func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// The median (the upper one of an even count).
public func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

/// A database `gs_bench_<label>_<pid>` on the test server, dropped first if it exists; its URL.
public func freshBenchDatabase(_ label: String) throws -> String {
    let name = "gs_bench_\(label)_\(getpid())"
    let admin = try PostgresConnection.connect(serverURL)
    defer { admin.close() }
    try admin.execute("DROP DATABASE IF EXISTS \(name)")
    try admin.execute("CREATE DATABASE \(name)")
    return String(serverURL[..<serverURL.lastIndex(of: "/")!]) + "/" + name
}

/// Drops the database `freshBenchDatabase(label)` made (close the service on it first).
public func dropBenchDatabase(_ label: String) throws {
    let admin = try PostgresConnection.connect(serverURL)
    defer { admin.close() }
    try admin.execute("DROP DATABASE IF EXISTS gs_bench_\(label)_\(getpid())")
}

/// The service (no HTTP server, no schedulers) on a fresh database, quiet below errors.
/// - Parameter logger: the service's logger (default: errors only).
public func benchApplication(_ label: String, logger: Logger? = nil,
                             configure: (inout AppConfiguration) -> Void = { _ in }) throws -> Application {
    var config = AppConfiguration()
    config.databaseURL = try freshBenchDatabase(label)
    config.migrationsDirectory = repo.appendingPathComponent("migrations").path
    config.openAPIPath = repo.appendingPathComponent("openapi.yaml").path
    config.ingestInterval = 0
    config.evaluateInterval = 0
    configure(&config)
    var quiet = Logger(label: "bench")
    quiet.logLevel = .error
    return try Application(configuration: config, logger: logger ?? quiet)
}

/// Imports every daily file into `app`.
public func importDailyFiles(_ app: Application) throws {
    for (file, symbol) in dailyFiles {
        _ = try app.imports.importFile(path: dataDir + "/" + file, symbol: NewSymbol(symbol: symbol, assetClass: AssetClass.infer(fromSymbol: symbol)),
                                       timeframe: .d1, timeZone: .utc)
    }
}
