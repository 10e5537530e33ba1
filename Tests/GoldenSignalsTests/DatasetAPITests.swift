import Foundation
import GoldenSignals
import HTTPClient
import Market
import Postgres
import Testing

/// `GET /api/v1/datasets/features` and `/manifest` over real files, read back with pandas.
@Suite(.serialized) struct DatasetAPITests {
    static let python = ProcessInfo.processInfo.environment["GS_TALIB_PYTHON"] ?? Paths.repository + "/.build/pyenv/bin/python3"

    static func service() throws -> TestService {
        let s = try TestService(label: "datasets")
        _ = try s.app.imports.importFile(path: Paths.data("bluefin_AAPL.csv"), symbol: NewSymbol(symbol: "AAPL", assetClass: .equity),
                                         timeframe: .d1, timeZone: .utc)
        _ = try s.app.symbols.create(NewSymbol(symbol: "NOBARS", assetClass: .equity))
        return s
    }

    static func temporary(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "gs-dataset-\(getpid())-" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func exportReadWithPandasMatchesTheIndicatorEndpoint() throws {
        let s = try Self.service()
        let query = "symbols=AAPL,NOBARS&timeframe=1d&features=all&labels=forward_return:5,triple_barrier:10:2:1&splits=walk_forward:3"
        let r = try s.get("/api/v1/datasets/features?" + query)
        #expect(r.status == 200)
        #expect(r.header("Content-Type")?.hasPrefix("text/csv") == true)
        #expect(r.header("X-Dataset-Manifest") == "/api/v1/datasets/manifest?" + query)
        #expect(r.header("X-Dataset-Excluded") == "NOBARS", "a series without bars is left out, and said so")
        let m = try s.get(try #require(r.header("X-Dataset-Manifest")))
        #expect(m.status == 200)
        let manifest = m.json
        #expect(manifest["code_version"] as? String == DatasetService.codeVersion)
        let included = manifest["included"] as? [[String: Any]] ?? []
        let excluded = manifest["excluded"] as? [[String: Any]] ?? []
        #expect(included.map { $0["symbol"] as? String } == ["AAPL"])
        #expect(excluded.first?["symbol"] as? String == "NOBARS")
        #expect(excluded.first?["reason"] as? String == "no 1d bars are stored")
        #expect(excluded.first?.keys.contains("quality_score") == true)
        // The quality gate: with min_quality=1 AAPL (score below 1) is left out with its score and the reason.
        let strict = try s.get("/api/v1/datasets/manifest?symbols=AAPL&min_quality=1").json
        let left = (strict["excluded"] as? [[String: Any]])?.first
        #expect(left?["symbol"] as? String == "AAPL")
        #expect((left?["reason"] as? String)?.hasPrefix("quality score") == true, "\(left ?? [:])")
        #expect(left?["quality_score"] is Double)
        #expect((strict["included"] as? [Any])?.isEmpty == true)
        // The stream's AAPL rows are exactly the file whose checksum the manifest gives.
        #expect(included.first?["sha256"] as? String == Self.sha256(r.body))
        #expect(included.first?["rows"] as? Int == 10_086)

        let ind = try s.get("/api/v1/indicators/AAPL?timeframe=1d&names=rsi:14,stoch:14:3:3,willr:14,cci:20,mfi:14,adx:14,atr:14&from=1980-12-12&limit=10000")
        #expect(ind.status == 200)
        let bars = try s.app.bars.all(symbolID: try #require(try s.app.symbols.find("AAPL")).id, timeframe: .d1)
        let closes = try JSONSerialization.data(withJSONObject: Dictionary(uniqueKeysWithValues: bars.map { (RFC3339.format($0.timestamp), $0.close) }))
        let csv = try Self.temporary("features.csv", r.body)
        let json = try Self.temporary("indicators.json", ind.body)
        let mpath = try Self.temporary("manifest.json", m.body)
        let cpath = try Self.temporary("closes.json", [UInt8](closes))
        defer { for p in [csv, json, mpath, cpath] { try? FileManager.default.removeItem(atPath: p) } }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Paths.repository + "/Tests/GoldenSignalsTests/Python/check_dataset.py", csv, json, mpath, cpath]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.hasPrefix("OK"), "\(text)")
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        Migrator.sha256Hex(bytes)
    }

    @Test func jsonLinesNormalizedAndBadParameters() throws {
        let s = try Self.service()
        let r = try s.get("/api/v1/datasets/features?symbols=AAPL&features=ret_1,rsi_14&normalize=rolling:20&format=jsonl&from=2020-01-01")
        #expect(r.status == 200)
        let lines = r.text.split(separator: "\n")
        #expect(lines.count > 200)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(first?.keys.sorted() == ["ret_1", "rsi_14", "symbol", "timestamp"])
        #expect(first?["timestamp"] as? String == "2020-01-02T00:00:00Z")
        #expect(first?["ret_1"] is Double, "warm-up comes from the history before from")

        let bad = try s.get("/api/v1/datasets/features?symbols=AAPL&features=nope&labels=signal_outcome:nope&splits=walk_forward:0&format=xml")
        #expect(bad.status == 400)
        let fields = (bad.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
        #expect(fields.sorted() == ["features", "format", "labels", "splits"], "every bad parameter named at once: \(fields)")
        #expect(try s.get("/api/v1/datasets/features?symbols=NOPE").status == 404)
        #expect(try s.get("/api/v1/datasets/features").status == 400)
    }

    /// `signal_outcome` labels carry what each published signal went on to do, exactly as the signals API
    /// reports it: 1 win, −1 loss, 0 expired, its net return; null on bars without a signal; null with
    /// `label_horizon_past_end` = 1 while the outcome is provisional.
    @Test func signalOutcomeLabelsAreTheStoredOutcomes() throws {
        let s = try Self.service()
        _ = try s.app.outcomeService.evaluate()
        let strategy = "sma_crossover"
        // Every published signal of the strategy, through the API.
        let signals = try SignalAPITests.allSignals(s, "symbol=AAPL&strategy=\(strategy)&status=all")
            .filter { $0["status"] as? String != "filtered" }
        #expect(signals.count > 20)

        let r = try s.get("/api/v1/datasets/features?symbols=AAPL&features=ret_1&labels=signal_outcome:\(strategy)&format=jsonl")
        #expect(r.status == 200)
        let rows = r.text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let byTime = Dictionary(rows.map { ($0["timestamp"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        let column = "label_signal_outcome_\(strategy)", returns = "label_signal_return_\(strategy)"
        var finals = 0, provisional = 0
        for signal in signals {
            let row = try #require(byTime[signal["timestamp"] as? String ?? ""], "a row for every signal's bar")
            let outcome = signal["outcome"] as? [String: Any]
            if outcome?["provisional"] as? Bool == false {
                finals += 1
                let expected: Double = ["win": 1, "loss": -1, "expired": 0][outcome?["result"] as? String ?? ""] ?? .nan
                #expect(row[column] as? Double == expected, "\(signal["timestamp"] ?? "")")
                let ret = try #require(outcome?["return"] as? Double)
                // Dataset numbers carry 10 significant digits (docs/DATASETS.md).
                #expect(abs((row[returns] as? Double ?? .nan) - ret) <= 1e-9 * max(1e-3, abs(ret)))
            } else {
                provisional += 1
                #expect(row[column] is NSNull && row["label_horizon_past_end"] as? Int == 1)
            }
        }
        #expect(finals > 20)
        let signalTimes = Set(signals.compactMap { $0["timestamp"] as? String })
        let unlabelled = rows.filter { !signalTimes.contains($0["timestamp"] as? String ?? "") }
        #expect(!unlabelled.isEmpty && unlabelled.allSatisfy { $0[column] is NSNull }, "bars without a signal have no outcome label")

        // The manifest lists the label with the strategy's horizon, which purging uses.
        let m = try s.get("/api/v1/datasets/manifest?symbols=AAPL&labels=signal_outcome:\(strategy)").json
        let label = (m["labels"] as? [[String: Any]])?.first
        #expect(label?["columns"] as? [String] == [column, returns])
        #expect(label?["horizon_bars"] as? Int == 20)
    }
}

/// `dataset export` computes two series at a time: the files are the same as one at a time, in order.
@Suite struct DatasetConcurrentExportTests {
    @Test func concurrentFilesEqualSequentialOnes() throws {
        let s = try TestService(label: "datasets_concurrent") { $0.generateOnArrival = false }
        for (file, symbol) in [("bluefin_MSFT.csv", "MSFT"), ("bt_orcl-1995-2014.txt", "ORCL"), ("bluefin_TSLA.csv", "TSLA")] {
            _ = try s.app.imports.importFile(path: Paths.data(file), symbol: NewSymbol(symbol: symbol, assetClass: .equity),
                                             timeframe: .d1, timeZone: .utc)
        }
        let service = DatasetService(app: s.app)
        let parameters = try DatasetParameters.parse(symbols: "TSLA,MSFT,ORCL", timeframe: .d1, from: nil, to: nil, features: "all",
                                                     labels: "forward_return:5,triple_barrier:10:2:1", normalize: "none",
                                                     splits: "walk_forward:3", format: "csv", minQuality: 0, minCoverage: 0)
        let plan = try service.plan(parameters)
        let finished = NSLock()
        nonisolated(unsafe) var calls = 0
        let together = try service.files(plan, concurrency: 2) { _, _ in finished.withLock { calls += 1 } }
        #expect(together.map(\.series.record.symbol) == plan.included.map(\.record.symbol))
        #expect(together.count == 3 && finished.withLock { calls } == 3)
        for f in together {
            let alone = try service.file(f.series, plan)
            #expect(alone.bytes == f.bytes && alone.sha256 == f.sha256 && alone.rows == f.rows && f.rows > 1_000)
        }
    }
}
