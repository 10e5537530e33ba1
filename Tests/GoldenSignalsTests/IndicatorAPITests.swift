import Foundation
import GoldenSignals
import HTTPClient
import Indicators
import Market
import Testing

/// `GET /api/v1/indicators/{symbol}` and the frontend's `…/historical` chart route over a real file.
@Suite(.serialized) struct IndicatorAPITests {
    static func aapl() throws -> (TestService, [Bar]) {
        let s = try TestService(label: "indicators")
        _ = try s.app.imports.importFile(path: Paths.data("bluefin_AAPL.csv"), symbol: NewSymbol(symbol: "AAPL", assetClass: .equity),
                                         timeframe: .d1, timeZone: .utc)
        return (s, try s.app.bars.all(symbolID: try #require(try s.app.symbols.find("AAPL")).id, timeframe: .d1))
    }

    static func rows(_ r: HTTPClientResponse) -> [[String: Any]] { r.json["rows"] as? [[String: Any]] ?? [] }

    @Test func valuesAreComputedOverTheWholeHistory() throws {
        let (s, bars) = try Self.aapl()
        let close = bars.map(\.close), high = bars.map(\.high), low = bars.map(\.low), volume = bars.map(\.volume)
        let r = try s.get("/api/v1/indicators/AAPL?timeframe=1d&names=sma:20,ema:20,rsi:14,macd:12:26:9,bbands:20:2,atr:14,stoch:14:3:3,obv,adx:14&limit=3")
        #expect(r.status == 200)
        let rows = Self.rows(r)
        #expect(rows.count == 3)
        #expect(rows.last?["timestamp"] as? String == "2020-12-11T00:00:00Z")
        // The newest three rows equal the indicators over all 10,086 bars (an EMA over just three bars would be null).
        let n = bars.count
        let expected: [String: [Double]] = [
            "sma_20": TA.sma(close, period: 20), "ema_20": TA.ema(close, period: 20), "rsi_14": TA.rsi(close, period: 14),
            "macd": TA.macd(close, fast: 12, slow: 26, signal: 9).macd, "macd_hist": TA.macd(close, fast: 12, slow: 26, signal: 9).histogram,
            "bb_upper": TA.bbands(close, period: 20, k: 2).upper, "atr_14": TA.atr(high: high, low: low, close: close, period: 14),
            "stoch_k": TA.stoch(high: high, low: low, close: close, fastK: 14, slowK: 3, slowD: 3).k,
            "obv": TA.obv(close: close, volume: volume), "adx_14": TA.adx(high: high, low: low, close: close, period: 14).adx,
        ]
        for (k, row) in rows.enumerated() {
            let values = try #require(row["values"] as? [String: Any])
            for (name, line) in expected {
                let got = try #require(values[name] as? Double, "\(name) missing")
                #expect(abs(got - line[n - 3 + k]) <= 1e-9 * max(1, abs(line[n - 3 + k])), "\(name)")
            }
        }
    }

    @Test func warmUpIsNullAndPagingContinues() throws {
        let (s, _) = try Self.aapl()
        let r = try s.get("/api/v1/indicators/AAPL?names=sma:20,rsi:14,adx:14&from=1980-12-12&limit=40")
        let rows = Self.rows(r)
        #expect(rows.count == 40)
        let sma = rows.map { ($0["values"] as? [String: Any])?["sma_20"] }
        #expect(sma[..<19].allSatisfy { $0 is NSNull } && sma[19] is Double)
        let adx = rows.map { ($0["values"] as? [String: Any])?["adx_14"] }
        #expect(adx[..<27].allSatisfy { $0 is NSNull } && adx[27] is Double)
        let next = try #require(r.json["next_cursor"] as? String)
        let page2 = Self.rows(try s.get("/api/v1/indicators/AAPL?names=sma:20&from=1980-12-12&limit=40&cursor=\(next)"))
        #expect(page2.first?["timestamp"] as? String != rows.last?["timestamp"] as? String)
        #expect((page2.first?["timestamp"] as? String ?? "") > (rows.last?["timestamp"] as? String ?? "~"))
    }

    @Test func badIndicatorsAreNamed() throws {
        let s = try TestService(label: "indicators_bad")
        _ = try s.postJSON("/api/v1/symbols", #"{"symbol":"AAPL","name":"Apple","asset_class":"equity"}"#)
        for names in ["foo:3", "sma:0", "sma:20:5", "macd:26:12:9", "sma:abc", "sma:20,sma:20", "vwap"] {
            let r = try s.get("/api/v1/indicators/AAPL?names=\(names)")
            #expect(r.status == 400, "\(names)")
            let fields = (r.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            #expect(fields == ["names"], "\(names)")
        }
        #expect(try s.get("/api/v1/indicators/NOPE").status == 404)
        #expect(try s.get("/api/v1/indicators/AAPL?timeframe=2h").status == 400)
        let empty = try s.get("/api/v1/indicators/AAPL")
        #expect(empty.status == 200 && Self.rows(empty).isEmpty && empty.json["reason"] is String)
    }

    @Test func historicalChartRoute() throws {
        let (s, bars) = try Self.aapl()
        let r = try s.get("/api/v1/market-data/AAPL/historical?period=1y&interval=1d")
        #expect(r.status == 200)
        let data = try #require(r.json["data"] as? [[String: Any]])
        #expect(data.count > 240 && data.count < 260)
        let times = data.compactMap { $0["time"] as? Int }
        #expect(times == times.sorted() && Int64(times.last ?? 0) == bars.last?.timestamp)
        #expect(r.json["interval"] as? String == "1d" && r.json["period_end"] as? String == "2020-12-11T00:00:00Z")
        #expect((data.last?["close"] as? Double) == bars.last?.close)
        let weekly = try s.get("/api/v1/market-data/AAPL/historical?period=max&interval=1wk")
        #expect(weekly.status == 200 && (weekly.json["data"] as? [Any])?.isEmpty == true && weekly.json["reason"] is String)
        let bad = try s.get("/api/v1/market-data/AAPL/historical?period=3w&interval=2d")
        let fields = Set((bad.json["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
        #expect(bad.status == 400 && fields == ["period", "interval"])
    }
}
