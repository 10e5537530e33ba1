// IndicatorBench: the full Indicators set over the last 10,000 bars of bluefin_PG.csv, best of N runs, against
// TA-Lib's C library timed inside Python (Benchmarks/indicators/talib_bench.py) in the same run.
//
//   swift run -c release --package-path Benchmarks IndicatorBench [data-file] [rounds]
// The Python is GS_TALIB_PYTHON, else <repo>/.build/pyenv/bin/python3 (`make test-deps` sets it up).
import Foundation
import Indicators

let benchmarks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let repo = benchmarks.deletingLastPathComponent()

/// The data file: the argument, else bluefin_PG.csv in `<repo>/../shared/data` or GS_SHARED_DIR.
func dataFile() -> URL {
    let args = CommandLine.arguments
    if args.count > 1 { return URL(fileURLWithPath: args[1]) }
    var dirs = [repo.deletingLastPathComponent().appendingPathComponent("shared/data")]
    if let d = ProcessInfo.processInfo.environment["GS_SHARED_DIR"] {
        dirs += [URL(fileURLWithPath: d).appendingPathComponent("data"), URL(fileURLWithPath: d)]
    }
    let dir = dirs.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("bluefin_PG.csv").path) } ?? dirs[0]
    return dir.appendingPathComponent("bluefin_PG.csv")
}

/// High, low, close and volume by header name (case-insensitive); rows with an empty or null field are skipped.
func readColumns(_ url: URL) throws -> (h: [Double], l: [Double], c: [Double], v: [Double]) {
    let text = try String(contentsOf: url, encoding: .utf8)
    var lines = text.split(whereSeparator: \.isNewline).map(String.init)
    let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false)
        .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    let idx = ["high", "low", "close", "volume"].map { name in header.firstIndex(of: name)! }
    var cols: [[Double]] = [[], [], [], []]
    for line in lines {
        let f = line.split(separator: ",", omittingEmptySubsequences: false)
        let values = idx.map { Double(f[$0].trimmingCharacters(in: .whitespaces)) }
        guard values.allSatisfy({ $0 != nil }) else { continue }
        for k in 0..<4 { cols[k].append(values[k]!) }
    }
    return (cols[0], cols[1], cols[2], cols[3])
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

let bars = 10_000
let rounds = CommandLine.arguments.count > 2 ? max(1, Int(CommandLine.arguments[2]) ?? 50) : 50
let file = dataFile()
let all = try readColumns(file)
let h = Array(all.h.suffix(bars)), l = Array(all.l.suffix(bars)), c = Array(all.c.suffix(bars)), v = Array(all.v.suffix(bars))
let sessions = [Bool](repeating: true, count: c.count)  // daily bars: every bar is its own session

nonisolated(unsafe) var sink = 0.0
@inline(never) func use(_ a: [Double]) { sink += a[a.count - 1] }

let indicators: [(String, () -> Void)] = [
    ("sma20", { use(TA.sma(c, period: 20)) }),
    ("ema20", { use(TA.ema(c, period: 20)) }),
    ("wma20", { use(TA.wma(c, period: 20)) }),
    ("rsi14", { use(TA.rsi(c, period: 14)) }),
    ("macd", { use(TA.macd(c, fast: 12, slow: 26, signal: 9).histogram) }),
    ("bbands", { use(TA.bbands(c, period: 20, k: 2).upper) }),
    ("atr14", { use(TA.atr(high: h, low: l, close: c, period: 14)) }),
    ("natr14", { use(TA.natr(high: h, low: l, close: c, period: 14)) }),
    ("stoch", { use(TA.stoch(high: h, low: l, close: c, fastK: 14, slowK: 3, slowD: 3).d) }),
    ("willr14", { use(TA.willr(high: h, low: l, close: c, period: 14)) }),
    ("cci20", { use(TA.cci(high: h, low: l, close: c, period: 20)) }),
    ("mfi14", { use(TA.mfi(high: h, low: l, close: c, volume: v, period: 14)) }),
    ("obv", { use(TA.obv(close: c, volume: v)) }),
    ("adx14+di", { use(TA.adx(high: h, low: l, close: c, period: 14).adx) }),
    ("roc10", { use(TA.roc(c, period: 10)) }),
    ("donchian20", { use(TA.donchian(high: h, low: l, period: 20).middle) }),
]

let clock = ContinuousClock()
var per: [String: Double] = [:]
for (name, run) in indicators {
    var best = Double.infinity
    for _ in 0..<rounds { let t0 = clock.now; run(); best = min(best, seconds(clock.now - t0)) }
    per[name] = best
}
var total = Double.infinity
for _ in 0..<rounds {
    let t0 = clock.now
    for (_, run) in indicators { run() }
    total = min(total, seconds(clock.now - t0))
}
var vwapBest = Double.infinity
for _ in 0..<rounds {
    let t0 = clock.now
    use(TA.vwap(high: h, low: l, close: c, volume: v, sessionStart: sessions))
    vwapBest = min(vwapBest, seconds(clock.now - t0))
}

// TA-Lib through Python, same file, same rows, same rounds.
let python = ProcessInfo.processInfo.environment["GS_TALIB_PYTHON"] ?? repo.appendingPathComponent(".build/pyenv/bin/python3").path
let process = Process()
process.executableURL = URL(fileURLWithPath: python)
process.arguments = [benchmarks.appendingPathComponent("indicators/talib_bench.py").path, file.path, String(bars), String(rounds)]
let pipe = Pipe()
process.standardOutput = pipe
var theirs: [String: Any]? = nil
do {
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    if process.terminationStatus == 0 { theirs = try JSONSerialization.jsonObject(with: data) as? [String: Any] }
} catch {
    print("IndicatorBench: could not run \(python) (\(error)); run `make test-deps`")
}

func us(_ s: Double) -> String { String(format: "%9.1f µs", s * 1e6) }
print("IndicatorBench: \(c.count) bars of \(file.lastPathComponent), best of \(rounds) runs (checksum \(sink.isFinite ? "ok" : "non-finite"))")
let theirPer = theirs?["per"] as? [String: Double] ?? [:]
if let t = theirs {
    let sum = (t["close_sum"] as? Double) ?? .nan
    let ours = c.reduce(0, +)
    print("TA-Lib \(t["talib_version"] ?? "?") via Python; same input: \(abs(sum - ours) <= 1e-9 * abs(ours) ? "yes" : "NO (close sums \(ours) vs \(sum))")")
}
print("indicator        ours          TA-Lib        ours/TA-Lib")
for (name, _) in indicators {
    let o = per[name]!, t = theirPer[name]
    print("\(name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(us(o))  \(t.map(us) ?? "        n/a")   \(t.map { String(format: "%.2f×", o / $0) } ?? "")")
}
let theirTotal = theirs?["total"] as? Double
print("\("all (one pass)".padding(toLength: 14, withPad: " ", startingAt: 0)) \(us(total))  \(theirTotal.map(us) ?? "        n/a")   \(theirTotal.map { String(format: "%.2f×", total / $0) } ?? "")")
print("vwap (ours only, no TA-Lib function): \(us(vwapBest))")
