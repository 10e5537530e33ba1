import Foundation
import HTTPClient
import Testing
import Market
@testable import MarketProviders

private func req(_ symbol: String, _ ac: AssetClass = .equity, _ tf: Timeframe = .d1) -> ProviderBarsRequest {
    ProviderBarsRequest(symbol: symbol, assetClass: ac, timeframe: tf, from: 0, to: 2_000_000_000)
}

private func body(_ s: String, _ status: Int = 200, _ headers: [(String, String)] = []) -> HTTPClientResponse {
    HTTPClientResponse(status: status, headers: headers, body: Array(s.utf8))
}

@Suite struct ProvidersYahooTests {
    let p = YahooProvider()

    @Test func dailyOK() throws {
        let page = try p.parse(try ProviderSamples.response("yahoo_chart_daily_ok.json"), for: req("AAPL"))
        #expect(page.bars.count == 127)
        #expect(page.nextURL == nil)
        let first = page.bars[0], last = page.bars[126]
        // 1746019800 = 2025-04-30 13:30Z (session open) → 2025-04-30 00:00Z.
        #expect(first == Bar(timestamp: 1_745_971_200, open: 209.3000030517578, high: 213.5800018310547,
                             low: 206.6699981689453, close: 212.5, volume: 52_286_500))
        // 1761768001 is the last trade time of 2025-10-29 → 2025-10-29 00:00Z.
        #expect(last == Bar(timestamp: 1_761_696_000, open: 269.2749938964844, high: 271.4100036621094,
                            low: 267.1099853515625, close: 269.70001220703125, volume: 43_332_154))
        #expect(page.bars.allSatisfy { $0.timestamp % 86_400 == 0 })
        #expect(zip(page.bars, page.bars.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp })
    }

    @Test func nullBarIsSkipped() throws {
        let page = try p.parse(try ProviderSamples.response("yahoo_chart_daily_nullbar.json"), for: req("WSU.DE"))
        #expect(page.bars.count == 2)
        // 07:00Z Berlin session opens → 2023-08-04 and 2023-08-08; the all-null 2023-08-07 is not invented.
        #expect(page.bars.map(\.timestamp) == [1_691_107_200, 1_691_452_800])
        #expect(page.bars[0] == Bar(timestamp: 1_691_107_200, open: 34.25, high: 34.54999923706055, low: 34.099998474121094,
                                    close: 34.45000076293945, volume: 1251))
        #expect(page.bars[1].close == 33.20000076293945 && page.bars[1].volume == 10846)
    }

    @Test func errorsAndEmpty() throws {
        expectProviderError(.notFound) { try p.parse(try ProviderSamples.response("yahoo_chart_notfound.json", status: 404), for: req("SI")) }
        expectProviderError(.noData) { try p.parse(try ProviderSamples.response("yahoo_chart_badrequest.json", status: 400), for: req("BEKE")) }
        expectProviderError(.noData) { try p.parse(try ProviderSamples.response("yahoo_chart_empty.json"), for: req("^VXAPL")) }
        expectProviderError(.badResponse) { try p.parse(try ProviderSamples.truncated("yahoo_chart_daily_ok.json"), for: req("AAPL")) }
        let e = expectProviderError(.rateLimited) {
            try p.parse(body("Edge: Too Many Requests", 429, [("retry-after", "7")]), for: req("AAPL"))
        }
        #expect(e?.retryAfter == 7)
        expectProviderError(.server) { try p.parse(body("<html>bad gateway</html>", 502), for: req("AAPL")) }
    }

    @Test func intradayLiveBarFloored() throws {
        // Two 5m bars from the session open; the second is stamped with a last-trade time (13:37:12Z).
        let json = #"{"chart":{"result":[{"meta":{"exchangeTimezoneName":"America/New_York","gmtoffset":-14400},"timestamp":[1746019800,1746020232],"indicators":{"quote":[{"open":[1,2],"high":[1,2],"low":[1,2],"close":[1,2],"volume":[10,20]}]}}],"error":null}}"#
        let page = try p.parse(body(json), for: req("AAPL", .equity, .m5))
        #expect(page.bars.map(\.timestamp) == [1_746_019_800, 1_746_020_100])
        // 60m bars sit on the :30 grid of the session open: a 15:37:32Z live bar belongs to 15:30Z.
        let hourly = json.replacingOccurrences(of: "1746020232", with: "1746027452")
        #expect(try p.parse(body(hourly), for: req("AAPL", .equity, .h1)).bars.map(\.timestamp) == [1_746_019_800, 1_746_027_000])
    }

    @Test func requestShape() {
        let r = p.makeRequests(ProviderBarsRequest(symbol: "AAPL", assetClass: .equity, timeframe: .d1, from: 100, to: 200),
                               apiKey: nil, baseURL: "http://127.0.0.1:9/")
        #expect(r.count == 1)
        #expect(r.first?.url == "http://127.0.0.1:9/v8/finance/chart/AAPL?period1=100&period2=201&interval=1d&includePrePost=false&events=div%7Csplit")
        // 1m is served 7 days per call.
        let m = p.makeRequests(ProviderBarsRequest(symbol: "AAPL", assetClass: .equity, timeframe: .m1, from: 0, to: 20 * 86_400 - 1),
                               apiKey: nil, baseURL: "http://x")
        #expect(m.count == 3)
        #expect(!p.supports(.equity, .h4))
    }
}

