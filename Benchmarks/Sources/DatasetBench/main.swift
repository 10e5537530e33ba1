// Dataset export benchmark: every daily file in ../shared/data is read once, then, in alternating rounds,
// (a) the reference: the raw bars written as CSV (symbol,timestamp,open,high,low,close,volume) with the
// same formatter, and (b) the export: all 27 daily features, forward_return:5 and triple_barrier:10:2:1
// labels and walk_forward:5 splits computed from the bars and written as CSV. Prints rows/s of CSV output
// for both (target for the export ≥ 1,000,000 rows/s) and their ratio, in wall time and in this thread's CPU
// time (the machine may be shared), plus features=all alone and the full export on two threads. Then streams the export of the
// largest file (1-minute bars) in 64 KiB chunks to a sink that drops them and prints the peak RSS
// (VmHWM) before and after.
//   swift run -c release --package-path Benchmarks DatasetBench
import BenchSupport
import Foundation
import Market
import Signals

let rounds = benchRounds(7)

/// CPU seconds of this thread (the machine is shared: wall time includes time spent waiting for a core).
func cpuNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

nonisolated(unsafe) var lastCPU = 0.0

/// Wall seconds of `body`; its thread CPU seconds go to `lastCPU`.
@MainActor func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    let cpu = cpuNow()
    try body()
    lastCPU = cpuNow() - cpu
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

func vmHWM() -> Int {
    let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
}

func load(_ file: String, _ tf: Timeframe = .d1) throws -> PriceSeries {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dataDir + "/" + file)))
    return PriceSeries(try OHLCVCSVReader.parse(bytes, options: CSVImportOptions(timeframe: tf, localTimeZone: .utc)).bars)
}

func info(_ symbol: String, _ tf: Timeframe = .d1) -> SeriesInfo {
    let cls = AssetClass.infer(fromSymbol: symbol)
    return SeriesInfo(symbol: symbol, timeframe: tf, assetClass: cls,
                      calendar: cls == .crypto ? AlwaysOpenCalendar() : NYSECalendar())
}

