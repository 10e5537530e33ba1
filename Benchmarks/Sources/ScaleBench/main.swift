// Scale benchmark (issue 16): GENERATED 1-minute bars (a seeded random walk, labelled `generated`, on demo
// symbols GEN000…GEN199, in a benchmark database of their own that is dropped at the end; never market
// data) for 200 symbols, measured at two sizes so that growth is visible:
//   stage 1: 5,000 bars a symbol  =  1 M bars;   stage 2: 50,000 bars a symbol = 10 M bars (SCALE_BARS sets it)
// At each size: import rate (store: COPY/upsert into the partitioned `bars` + quality report), GET
// /api/v1/market-data/{symbol} p50/p99 for a one-day window (390 bars) and a one-year window (first 5,000
// bars of it), signal generation throughput over 10 series from scratch, and the database size. The
// reference is the first size: the ratios 10 M / 1 M show whether page latencies stay flat.
//   GS_TEST_DATABASE_URL=postgresql://… swift run -c release --package-path Benchmarks ScaleBench
import BenchSupport
import Foundation
import GoldenSignals
import HTTPClient
import Market
import Postgres

let symbolsCount = Int(benchEnvironment["SCALE_SYMBOLS"] ?? "") ?? 200
let stages = (benchEnvironment["SCALE_BARS"] ?? "1000000,10000000").split(separator: ",").compactMap { Int($0) }
let requests = Int(benchEnvironment["SCALE_REQUESTS"] ?? "") ?? 200

/// SplitMix64: a seeded generator, so every run loads the same generated series.
struct SplitMix { var state: UInt64
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}

/// Minute k of the generated calendar: 390 minutes a weekday from 14:30 UTC, from Tuesday 2024-01-02.
func minuteTimestamp(_ k: Int) -> Int64 {
    let start: Int64 = 1_704_205_800   // 2024-01-02T14:30:00Z
    var day = k / 390, date = start
    while day > 0 {
        date += 86_400
        let weekday = ((date / 86_400) + 4) % 7   // 0 = Sunday
        if weekday != 0 && weekday != 6 { day -= 1 }
    }
    return date + Int64(k % 390) * 60
}

/// Bars [from, to) of a generated series (price continues where it stopped: the walk is replayed from 0).
func generatedBars(symbol: Int, from: Int, to: Int) -> [Bar] {
    var rng = SplitMix(state: UInt64(symbol + 1) &* 0x1234_5678_9ABC_DEF1)
    var price = 20 + 180 * rng.next()
    var out: [Bar] = []
    out.reserveCapacity(to - from)
    var days: [Int64] = []   // cache of day starts
    for k in 0..<to {
        let r = (rng.next() - 0.5) * 0.002, spread = rng.next() * 0.001, volume = 100 + (rng.next() * 10_000).rounded()
        let open = price, close = price * (1 + r)
        price = close
        guard k >= from else { continue }
        let d = k / 390
        while days.count <= d { days.append(minuteTimestamp(days.count * 390)) }
        out.append(Bar(timestamp: days[d] + Int64(k % 390) * 60, open: open, high: max(open, close) * (1 + spread),
                       low: min(open, close) * (1 - spread), close: close, volume: volume))
    }
    return out
}

func percentile(_ xs: [Double], _ p: Double) -> Double {
    let s = xs.sorted()
    return s[min(s.count - 1, Int((Double(s.count - 1) * p).rounded()))]
}

struct StageResult {
    var bars = 0, importSeconds = 0.0, imported = 0
    var day = (p50: 0.0, p99: 0.0, rows: 0), year = (p50: 0.0, p99: 0.0, rows: 0)
    var generationBars = 0, generationSeconds = 0.0, candidates = 0
    var databaseBytes: Int64 = 0, barsBytes: Int64 = 0, partitions = 0
}

