// Backtests: (1) the SMA 20/50 crossover (long only, 10 bps commission, next-open fills) over every daily
// file in our engine against backtesting.py over the same files in the same run (its own timer, CSV
// reading excluded on both sides); (2) a full backtest — every strategy, published signals, default
// costs and volume-share slippage — over every daily file at once, with two stress scenarios.
//
//   make bench-backtest   (ROUNDS=n to change the 5 rounds)
// It depends on the pure targets only, so it builds without the application.
import Backtest
import Foundation
import Market
import Signals

let environment = ProcessInfo.processInfo.environment
let rounds = Int(environment["ROUNDS"] ?? "") ?? 5
let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
let dataDir = repo.deletingLastPathComponent().appendingPathComponent("shared/data").path
let python = repo.appendingPathComponent(".build/pyenv/bin/python3").path
let script = repo.appendingPathComponent("Tests/BacktestTests/Python/backtesting_reference.py").path

/// Wall seconds and this process's CPU seconds `body` takes (CPU time tells apart a loaded machine).
func timed(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
    func cpu() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
    let start = DispatchTime.now().uptimeNanoseconds, c0 = cpu()
    try body()
    return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, cpu() - c0)
}
func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

// Every daily file of the data folder (all its bars at midnight UTC), as a series named after its file.
var dailyFiles: [(file: String, series: BacktestSeries)] = []
for name in ((try? FileManager.default.contentsOfDirectory(atPath: dataDir)) ?? []).sorted()
where name.hasSuffix(".csv") || name.hasSuffix(".txt") {
    // Read as minute bars first: a daily file has every timestamp at midnight UTC, an intraday one does not.
    guard let bytes = FileManager.default.contents(atPath: dataDir + "/" + name).map({ [UInt8]($0) }),
          let minutes = try? OHLCVCSVReader.parse(bytes, options: CSVImportOptions(timeframe: .m1)).bars,
          !minutes.isEmpty, minutes.allSatisfy({ $0.timestamp % 86_400 == 0 }),
          let bars = try? OHLCVCSVReader.parse(bytes, options: CSVImportOptions(timeframe: .d1)).bars else { continue }
    let crypto = name.contains("BTC")
    let info = SeriesInfo(symbol: name, timeframe: .d1, assetClass: crypto ? .crypto : .equity,
                          calendar: crypto ? AlwaysOpenCalendar() : NYSECalendar())
    dailyFiles.append((name, BacktestSeries(info: info, series: PriceSeries(bars))))
}
// backtesting.py cannot trade the files with zero opens (JPM, PG) or fewer bars than the slow average (VIV):
// both sides run the same remaining files.
let usable = dailyFiles.filter { !["bluefin_JPM.csv", "bluefin_PG.csv", "bluefin_VIV.csv"].contains($0.file) }

var sma = BacktestConfiguration.plain("sma_crossover", commissionBps: 10)
sma.closeAtEnd = false  // as backtesting.py runs by default

let series = usable.map(\.series)
var trades = 0
var ours: [Double] = []
var oursCPU: [Double] = []
for _ in 0..<rounds {
    let t = try timed {
        trades = 0
        for s in series { trades += try Backtester(configuration: sma).run([s]).baseline.trades.count }
    }
    ours.append(t.wall)
    oursCPU.append(t.cpu)
}
var reference: [Double] = []
var referenceTrades = 0
for _ in 0..<max(1, rounds / 2) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = [script] + usable.map { dataDir + "/" + $0.file }
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard let doc = try JSONSerialization.jsonObject(with: data) as? [String: Any], let s = doc["seconds"] as? Double,
          let runs = doc["runs"] as? [[String: Any]] else { fatalError("backtesting.py failed") }
    reference.append(s)
    referenceTrades = runs.reduce(0) { $0 + (($1["trades"] as? [Any])?.count ?? 0) }
}
let bars = series.reduce(0) { $0 + $1.series.count }
print("SMA 20/50 crossover over \(usable.count) daily files (\(bars) bars)")
print(String(format: "  ours           %8.4f s  (%d trades; CPU %.4f s)", median(ours), trades, median(oursCPU)))
print(String(format: "  backtesting.py %8.4f s  (%d trades)", median(reference), referenceTrades))
print(String(format: "  ratio          %8.1f×  (target ≥ 20×)", median(reference) / median(ours)))

// The full backtest: every daily file in one portfolio.
let all = dailyFiles.map(\.series)
var full = BacktestConfiguration()
full.strategies = Strategies.names
full.scenarios = [.flashCrash, .gapDown]
var fullTimes: [Double] = []
var fullCPU: [Double] = []
var report: BacktestReport?
for _ in 0..<rounds {
    let t = try timed { report = try Backtester(configuration: full).run(all) }
    fullTimes.append(t.wall)
    fullCPU.append(t.cpu)
}
let allBars = all.reduce(0) { $0 + $1.series.count }
print("Full backtest: \(Strategies.names.count) strategies × \(all.count) daily files (\(allBars) bars), baseline + flash_crash + gap_down")
print(String(format: "  %8.3f s wall, %.3f s CPU  (target < 2 s); %d baseline trades, %d signals", median(fullTimes), median(fullCPU),
             report!.baseline.trades.count, report!.baseline.signals))