do {
    let series = try dailyFiles.map { (try load($0.file), $0.symbol) }
    let totalRows = series.reduce(0) { $0 + $1.0.count }
    let request = DatasetRequest(features: try DatasetFeature.parse("all", intraday: false),
                                 labels: try DatasetLabel.parse("forward_return:5,triple_barrier:10:2:1"),
                                 splits: WalkForward(folds: 5))
    let first = series.compactMap { $0.0.time.first }.min()!, last = series.compactMap { $0.0.time.last }.max()!
    let boundaries = request.splits!.boundaries(first: first, last: last)
    var sink = 0   // bytes "sent", so that nothing is optimized away
    var reference: [Double] = [], export: [Double] = []
    var referenceCPU: [Double] = [], exportCPU: [Double] = []
    var exportBytes = 0, referenceBytes = 0
    for _ in 0..<rounds {
        reference.append(seconds {
            var buffer = DatasetBuffer()
            buffer.append("symbol,timestamp,open,high,low,close,volume\n")
            var bytes = 0
            for (s, symbol) in series {
                let name = Array(symbol.utf8)
                for i in 0..<s.count {
                    buffer.reserve(160)
                    buffer.append(name); buffer.byte(0x2C); buffer.timestamp(s.time[i])
                    buffer.byte(0x2C); buffer.number(s.open[i]); buffer.byte(0x2C); buffer.number(s.high[i])
                    buffer.byte(0x2C); buffer.number(s.low[i]); buffer.byte(0x2C); buffer.number(s.close[i])
                    buffer.byte(0x2C); buffer.number(s.volume[i]); buffer.byte(0x0A)
                    if buffer.count >= 64 * 1024 { bytes += buffer.count; buffer.removeAll() }
                }
            }
            bytes += buffer.count
            referenceBytes = bytes
            sink &+= bytes
        })
        referenceCPU.append(lastCPU)
        export.append(seconds {
            var buffer = DatasetBuffer()
            DatasetTable.header(request, into: &buffer)
            var bytes = 0
            for (s, symbol) in series {
                let table = DatasetTable(symbol: symbol, series: s, info: info(symbol), request: request, boundaries: boundaries)
                table.write(request, into: &buffer) { b in bytes += b.count; b.removeAll(); return true }
            }
            bytes += buffer.count
            exportBytes = bytes
            sink &+= bytes
        })
        exportCPU.append(lastCPU)
    }
    // features=all alone (no labels, no splits): the API's default table.
    let featuresOnly = DatasetRequest(features: request.features)
    var plain: [Double] = [], plainCPU: [Double] = []
    var plainBytes = 0
    for _ in 0..<rounds {
        plain.append(seconds {
            var buffer = DatasetBuffer()
            DatasetTable.header(featuresOnly, into: &buffer)
            var bytes = 0
            for (s, symbol) in series {
                let table = DatasetTable(symbol: symbol, series: s, info: info(symbol), request: featuresOnly)
                table.write(featuresOnly, into: &buffer) { b in bytes += b.count; b.removeAll(); return true }
            }
            plainBytes = bytes + buffer.count
            sink &+= plainBytes
        })
        plainCPU.append(lastCPU)
    }

    // The same export on two threads (one series at a time each, as `dataset export` could write its files).
    var groups: [[Int]] = [[], []]
    var groupRows = [0, 0]
    for k in series.indices.sorted(by: { series[$0].0.count > series[$1].0.count }) {
        let g = groupRows[0] <= groupRows[1] ? 0 : 1
        groups[g].append(k); groupRows[g] += series[k].0.count
    }
    let frozenSeries = series, frozenGroups = groups
    var parallel: [Double] = []
    for _ in 0..<rounds {
        parallel.append(seconds {
            DispatchQueue.concurrentPerform(iterations: 2) { g in
                var buffer = DatasetBuffer()
                var bytes = 0
                for k in frozenGroups[g] {
                    let (s, symbol) = frozenSeries[k]
                    let table = DatasetTable(symbol: symbol, series: s, info: info(symbol), request: request, boundaries: boundaries)
                    table.write(request, into: &buffer) { b in bytes += b.count; b.removeAll(); return true }
                }
                precondition(bytes + buffer.count > 0)
            }
        })
    }

    // Where the export's time goes: computing the tables alone.
    var computeOnly: [Double] = [], computeCPU: [Double] = []
    for _ in 0..<rounds {
        computeOnly.append(seconds {
            for (s, symbol) in series {
                let table = DatasetTable(symbol: symbol, series: s, info: info(symbol), request: request, boundaries: boundaries)
                sink &+= table.rows.count
            }
        })
        computeCPU.append(lastCPU)
    }
    let refRate = Double(totalRows) / median(reference), expRate = Double(totalRows) / median(export)
    print("daily files: \(series.count), rows: \(totalRows), columns: \(request.columns.count), rounds: \(rounds)")
    print(String(format: "reference (raw bars as CSV):       %8.1f ms  %10.0f rows/s  %6.1f MB/s", median(reference) * 1000, refRate,
                 Double(referenceBytes) / median(reference) / 1e6))
    print(String(format: "export (features+labels+splits):   %8.1f ms  %10.0f rows/s  %6.1f MB/s  (%d bytes)", median(export) * 1000, expRate,
                 Double(exportBytes) / median(export) / 1e6, exportBytes))
    print(String(format: "CPU time (this thread; other builds share the 2 cores): reference %.1f ms = %.0f rows/s, export %.1f ms = %.0f rows/s",
                 median(referenceCPU) * 1000, Double(totalRows) / median(referenceCPU), median(exportCPU) * 1000, Double(totalRows) / median(exportCPU)))
    print(String(format: "features only (29 columns):        %8.1f ms  %10.0f rows/s  %6.1f MB/s  CPU %.1f ms = %.0f rows/s",
                 median(plain) * 1000, Double(totalRows) / median(plain), Double(plainBytes) / median(plain) / 1e6,
                 median(plainCPU) * 1000, Double(totalRows) / median(plainCPU)))
    print(String(format: "export on 2 threads:               %8.1f ms  %10.0f rows/s", median(parallel) * 1000, Double(totalRows) / median(parallel)))
    print(String(format: "  of which computing features, labels and splits: %.1f ms wall / %.1f ms CPU, writing CSV: %.1f ms wall / %.1f ms CPU",
                 median(computeOnly) * 1000, median(computeCPU) * 1000,
                 (median(export) - median(computeOnly)) * 1000, (median(exportCPU) - median(computeCPU)) * 1000))
    print(String(format: "export / reference time: %.2f×   target ≥ 1,000,000 rows/s: %@", median(export) / median(reference),
                 expRate >= 1_000_000 ? "met (wall)" : Double(totalRows) / median(exportCPU) >= 1_000_000 ? "met in CPU time, not in wall time" : "NOT met"))

    // Memory of the streamed export of the largest file.
    let largest = "bt_2006-01-02-volume-min-001.txt"
    let before = vmHWM()
    let big = try load(largest, .m1)
    let afterLoad = vmHWM()
    let bigInfo = info("ES", .m1)
    let bigRequest = DatasetRequest(features: try DatasetFeature.parse("all", intraday: true),
                                    labels: try DatasetLabel.parse("forward_return:5,triple_barrier:10:2:1"),
                                    normalizeWindow: 100, splits: WalkForward(folds: 5))
    var streamed = 0
    var chunks = 0
    for _ in 0..<3 {
        let table = DatasetTable(symbol: "ES", series: big, info: bigInfo, request: bigRequest,
                                 boundaries: bigRequest.splits!.boundaries(first: big.time.first!, last: big.time.last!))
        var buffer = DatasetBuffer()
        DatasetTable.header(bigRequest, into: &buffer)
        table.write(bigRequest, into: &buffer) { b in streamed += b.count; chunks += 1; b.removeAll(); return true }
        streamed += buffer.count
    }
    let after = vmHWM()
    print("largest file \(largest): \(big.count) bars, \(streamed / 3) CSV bytes per export in \(chunks / 3) chunks of 64 KiB")
    print("peak RSS (VmHWM): \(before / 1024) MiB before loading, \(afterLoad / 1024) MiB with the bars, \(after / 1024) MiB after 3 streamed exports "
          + "(+\((after - afterLoad) / 1024) MiB for \(streamed / 3 / 1_048_576) MiB of output each)")
    if sink == 42 { print("") }
} catch {
    print("error: \(error)")
    exit(1)
}