do {
    let app = try benchApplication("scale") { $0.generateOnArrival = false; $0.scale.partitionInterval = 0 }
    defer { app.close(); try? dropBenchDatabase("scale") }
    let port = try app.start(host: "127.0.0.1", port: 0)
    let client = HTTPClient()
    var ids: [Int64] = []
    for i in 0..<symbolsCount {
        let (rec, _) = try app.symbols.ensure(NewSymbol(symbol: String(format: "GEN%03d", i), name: "generated benchmark series",
                                                        assetClass: .equity, isDemo: true))
        ids.append(rec.id)
    }
    let conn = try PostgresConnection.connect(app.configuration.databaseURL!)
    defer { conn.close() }
    var results: [StageResult] = []
    var loadedPerSymbol = 0
    for target in stages {
        var r = StageResult()
        let perSymbol = target / symbolsCount
        var batches: [[Bar]] = []
        for i in 0..<symbolsCount { batches.append(generatedBars(symbol: i, from: loadedPerSymbol, to: perSymbol)) }
        r.importSeconds = try seconds {
            for i in 0..<symbolsCount {
                let record = try app.symbols.find(id: ids[i])!
                r.imported += try app.imports.store(batches[i], for: record, timeframe: .m1, source: "generated", trigger: "bench").inserted
            }
        }
        batches = []
        loadedPerSymbol = perSymbol
        try conn.execute("VACUUM ANALYZE bars")
        r.bars = try conn.query("SELECT count(*) FROM bars", []).first!.decode(0)

        // Page latencies over HTTP, random symbols; the day is the fourth session (stored at every size).
        var rng = SplitMix(state: 42)
        let dayStart = minuteTimestamp(3 * 390), dayEnd = dayStart + 390 * 60 - 1
        func iso(_ t: Int64) -> String { RFC3339.format(t) }
        var dayT: [Double] = [], yearT: [Double] = []
        for k in 0..<(2 * requests) {
            let sym = String(format: "GEN%03d", Int(rng.next() * Double(symbolsCount)))
            let url = k % 2 == 0
                ? "http://127.0.0.1:\(port)/api/v1/market-data/\(sym)?timeframe=1m&from=\(iso(dayStart))&to=\(iso(dayEnd))&limit=1000"
                : "http://127.0.0.1:\(port)/api/v1/market-data/\(sym)?timeframe=1m&from=2024-01-01T00:00:00Z&to=2024-12-31T23:59:59Z&limit=5000"
            var rows = 0
            let t = try seconds {
                let resp = try client.send(HTTPClientRequest(url: url))
                precondition(resp.status == 200, "status \(resp.status) for \(url)")
                rows = resp.body.count
            }
            if k % 2 == 0 { dayT.append(t); r.day.rows = rows } else { yearT.append(t); r.year.rows = rows }
        }
        r.day.p50 = percentile(dayT, 0.5); r.day.p99 = percentile(dayT, 0.99)
        r.year.p50 = percentile(yearT, 0.5); r.year.p99 = percentile(yearT, 0.99)

        // Generation from scratch over the first 10 series.
        try conn.execute("TRUNCATE signals CASCADE; TRUNCATE signal_scans")
        let first = Array(ids.prefix(10))
        var summary: GenerationSummary!
        r.generationSeconds = try seconds { summary = try app.signalService.generate(symbolIDs: first, timeframe: .m1) }
        r.generationBars = summary.barsScanned
        r.candidates = summary.generated + summary.rejected
        r.databaseBytes = try conn.query("SELECT pg_database_size(current_database())", []).first!.decode(0)
        r.barsBytes = try conn.query("""
            SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0)::int8 FROM pg_inherits i
            WHERE i.inhparent IN ('bars_daily'::regclass, 'bars_intraday'::regclass)
            """, []).first!.decode(0)
        r.partitions = try conn.query("SELECT count(*) FROM pg_inherits WHERE inhparent = 'bars_intraday'::regclass", []).first!.decode(0)
        results.append(r)
        print(String(format: "%@ bars: import %.1f s (%.0f bars/s); day page p50 %.2f ms p99 %.2f ms (%d B); year page p50 %.2f ms p99 %.2f ms (%d B); generation %d bars in %.2f s (%.0f bars/s, %d candidates); database %.0f MB (bars %.0f MB, %d intraday partitions)",
                     "\(r.bars)", r.importSeconds, Double(r.imported) / r.importSeconds, r.day.p50 * 1000, r.day.p99 * 1000, r.day.rows,
                     r.year.p50 * 1000, r.year.p99 * 1000, r.year.rows, r.generationBars, r.generationSeconds,
                     Double(r.generationBars) / r.generationSeconds, r.candidates, Double(r.databaseBytes) / 1e6, Double(r.barsBytes) / 1e6, r.partitions))
    }
    if results.count >= 2, let a = results.first, let b = results.last {
        print(String(format: "ratios %d / %d bars: day page p50 %.2f, year page p50 %.2f, import rate %.2f, generation rate %.2f, database size %.1f",
                     b.bars, a.bars, b.day.p50 / a.day.p50, b.year.p50 / a.year.p50,
                     (Double(b.imported) / b.importSeconds) / (Double(a.imported) / a.importSeconds),
                     (Double(b.generationBars) / b.generationSeconds) / (Double(a.generationBars) / a.generationSeconds),
                     Double(b.databaseBytes) / Double(a.databaseBytes)))
    }
} catch {
    FileHandle.standardError.write(Data("ScaleBench failed: \(error)\n".utf8))
    exit(1)
}