@Suite struct ProvidersAlphaVantageTests {
    let p = AlphaVantageProvider()

    @Test func intradayOK() throws {
        let page = try p.parse(try ProviderSamples.response("alphavantage_intraday_ok.json"), for: req("MSFT", .equity, .m1))
        #expect(page.bars.count == 100)
        // 2017-12-18 13:17 US/Eastern (EST) = 18:17Z.
        #expect(page.bars[0] == Bar(timestamp: 1_513_621_020, open: 86.8101, high: 86.82, low: 86.79, close: 86.8, volume: 31172))
        #expect(page.bars[99] == Bar(timestamp: 1_513_626_960, open: 86.49, high: 86.5, low: 86.475, close: 86.5, volume: 10494))
    }

    @Test func dailyOK() throws {
        let page = try p.parse(try ProviderSamples.response("alphavantage_daily_ok.json"), for: req("MSFT"))
        #expect(page.bars.count == 3)
        #expect(page.bars[0] == Bar(timestamp: 1_525_737_600, open: 95.8456, high: 96.16, low: 95.0631, close: 95.81, volume: 23_484_589))
        #expect(page.bars[2] == Bar(timestamp: 1_525_910_400, open: 97.46, high: 97.87, low: 97.05, close: 97.48, volume: 12_229_563))
    }

