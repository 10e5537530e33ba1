import Foundation
import GoldenSignals
import Market
import Testing

/// Timeframes with no stored bars are served from the series' 1-minute bars, session-aware.
@Suite struct AggregatedMarketDataTests {
    static func timestamps(_ json: [String: Any]) -> [String] {
        (json["bars"] as? [[String: Any]] ?? []).compactMap { $0["timestamp"] as? String }
    }

    @Test func hourlyAndDailyBarsAreBuiltFromMinutesAndPage() throws {
        let s = try TestService(label: "agg")
        let file = Paths.data("mplf_SP500_NOV2019_IDay.csv")
        _ = try s.app.imports.importFile(path: file, symbol: NewSymbol(symbol: "SPX", assetClass: .index, exchange: "NYSE"),
                                         timeframe: .m1, timeZone: .newYork)

        // Daily bars: one per session, from the minutes inside 09:30–16:00 New York.
        let daily = try s.get("/api/v1/market-data/SPX?timeframe=1d")
        #expect(daily.status == 200)
        #expect(daily.json["aggregated_from"] as? String == "1m")
        #expect(daily.header("X-Aggregated-From") == "1m")
        #expect(daily.json["source"] as? String == "file")
        let days = daily.json["bars"] as? [[String: Any]] ?? []
        #expect(Self.timestamps(daily.json) == ["2019-11-05T00:00:00Z", "2019-11-06T00:00:00Z", "2019-11-07T00:00:00Z", "2019-11-08T00:00:00Z"])

        // The expected first day, computed directly from the file's minutes.
        let minutes = try OHLCVCSVReader.parse([UInt8](try #require(FileManager.default.contents(atPath: file))),
                                               options: CSVImportOptions(timeframe: .m1, localTimeZone: .newYork)).bars
        let session = try #require(NYSECalendar().session(on: CivilDate(year: 2019, month: 11, day: 5)))
        let inSession = minutes.filter { $0.timestamp >= session.open && $0.timestamp < session.close }
        #expect(inSession.count == 390)
        #expect(days.first?["open"] as? Double == inSession.first!.open)
        #expect(days.first?["close"] as? Double == inSession.last!.close)
        #expect(days.first?["high"] as? Double == inSession.map(\.high).max())
        #expect(days.first?["low"] as? Double == inSession.map(\.low).min())

        // Hourly bars aligned to the 09:30 open: seven a session.
        let all = try s.get("/api/v1/market-data/SPX?timeframe=1h&limit=1000")
        let hours = Self.timestamps(all.json)
        #expect(hours.count == 28)
        #expect(hours.first == "2019-11-05T14:30:00Z")   // 09:30 New York (EST)
        #expect(all.json["next_cursor"] is NSNull)

        // Paging through aggregated bars gives the same bars, in both directions.
        var paged: [String] = []
        var path = "/api/v1/market-data/SPX?timeframe=1h&limit=10"
        for _ in 0..<5 {
            let r = try s.get(path)
            paged += Self.timestamps(r.json)
            guard let next = r.json["next_cursor"] as? String else { break }
            path = "/api/v1/market-data/SPX?timeframe=1h&limit=10&cursor=\(next)"
        }
        #expect(paged == hours)
        let newest = try s.get("/api/v1/market-data/SPX?timeframe=1h&order=desc&limit=5")
        #expect(Self.timestamps(newest.json) == Array(hours.suffix(5).reversed()))
        let cursor = try #require(newest.json["next_cursor"] as? String)
        let older = try s.get("/api/v1/market-data/SPX?timeframe=1h&order=desc&limit=5&cursor=\(cursor)")
        #expect(Self.timestamps(older.json) == Array(hours.dropLast(5).suffix(5).reversed()))

        // A timeframe that is stored is served as stored, never aggregated.
        let minute = try s.get("/api/v1/market-data/SPX?timeframe=1m&limit=1")
        #expect(minute.json["aggregated_from"] == nil)
    }
}
