// Import benchmark: every daily file in ../shared/data (about 68,000 bars) through our import
// (parse, COPY into staging, one upsert, quality report) against `psql \copy` of the same rows into a
// plain table, measured in the same run, rounds alternating. Then GET of 10,000 bars over HTTP.
//   GS_TEST_DATABASE_URL=postgresql://… swift run -c release --package-path Benchmarks ImportBench
import BenchSupport
import Foundation
import GoldenSignals
import HTTPClient
import Logging
import Market
import Postgres

let rounds = benchRounds(5)

do {
    let url = try freshBenchDatabase("import")
    var config = AppConfiguration()
    config.databaseURL = url
    config.migrationsDirectory = repo.appendingPathComponent("migrations").path
    config.openAPIPath = repo.appendingPathComponent("openapi.yaml").path
    config.ingestInterval = 0
    config.generateOnArrival = false   // imports alone; GenerationBench times the signal engine
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let app = try Application(configuration: config, logger: logger)
    defer { app.close() }

    // The same rows as plain CSV files for the psql reference.
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("gs-importbench-\(getpid())").path
    try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
    var totalBars = 0
    var plainFiles: [String] = []
    for (file, _) in dailyFiles {
        let bytes = [UInt8](FileManager.default.contents(atPath: dataDir + "/" + file)!)
        let parsed = try OHLCVCSVReader.parse(bytes, options: CSVImportOptions(timeframe: .d1, localTimeZone: .utc))
        totalBars += parsed.bars.count
        var csv = ""
        for b in parsed.bars { csv += "\(RFC3339.format(b.timestamp)),\(b.open),\(b.high),\(b.low),\(b.close),\(b.volume)\n" }
        let path = tmp + "/" + file + ".plain.csv"
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        plainFiles.append(path)
    }
    let admin = try PostgresConnection.connect(url)
    defer { admin.close() }
    try admin.execute("CREATE TABLE plain_bars (ts timestamptz, open float8, high float8, low float8, close float8, volume float8)")

    var ours: [Double] = [], reference: [Double] = []
    for round in 0..<rounds {
        // Ours: a fresh import each round (the symbols' bars are deleted first, so every row is an insert).
        try admin.execute("TRUNCATE bars, quality_reports")
        ours.append(try seconds {
            for (file, symbol) in dailyFiles {
                _ = try app.imports.importFile(path: dataDir + "/" + file, symbol: NewSymbol(symbol: symbol, assetClass: .equity),
                                               timeframe: .d1, timeZone: .utc)
            }
        })
        // Reference: psql \copy of the same rows into a plain table.
        try admin.execute("TRUNCATE plain_bars")
        var script = ""
        for path in plainFiles { script += "\\copy plain_bars FROM '\(path)' CSV\n" }
        let scriptPath = tmp + "/copy.sql"
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        reference.append(try seconds {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
            p.arguments = [url, "-q", "-X", "-v", "ON_ERROR_STOP=1", "-f", scriptPath]
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw NSError(domain: "psql failed", code: Int(p.terminationStatus)) }
        })
        print("round \(round + 1): ours \(String(format: "%.3f", ours.last!)) s, psql \\copy \(String(format: "%.3f", reference.last!)) s")
    }
    // Where our time goes, stage by stage (one more round).
    try admin.execute("TRUNCATE bars, quality_reports")
    var parseT = 0.0, upsertT = 0.0, qualityT = 0.0
    for (file, symbol) in dailyFiles {
        let bytes = [UInt8](FileManager.default.contents(atPath: dataDir + "/" + file)!)
        var parsed: CSVParseResult!
        parseT += try seconds { parsed = try OHLCVCSVReader.parse(bytes, options: CSVImportOptions(timeframe: .d1, localTimeZone: .utc)) }
        let record = try app.symbols.ensure(NewSymbol(symbol: symbol, assetClass: .equity)).record
        upsertT += try seconds { _ = try app.bars.upsert(symbolID: record.id, timeframe: .d1, bars: parsed.bars, source: "file") }
        qualityT += try seconds { try app.quality.refresh(record, timeframe: .d1, trigger: "bench") }
    }
    print(String(format: "stages: parse %.3f s, store (COPY + upsert) %.3f s, quality report (read back + check + store) %.3f s", parseT, upsertT, qualityT))

    let o = median(ours), r = median(reference)
    print("")
    print("import of \(totalBars) daily bars from \(dailyFiles.count) files (median of \(rounds) rounds)")
    print(String(format: "  ours (parse + COPY + upsert + quality report): %.3f s  %8.0f bars/s", o, Double(totalBars) / o))
    print(String(format: "  psql \\copy into a plain table:                %.3f s  %8.0f bars/s", r, Double(totalBars) / r))
    print(String(format: "  ratio ours/psql speed: %.2f  (target >= 0.5)", r / o))

    // GET of 10,000 bars over HTTP (JSON), against the live service.
    let port = try app.start(host: "127.0.0.1", port: 0)
    let client = HTTPClient()
    var gets: [Double] = []
    var size = 0
    for _ in 0..<30 {
        gets.append(try seconds {
            let resp = try client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/market-data/AAPL?limit=10000"))
            precondition(resp.status == 200)
            size = resp.body.count
        })
    }
    let aapl = try app.symbols.find("AAPL")!
    var pages: [Double] = []
    for _ in 0..<30 {
        pages.append(try seconds { _ = try app.bars.page(symbolID: aapl.id, timeframe: .d1, from: nil, to: nil, after: nil, descending: false, limit: 10_000) })
    }
    print(String(format: "  of which the database read and decoding of 10,000 bars: p50 %.1f ms", median(pages) * 1000))
    print(String(format: "GET /api/v1/market-data/AAPL?limit=10000 (%d KB): p50 %.1f ms, best %.1f ms  (target < 20 ms)",
                 size / 1024, median(gets) * 1000, gets.min()! * 1000))
    try? FileManager.default.removeItem(atPath: tmp)
} catch {
    FileHandle.standardError.write(Data("ImportBench failed: \(error)\n".utf8))
    exit(1)
}
