import Foundation
import GoldenSignals
import Market
import Testing

/// Imports of the real files in ../shared/data through the service (COPY + upsert) and back out through the API.
@Suite(.serialized) struct ImportTests {
    @Test(arguments: [
        ("bluefin_MSFT.csv", "MSFT", 8_761, 0),
        ("bluefin_AAPL.csv", "AAPL", 10_086, 1),
        ("bluefin_PG.csv", "PG", 14_840, 0),
        ("bluefin_JPM.csv", "JPM", 10_275, 0),
        ("bluefin_VIV.csv", "VIV", 1, 0),
        ("pta_SPY_D.csv", "SPY", 5_241, 0),
        ("bestdaybtc_BTC-USD.csv", "BTC-USD", 3_143, 0),
    ])
    func importsRealDailyFiles(file: String, symbol: String, bars: Int, rejected: Int) throws {
        let s = try TestService(label: "import")
        let summary = try s.app.imports.importFile(path: Paths.data(file), symbol: NewSymbol(symbol: symbol, assetClass: AssetClass.infer(fromSymbol: symbol)),
                                                   timeframe: .d1, timeZone: .utc)
        #expect(summary.inserted == bars)
        #expect(summary.rejected.count == rejected)
        #expect(summary.symbolCreated)
        let again = try s.app.imports.importFile(path: Paths.data(file), symbol: NewSymbol(symbol: symbol, assetClass: .equity),
                                                 timeframe: .d1, timeZone: .utc)
        #expect(again.inserted == 0 && again.updated == 0 && again.unchanged == bars)
        let record = try s.app.symbols.find(symbol)
        let stored = try s.app.bars.all(symbolID: try #require(record).id, timeframe: .d1)
        #expect(stored.count == bars)
    }

    @Test func aaplNullRowIsRejectedByLineAndRoundTripsExactly() throws {
        let s = try TestService(label: "aapl")
        let summary = try s.app.imports.importFile(path: Paths.data("bluefin_AAPL.csv"), symbol: NewSymbol(symbol: "AAPL", assetClass: .equity),
                                                   timeframe: .d1, timeZone: .utc)
        let reject = try #require(summary.rejected.first)
        let lines = try String(contentsOfFile: Paths.data("bluefin_AAPL.csv"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[reject.line - 1].hasPrefix("1981-08-10,null"))

        // The first and last bars come back through the API exactly as the file has them.
        let first = try s.get("/api/v1/market-data/AAPL?limit=1")
        let bar = try #require((first.json["bars"] as? [[String: Any]])?.first)
        #expect(bar["timestamp"] as? String == "1980-12-12T00:00:00Z")
        #expect(bar["open"] as? Double == 0.128348)
        #expect(bar["volume"] as? Double == 469_033_600)
        #expect(first.json["source"] as? String == "file")
        let last = try s.get("/api/v1/market-data/AAPL?order=desc&limit=1")
        #expect(((last.json["bars"] as? [[String: Any]])?.first?["timestamp"] as? String) == "2020-12-11T00:00:00Z")

        // 10,000 bars in one page.
        let big = try s.get("/api/v1/market-data/AAPL?limit=10000")
        #expect((big.json["bars"] as? [Any])?.count == 10_000)
        #expect(big.json["next_cursor"] is String)
    }

    @Test func qualityReportsFollowImports() throws {
        let s = try TestService(label: "quality")
        _ = try s.app.imports.importFile(path: Paths.data("bluefin_PG.csv"), symbol: NewSymbol(symbol: "PG", assetClass: .equity),
                                         timeframe: .d1, timeZone: .utc)
        _ = try s.app.imports.importFile(path: Paths.data("bluefin_MSFT.csv"), symbol: NewSymbol(symbol: "MSFT", assetClass: .equity),
                                         timeframe: .d1, timeZone: .utc)
        let pg = try s.get("/api/v1/quality/PG")
        #expect(pg.status == 200, "\(pg.text)")
        #expect(pg.json["bars_checked"] as? Int == 14_840)
        #expect(pg.json["trigger"] as? String == "import")
        let issues = pg.json["issues"] as? [[String: Any]] ?? []
        #expect(!issues.isEmpty)
        #expect((pg.json["issues_total"] as? Int ?? 0) >= 1_987 + 4)
        let pgScore = try #require(pg.json["score"] as? Double)

        let msft = try s.get("/api/v1/quality/MSFT")
        let msftScore = try #require(msft.json["score"] as? Double)
        #expect(msftScore >= 0.95)
        #expect(pgScore < msftScore)

        let summary = try s.get("/api/v1/quality?timeframe=1d")
        let rows = summary.json["symbols"] as? [[String: Any]] ?? []
        #expect(rows.compactMap { $0["symbol"] as? String } == ["PG", "MSFT"])   // worst first
        #expect(rows.first?["rank"] as? Int == 1)

        let none = try s.get("/api/v1/quality/MSFT?timeframe=1m")
        #expect(none.status == 404)
    }

    @Test func anUnchangedImportLeavesTheQualityReportAlone() throws {
        let s = try TestService(label: "unchanged")
        let file = Paths.data("bluefin_MSFT.csv")
        let template = NewSymbol(symbol: "MSFT", assetClass: .equity)
        func reports() throws -> Int {
            try s.app.pool.withConnection { conn in
                try conn.query("SELECT count(*) FROM quality_reports r JOIN symbols s ON s.id = r.symbol_id WHERE s.symbol = 'MSFT'")
                    .first?.decode(0, as: Int.self) ?? -1
            }
        }
        let first = try s.app.imports.importFile(path: file, symbol: template, timeframe: .d1, timeZone: .utc)
        #expect(first.inserted > 0)
        #expect(try reports() == 1)
        for _ in 0..<3 {
            let again = try s.app.imports.importFile(path: file, symbol: template, timeframe: .d1, timeZone: .utc)
            #expect(again.inserted == 0 && again.updated == 0 && again.unchanged == first.inserted)
        }
        #expect(try reports() == 1, "an import that changed nothing must not recompute the report")

        // A revised bar is a change: the report follows it.
        let record = try #require(try s.app.symbols.find("MSFT"))
        var last = try #require(try s.app.bars.all(symbolID: record.id, timeframe: .d1).last)
        last.close += 1
        last.high = max(last.high, last.close)
        _ = try s.app.imports.store([last], for: record, timeframe: .d1, source: "file", trigger: "import")
        #expect(try reports() == 2)
    }
}