    @Test func errorsInsideHTTP200() throws {
        expectProviderError(.rateLimited) { try p.parse(try ProviderSamples.response("alphavantage_daily_note.json"), for: req("MSFT")) }
        expectProviderError(.notFound) { try p.parse(try ProviderSamples.response("alphavantage_fxdaily_error_message.json"), for: req("EUR")) }
        expectProviderError(.noData) { try p.parse(try ProviderSamples.response("alphavantage_daily_empty.json"), for: req("GBTC")) }
        // No recorded `Information` body exists; its presumed shape is a single key (SOURCES.md, gaps).
        let info = #"{"Information": "Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per day."}"#
        expectProviderError(.rateLimited) { try p.parse(body(info), for: req("MSFT")) }
        let premium = #"{"Information": "Thank you for using Alpha Vantage! This is a premium endpoint."}"#
        expectProviderError(.unauthorized) { try p.parse(body(premium), for: req("MSFT")) }
        expectProviderError(.badResponse) { try p.parse(try ProviderSamples.truncated("alphavantage_intraday_ok.json"), for: req("MSFT", .equity, .m1)) }
        expectProviderError(.badResponse) { try p.parse(body(#"{"Meta Data":{}}"#), for: req("MSFT")) }
    }

    @Test func requestShape() {
        let r = p.makeRequests(ProviderBarsRequest(symbol: "MSFT", assetClass: .equity, timeframe: .m1, from: 1_513_621_020, to: 1_518_000_000),
                               apiKey: "K1", baseURL: "http://h")
        #expect(r.count == 3)   // 2017-12, 2018-01, 2018-02
        #expect(r.first.map { $0.url.contains("month=2017-12") && $0.url.contains("apikey=K1") && $0.url.hasPrefix("http://h/query?") } == true)
        #expect(!p.supports(.crypto, .d1))
    }
}

@Suite struct ProvidersPolygonTests {
    let p = PolygonProvider()

    @Test func dailyOK() throws {
        let page = try p.parse(try ProviderSamples.response("polygon_aggs_daily_ok.json"), for: req("AAPL"))
        #expect(page.bars.count == 2)
        #expect(page.nextURL == nil)
        // 05:00Z and 04:00Z (midnight New York either side of DST) → 2005-04-01 and 2005-04-04.
        #expect(page.bars[0] == Bar(timestamp: 1_112_313_600, open: 1.5032, high: 1.5064, low: 1.4489, close: 1.4604, volume: 642_646_396))
        #expect(page.bars[1] == Bar(timestamp: 1_112_572_800, open: 1.4639, high: 1.4754, low: 1.4343, close: 1.4675, volume: 578_172_308))
    }

    @Test func paginationExample() throws {
        let page = try p.parse(try ProviderSamples.response("polygon_aggs_daily_ok_openapi_example.json"), for: req("AAPL"))
        #expect(page.bars.map(\.timestamp) == [1_577_923_200, 1_578_009_600])
        #expect(page.bars[1].close == 74.3575 && page.bars[1].volume == 146_535_512)
        let next = try #require(page.nextURL)
        #expect(next.hasPrefix("https://api.massive.com/v2/aggs/"))
        let follow = p.makeNextPageRequest(next, apiKey: "K", baseURL: "http://127.0.0.1:8080")
        #expect(follow.url == "http://127.0.0.1:8080/v2/aggs/ticker/AAPL/range/1/day/1578114000000/2020-01-10?cursor=bGltaXQ9MiZzb3J0PWFzYw")
        #expect(follow.headers.contains { $0.0 == "Authorization" && $0.1 == "Bearer K" })
    }

    @Test func errors() throws {
        expectProviderError(.unauthorized) { try p.parse(try ProviderSamples.response("polygon_not_authorized.json", status: 403), for: req("AAPL")) }
        expectProviderError(.unauthorized) { try p.parse(try ProviderSamples.response("polygon_not_authorized.json", status: 200), for: req("AAPL")) }
        expectProviderError(.badResponse) { try p.parse(try ProviderSamples.truncated("polygon_aggs_daily_ok.json"), for: req("AAPL")) }
        let empty = #"{"ticker":"AAPL","queryCount":0,"resultsCount":0,"adjusted":true,"status":"OK","request_id":"x"}"#
        expectProviderError(.noData) { try p.parse(body(empty), for: req("AAPL")) }
        expectProviderError(.rateLimited) { try p.parse(body(#"{"status":"ERROR","message":"exceeded"}"#, 429), for: req("AAPL")) }
    }

    @Test func keyNeverInURL() {
        let r = p.makeRequests(ProviderBarsRequest(symbol: "BTCUSD", assetClass: .crypto, timeframe: .m1, from: 60, to: 119),
                               apiKey: "SECRET", baseURL: "http://h")
        #expect(r.count == 1)
        #expect(r.first?.url == "http://h/v2/aggs/ticker/X%3ABTCUSD/range/1/minute/60000/119999?adjusted=true&sort=asc&limit=50000")
    }
}

@Suite struct ProvidersFinnhubTests {
    let p = FinnhubProvider()

    @Test func candlesOK() throws {
        let page = try p.parse(try ProviderSamples.response("finnhub_candle_ok.json"), for: req("AAPL"))
        #expect(page.bars.count == 3)
        // 04:00Z = midnight New York (EDT) → 2019-09-24 … 2019-09-26.
        #expect(page.bars[0] == Bar(timestamp: 1_569_283_200, open: 221.03, high: 222.49, low: 217.19, close: 217.68, volume: 33_463_820))
        #expect(page.bars[2] == Bar(timestamp: 1_569_456_000, open: 220, high: 220.94, low: 218.83, close: 219.89, volume: 20_730_608))
    }

    @Test func errors() throws {
        expectProviderError(.noData) { try p.parse(try ProviderSamples.response("finnhub_candle_no_data.json"), for: req("FB")) }
        expectProviderError(.unauthorized) { try p.parse(try ProviderSamples.response("finnhub_candle_no_access.json", status: 403), for: req("MSFT")) }
        expectProviderError(.unauthorized) { try p.parse(try ProviderSamples.response("finnhub_candle_no_access.json", status: 200), for: req("MSFT")) }
        expectProviderError(.badResponse) { try p.parse(try ProviderSamples.truncated("finnhub_candle_ok.json"), for: req("AAPL")) }
        let limit = #"{"error":"API limit reached. Please try again later. Remaining Limit: 0"}"#
        expectProviderError(.rateLimited) { try p.parse(body(limit, 429), for: req("AAPL")) }
        expectProviderError(.badResponse) { try p.parse(body(#"{"s":"ok","t":[1,2],"o":[1],"h":[1,2],"l":[1,2],"c":[1,2],"v":[1,2]}"#), for: req("AAPL")) }
    }
}

@Suite struct ProvidersBinanceTests {
    @Test func allClosedBarsWhenRangeIsPast() throws {
        let p = BinanceProvider(now: { 1_700_000_000 })
        let page = try p.parse(try ProviderSamples.response("binance_klines_ok.json"), for: req("BTCUSDT", .crypto, .m1))
        #expect(page.bars.count == 10)
        #expect(page.bars[0] == Bar(timestamp: 1_634_943_780, open: 60685.22, high: 60729.84, low: 60670.90, close: 60719.27, volume: 21.63272))
        #expect(page.bars[9] == Bar(timestamp: 1_634_944_320, open: 60739.85, high: 60739.85, low: 60739.85, close: 60739.85, volume: 0.04734))
    }

    @Test func formingBarDroppedWhenRangeReachesNow() throws {
        // Recorded during the minute 23:12Z: the last kline (close 1634944379999) is still forming.
        let p = BinanceProvider(now: { 1_634_944_330 })
        let page = try p.parse(try ProviderSamples.response("binance_klines_ok.json"), for: req("BTCUSDT", .crypto, .m1))
        #expect(page.bars.count == 9)
        #expect(page.bars.last?.timestamp == 1_634_944_260)
        #expect(page.bars.last?.close == 60739.85 && page.bars.last?.volume == 5.31675)
    }

    @Test func errors() throws {
        let p = BinanceProvider()
        expectProviderError(.notFound) {
            try p.parse(try ProviderSamples.response("binance_error_invalid_symbol.json", status: 400), for: req("XX", .crypto, .m1))
        }
        expectProviderError(.badResponse) { try p.parse(try ProviderSamples.truncated("binance_klines_ok.json"), for: req("BTCUSDT", .crypto, .m1)) }
        expectProviderError(.noData) { try p.parse(body("[]"), for: req("BTCUSDT", .crypto, .m1)) }
        let e = expectProviderError(.rateLimited) {
            try p.parse(body(#"{"code":-1003,"msg":"Too many requests."}"#, 429, [("Retry-After", "12")]), for: req("BTCUSDT", .crypto, .m1))
        }
        #expect(e?.retryAfter == 12)
    }

    @Test func windowsOf1000() {
        let r = BinanceProvider().makeRequests(ProviderBarsRequest(symbol: "btcusdt", assetClass: .crypto, timeframe: .m1, from: 0, to: 2500 * 60 - 1),
                                               apiKey: nil, baseURL: "http://h")
        #expect(r.count == 3)
        #expect(r.first?.url == "http://h/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=0&endTime=59999999&limit=1000")
    }
}

@Suite struct ProvidersStooqTests {
    let p = StooqProvider()
    // No recorded Stooq body exists (SOURCES.md, gaps): this is the documented CSV layout.
    let csv = "Date,Open,High,Low,Close,Volume\r\n2024-01-02,187.15,188.44,183.885,185.64,82488700\r\n2024-01-03,184.22,185.88,183.43,184.25,58414500\r\n"

    @Test func csvOK() throws {
        let page = try p.parse(body(csv), for: req("AAPL"))
        #expect(page.bars.count == 2)
        #expect(page.bars[0] == Bar(timestamp: 1_704_153_600, open: 187.15, high: 188.44, low: 183.885, close: 185.64, volume: 82_488_700))
        #expect(page.bars[1].timestamp == 1_704_240_000)
    }

    @Test func refusesNonCSV() throws {
        let html = "<!DOCTYPE html><html><body>Get your apikey …</body></html>"
        expectProviderError(.badResponse) { try p.parse(body(html), for: req("AAPL")) }
        expectProviderError(.unauthorized) { try p.parse(body(html, 403), for: req("AAPL")) }
        expectProviderError(.noData) { try p.parse(body("No data"), for: req("AAPL")) }
        expectProviderError(.rateLimited) { try p.parse(body("Exceeded the daily hits limit"), for: req("AAPL")) }
        let cut = String(csv.prefix(csv.count - 12))
        expectProviderError(.badResponse) { try p.parse(body(cut), for: req("AAPL")) }
        expectProviderError(.badResponse) { try p.parse(body("a,b,c\n1,2,3"), for: req("AAPL")) }
    }

    @Test func requestShape() {
        let r = p.makeRequests(ProviderBarsRequest(symbol: "AAPL", assetClass: .equity, timeframe: .d1, from: 1_704_153_600, to: 1_704_240_000),
                               apiKey: "k", baseURL: "http://h")
        #expect(r.map(\.url) == ["http://h/q/d/l/?s=aapl.us&i=d&d1=20240102&d2=20240103&apikey=k"])
    }
}

@Suite struct ProvidersRegistryTests {
    @Test func names() {
        #expect(Providers.all.map(\.name) == ["yahoo", "alphavantage", "polygon", "finnhub", "binance", "stooq"])
        #expect(Providers.named("Polygon")?.name == "polygon")
        #expect(Providers.named("nope") == nil)
    }
}

/// An upstream's `Retry-After` is outside input: absurd, infinite or garbage values must neither trap
/// the process (they once reached `Int(_:)`) nor block a provider for ever.
@Suite struct RetryAfterParsingTests {
    @Test func hostileValuesAreClampedOrIgnored() {
        #expect(ProviderSupport.retryAfter(header: "7") == 7)
        #expect(ProviderSupport.retryAfter(header: " 2.5 ") == 2.5)
        #expect(ProviderSupport.retryAfter(header: "-3") == 0)
        #expect(ProviderSupport.retryAfter(header: "1e20") == ProviderSupport.maxRetryAfter)
        #expect(ProviderSupport.retryAfter(header: "inf") == ProviderSupport.maxRetryAfter)
        #expect(ProviderSupport.retryAfter(header: "nan") == nil)
        #expect(ProviderSupport.retryAfter(header: "soon") == nil)
        #expect(ProviderSupport.retryAfter(header: nil) == nil)
        #expect(ProviderSupport.retryAfter(header: "Fri, 31 Dec 9999 23:59:59 GMT") == ProviderSupport.maxRetryAfter)
        // What the chain does with the largest value stays finite and convertible.
        let wait = ProviderSupport.maxRetryAfter
        #expect(Int(exactly: wait.rounded(.up)) != nil)
    }
}
