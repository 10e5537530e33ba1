// Backtests: (1) the SMA 20/50 crossover (long only, 10 bps commission, next-open fills) over every daily
// file in our engine against backtesting.py over the same files in the same run (its own timer, CSV
// reading excluded on both sides); (2) a full backtest — every strategy, published signals, default
// costs and volume-share slippage — over every daily file at once, with two stress scenarios.
import Backtest
import BenchSupport
import Foundation
import Market
import Signals

let rounds = benchRounds(5)
let python = repo.appendingPathComponent(".build/pyenv/bin/python3").path
let script = repo.appendingPathComponent("Tests/BacktestTests/Python/backtesting_reference.py").path

// backtesting.py cannot trade the files with zero opens (JPM, PG) or fewer bars than the slow average (VIV):
// both sides run the same remaining files.
let usable = dailyFiles.filter { !["bluefin_JPM.csv", "bluefin_PG.csv", "bluefin_VIV.csv"].contains($0.file) }
func load(_ files: [(file: String, symbol: String)]) throws -> [BacktestSeries] {
    try files.map { f in
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dataDir + "/" + f.file)))
        let bars = try OHLCVCSVReader.parse(bytes, options: CSVImportOptions(timeframe: .d1)).bars
        let asset = AssetClass.infer(fromSymbol: f.symbol)
        return BacktestSeries(info: SeriesInfo(symbol: f.symbol, timeframe: .d1, assetClass: asset,
                                               calendar: asset == .crypto ? AlwaysOpenCalendar() : NYSECalendar()),
                              series: PriceSeries(bars))
    }
}

var sma = BacktestConfiguration()
sma.strategies = ["sma_crossover"]
sma.signals = .candidates
sma.useStops = false
sma.useHorizon = false
sma.costs = Costs(commissionBps: 10)
sma.slippage = .fixedBps(0)
sma.maxParticipation = nil
sma.sizing = .fixedFraction(0.9999)

let series = try load(usable)
var trades = 0
var ours: [Double] = []
for _ in 0..<rounds {
    ours.append(try seconds {
        trades = 0
        for s in series { trades += try Backtester(configuration: sma).run([s]).baseline.trades.count }
    })
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
print(String(format: "  ours           %8.4f s  (%d trades)", median(ours), trades))
print(String(format: "  backtesting.py %8.4f s  (%d trades)", median(reference), referenceTrades))
print(String(format: "  ratio          %8.1f×  (target ≥ 20×)", median(reference) / median(ours)))

// The full backtest: every daily file in one portfolio.
let all = try load(dailyFiles)
var full = BacktestConfiguration()
full.strategies = Strategies.names
full.scenarios = [.flashCrash, .gapDown]
var fullTimes: [Double] = []
var report: BacktestReport?
for _ in 0..<rounds { fullTimes.append(try seconds { report = try Backtester(configuration: full).run(all) }) }
let allBars = all.reduce(0) { $0 + $1.series.count }
print("Full backtest: \(Strategies.names.count) strategies × \(all.count) daily files (\(allBars) bars), baseline + flash_crash + gap_down")
print(String(format: "  %8.3f s  (target < 2 s); %d baseline trades, %d signals", median(fullTimes), report!.baseline.trades.count,
             report!.baseline.signals))
