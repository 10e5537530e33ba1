// QualityBench: quality checks over every daily file in ../shared/data, against reading and
// parsing the same files (the reference), best of several rounds in one run.
//
//   swift run -c release --package-path Benchmarks QualityBench [data-directory] [rounds]
import Foundation
import Market
import Quality

/// The data directory: the argument, else `<repo>/../shared/data` from this file's path, else
/// `../shared/data` and `../../shared/data` from the working directory.
func dataDirectory() -> URL {
    let args = CommandLine.arguments
    if args.count > 1 { return URL(fileURLWithPath: args[1]) }
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let candidates = [repo.deletingLastPathComponent().appendingPathComponent("shared/data"),
                      URL(fileURLWithPath: "../shared/data"), URL(fileURLWithPath: "../../shared/data")]
    return candidates.first { FileManager.default.fileExists(atPath: $0.path) } ?? candidates[0]
}

let directory = dataDirectory()
let rounds = CommandLine.arguments.count > 2 ? max(1, Int(CommandLine.arguments[2]) ?? 7) : 7
let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
    .filter { $0.hasSuffix(".csv") || $0.hasSuffix(".txt") }.sorted()

// Daily files: every timestamp at midnight UTC when read as intraday UTC.
struct Series { var name: String; var bars: [Bar]; var asset: AssetClass; var calendar: any TradingCalendar }
var daily: [(name: String, asset: AssetClass)] = []
for name in names {
    guard let data = try? Data(contentsOf: directory.appendingPathComponent(name)),
          let r = try? OHLCVCSVReader.parse([UInt8](data), options: CSVImportOptions(timeframe: .m1)),
          !r.bars.isEmpty, r.bars.allSatisfy({ $0.timestamp % 86_400 == 0 }) else { continue }
    daily.append((name, name.contains("BTC") || name.contains("ETH") ? .crypto : .equity))
}
guard !daily.isEmpty else {
    print("QualityBench: no daily files in \(directory.path)")
    exit(1)
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

let clock = ContinuousClock()
var bestRead = Double.infinity, bestCheck = Double.infinity
var series: [Series] = []
var barCount = 0
var checksum = 0.0
for _ in 0..<rounds {
    // Reference: read the files and parse them.
    var parsed: [Series] = []
    let t0 = clock.now
    for (name, asset) in daily {
        let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
        let r = try OHLCVCSVReader.parse(bytes, options: CSVImportOptions(timeframe: .d1))
        parsed.append(Series(name: name, bars: r.bars, asset: asset,
                             calendar: Calendars.calendar(for: asset, exchange: nil)))
    }
    bestRead = min(bestRead, seconds(clock.now - t0))
    series = parsed
    barCount = parsed.reduce(0) { $0 + $1.bars.count }

    // Quality checks over the same bars.
    let t1 = clock.now
    for s in series {
        let now = (s.bars.last!.timestamp / 86_400 + 1) * 86_400
        let report = QualityChecker.report(QualityInput(bars: s.bars, timeframe: .d1, assetClass: s.asset,
                                                        calendar: s.calendar, now: now))
        checksum += report.score
    }
    bestCheck = min(bestCheck, seconds(clock.now - t1))
}

// Parsing alone (bytes already in memory), every file including the intraday ones.
var files: [(bytes: [UInt8], options: CSVImportOptions)] = []
for name in names {
    guard let data = try? Data(contentsOf: directory.appendingPathComponent(name)) else { continue }
    let isDaily = daily.contains { $0.name == name }
    let zone: LocalTimeZone = name.hasPrefix("mplf_SP500") ? .newYork : (name.hasPrefix("bt_2006") ? .centralEurope : .utc)
    files.append(([UInt8](data), CSVImportOptions(timeframe: isDaily ? .d1 : .m1, localTimeZone: zone)))
}
var bestParse = Double.infinity
var parsedRows = 0
for _ in 0..<rounds {
    let t = clock.now
    var rows = 0
    for f in files { rows += (try OHLCVCSVReader.parse(f.bytes, options: f.options)).dataRows }
    bestParse = min(bestParse, seconds(clock.now - t))
    parsedRows = rows
}

func rate(_ s: Double, _ bars: Int) -> String { String(format: "%.2f M bars/s (%.3f ms)", Double(bars) / s / 1e6, s * 1e3) }
print("QualityBench: \(daily.count) daily files, \(barCount) bars, best of \(rounds) rounds")
for s in series {
    let now = (s.bars.last!.timestamp / 86_400 + 1) * 86_400
    let r = QualityChecker.report(QualityInput(bars: s.bars, timeframe: .d1, assetClass: s.asset, calendar: s.calendar, now: now))
    let padded = s.name + String(repeating: " ", count: max(0, 46 - s.name.count))
    print("  " + padded + String(format: "%6d bars  score %.4f  issues %d", s.bars.count, r.score, r.issuesTotal))
}
print("read+parse (reference): " + rate(bestRead, barCount))
print("quality checks:         " + rate(bestCheck, barCount))
print("CSV parse only (all \(files.count) files, \(parsedRows) rows, bytes in memory): "
      + String(format: "%.2f M rows/s", Double(parsedRows) / bestParse / 1e6))
print(String(format: "checks / read+parse speed ratio: %.2f", bestRead / bestCheck))
if checksum.isNaN { print("(checksum \(checksum))") }
