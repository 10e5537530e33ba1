// Signal generation benchmark: every daily file in ../shared/data (about 68,000 bars) is imported once,
// then, in alternating rounds, (a) PostgreSQL reads every bar of every series through our fastest read
// path (binary rows), and (b) generation scans every series from scratch: reads the bars, runs the seven
// strategies and eight filter layers, and writes every candidate. Prints the medians and the ratio
// generation / read (target ≤ 5).
//   GS_TEST_DATABASE_URL=postgresql://… swift run -c release --package-path Benchmarks GenerationBench
import BenchSupport
import Foundation
import GoldenSignals
import Logging
import Market
import Postgres
import Signals

let rounds = benchRounds(5)

do {
    let app = try benchApplication("generation") { $0.generateOnArrival = false }
    defer { app.close() }
    try importDailyFiles(app)
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
    // Each round's own ratio too: the read and the generation of a round run back to back, so the machine's
    // drift over a run (its speed can move twofold in a day) weighs less on their ratio than on the medians'.
    let perRound = zip(generate, read).map { $0 / $1 }
    print("generation over \(series.count) daily series, \(barCount) bars: \(candidates) candidates, \(published) published")
    print(String(format: "  PostgreSQL read of the bars:  %.3f s (median of %d)", r, rounds))
    print(String(format: "  generation (read, strategies, layers, write): %.3f s (median of %d)", g, rounds))
    print(String(format: "  of which the engine alone (strategies, layers; no database): %.3f s", median(engineOnly)))
    print(String(format: "  ratio generation / read: %.2f of the medians, %.2f the median of the rounds' own", g / r, median(perRound))
          + " (" + perRound.map { String(format: "%.2f", $0) }.joined(separator: ", ") + ") (target ≤ 5)")
    app.close()
    try dropBenchDatabase("generation")
} catch {
    print("GenerationBench failed: \(error)")
    exit(1)
}
