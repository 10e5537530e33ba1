import Foundation
import HTTPClient
import Testing
import Market
@testable import MarketProviders

// Every adapter against `ProviderStubServer` through the real libcurl `HTTPClient` and the real `ProviderChain`,
// configured only through `ProviderConfiguration.fromEnvironment` with `GS_<P>_BASE_URL` pointing at the stub.
// Time is a `FakeClock` injected into the chain, so retries and Retry-After never really sleep.

/// A running stub, a fake clock and a call log; `chain(_:)` builds a chain from environment variables.
final class ProviderStubRig: @unchecked Sendable {
    let stub: ProviderStubServer
    let clock = FakeClock()
    let log = CallLog()
    let client = HTTPClient()

    init() throws { stub = try ProviderStubServer() }

    /// Environment with EVERY provider's base URL on the stub (nothing can reach production), the given keys
    /// (`GS_<P>_KEYS`), orders (`GS_PROVIDER_ORDER_<CLASS>`) and extra variables.
    func env(keys: [String: String] = [:], order: [AssetClass: [String]], extra: [String: String] = [:]) -> [String: String] {
        var env: [String: String] = [:]
        for p in Providers.all { env["GS_\(p.name.uppercased())_BASE_URL"] = stub.baseURL }
        for (p, k) in keys { env["GS_\(p.uppercased())_KEYS"] = k }
        for (ac, names) in order { env["GS_PROVIDER_ORDER_\(ac.rawValue.uppercased())"] = names.joined(separator: ",") }
        return env.merging(extra) { _, new in new }
    }

    func chain(_ env: [String: String], maxRetries: Int = 3) -> ProviderChain {
        let configuration = ProviderConfiguration.fromEnvironment(env)
        #expect(configuration.settings.values.allSatisfy { $0.baseURL == stub.baseURL })
        let log = self.log, clock = self.clock
        return ProviderChain(configuration: configuration, transport: client, record: { log.add($0) },
                             sleep: { clock.sleep($0) }, now: { clock.now }, maxRetries: maxRetries)
    }

    deinit { stub.stop() }
}

private func request(_ symbol: String, _ ac: AssetClass, _ tf: Timeframe, _ from: Int64, _ to: Int64) -> ProviderBarsRequest {
    ProviderBarsRequest(symbol: symbol, assetClass: ac, timeframe: tf, from: from, to: to)
}

/// 2005-04-01 … 2005-04-04 (the Polygon client fixture's range).
private let aapl2005 = request("AAPL", .equity, .d1, 1_112_313_600, 1_112_659_199)
private let polygonFirst2005 = Bar(timestamp: 1_112_313_600, open: 1.5032, high: 1.5064, low: 1.4489, close: 1.4604, volume: 642_646_396)
private let polygonLast2005 = Bar(timestamp: 1_112_572_800, open: 1.4639, high: 1.4754, low: 1.4343, close: 1.4675, volume: 578_172_308)

/// A Stooq CSV. Inline: no recorded Stooq body exists anywhere (see SOURCES.md, "Gaps").
private let stooqCSV = "Date,Open,High,Low,Close,Volume\r\n2024-01-02,187.15,188.44,183.885,185.64,82488700\r\n2024-01-03,184.22,185.88,183.43,184.25,58414500\r\n"

/// What Stooq answers since 2026 without a key (shape per pandas-datareader#1012; no capture exists, so inline).
private let stooqHTML = """
<!DOCTYPE html>
<html><head><title>Stooq</title></head>
<body><p>Access to historical data requires an API key (apikey). Get your key at stooq.com.</p></body></html>
"""

/// Expects `body` to throw a `ProviderError` of `kind` (and, if given, with `status`); returns it.
@discardableResult
private func expectKind(_ kind: ProviderError.Kind, status: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: () throws -> ProviderFetchResult) -> ProviderError? {
    do {
        let r = try body()
        Issue.record("expected ProviderError.\(kind), got \(r.bars.count) bars from \(r.provider)", sourceLocation: sourceLocation)
        return nil
    } catch let e as ProviderError {
        #expect(e.kind == kind, "\(e)", sourceLocation: sourceLocation)
        if let status { #expect(e.httpStatus == status, "\(e)", sourceLocation: sourceLocation) }
        return e
    } catch {
        Issue.record("expected ProviderError.\(kind), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Fails if any recorded call or error text contains one of `keys`.
private func expectNoKeyText(_ calls: [ProviderCall], _ keys: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    for c in calls {
        let text = String(describing: c)
        for k in keys { #expect(!text.contains(k), "key text in a call record", sourceLocation: sourceLocation) }
    }
}

// MARK: - 1. Recorded OK samples over HTTP

struct StubOKCase: Sendable, CustomTestStringConvertible {
    var label: String
    var route: ProviderStubServer.Route
    var response: @Sendable () throws -> StubResponse
    var key: String?
    var request: ProviderBarsRequest
    var count: Int
    var first: Bar
    var last: Bar
    var testDescription: String { label }
}

private let okCases: [StubOKCase] = [
    StubOKCase(label: "yahoo daily", route: .yahoo, response: { try .sample("yahoo_chart_daily_ok.json") }, key: nil,
               request: request("AAPL", .equity, .d1, 1_745_971_200, 1_761_782_399), count: 127,
               first: Bar(timestamp: 1_745_971_200, open: 209.3000030517578, high: 213.5800018310547, low: 206.6699981689453,
                          close: 212.5, volume: 52_286_500),
               last: Bar(timestamp: 1_761_696_000, open: 269.2749938964844, high: 271.4100036621094, low: 267.1099853515625,
                         close: 269.70001220703125, volume: 43_332_154)),
    StubOKCase(label: "alphavantage daily", route: .alphavantage, response: { try .sample("alphavantage_daily_ok.json") }, key: "av-key-1",
               request: request("MSFT", .equity, .d1, 1_525_737_600, 1_525_996_799), count: 3,
               first: Bar(timestamp: 1_525_737_600, open: 95.8456, high: 96.16, low: 95.0631, close: 95.81, volume: 23_484_589),
               last: Bar(timestamp: 1_525_910_400, open: 97.46, high: 97.87, low: 97.05, close: 97.48, volume: 12_229_563)),
    // US/Eastern wall times in December are UTC-5: 13:17 → 18:17Z, 14:56 → 19:56Z.
    StubOKCase(label: "alphavantage intraday", route: .alphavantage, response: { try .sample("alphavantage_intraday_ok.json") },
               key: "av-key-1", request: request("MSFT", .equity, .m1, 1_513_621_020, 1_513_627_019), count: 100,
               first: Bar(timestamp: 1_513_621_020, open: 86.8101, high: 86.82, low: 86.79, close: 86.8, volume: 31_172),
               last: Bar(timestamp: 1_513_626_960, open: 86.49, high: 86.5, low: 86.475, close: 86.5, volume: 10_494)),
    StubOKCase(label: "polygon daily", route: .polygon, response: { try .sample("polygon_aggs_daily_ok.json") }, key: "pg-key-1",
               request: aapl2005, count: 2, first: polygonFirst2005, last: polygonLast2005),
    StubOKCase(label: "finnhub daily", route: .finnhub, response: { try .sample("finnhub_candle_ok.json") }, key: "fh-key-1",
               request: request("AAPL", .equity, .d1, 1_569_283_200, 1_569_542_399), count: 3,
               first: Bar(timestamp: 1_569_283_200, open: 221.03, high: 222.49, low: 217.19, close: 217.68, volume: 33_463_820),
               last: Bar(timestamp: 1_569_456_000, open: 220, high: 220.94, low: 218.83, close: 219.89, volume: 20_730_608)),
    StubOKCase(label: "binance 1m", route: .binance, response: { try .sample("binance_klines_ok.json") }, key: nil,
               request: request("BTCUSDT", .crypto, .m1, 1_634_943_780, 1_634_944_379), count: 10,
               first: Bar(timestamp: 1_634_943_780, open: 60685.22, high: 60729.84, low: 60670.90, close: 60719.27, volume: 21.63272),
               last: Bar(timestamp: 1_634_944_320, open: 60739.85, high: 60739.85, low: 60739.85, close: 60739.85, volume: 0.04734)),
    StubOKCase(label: "stooq daily (inline CSV)", route: .stooq, response: { .text(stooqCSV, contentType: "text/csv") }, key: "sq-key-1",
               request: request("AAPL", .equity, .d1, 1_704_153_600, 1_704_326_399), count: 2,
               first: Bar(timestamp: 1_704_153_600, open: 187.15, high: 188.44, low: 183.885, close: 185.64, volume: 82_488_700),
               last: Bar(timestamp: 1_704_240_000, open: 184.22, high: 185.88, low: 183.43, close: 184.25, volume: 58_414_500)),
]

@Suite(.serialized) struct ProviderStubOKTests {
    @Test(arguments: okCases)
    func adapterParsesItsRecordedSampleOverHTTP(_ c: StubOKCase) throws {
        let rig = try ProviderStubRig()
        let name = c.route.rawValue
        rig.stub.enqueue(c.route, try c.response())
        let keys = c.key.map { [name: "\($0),second-key"] } ?? [:]
        let chain = rig.chain(rig.env(keys: keys, order: [c.request.assetClass: [name]]))
        let result = try chain.fetch(c.request)

        #expect(result.provider == name)
        #expect(result.bars.count == c.count)
        #expect(result.bars.first == c.first)
        #expect(result.bars.last == c.last)
        #expect(zip(result.bars, result.bars.dropFirst()).allSatisfy { $0.timestamp < $1.timestamp })

        let seen = rig.stub.requests(c.route)
        #expect(seen.count == 1 && rig.stub.requests.count == 1 && rig.stub.unscripted == 0)
        #expect(seen.first?.apiKey == c.key)   // the first key slot; keyless providers send none
        if let key = c.key, c.route == .polygon || c.route == .finnhub {
            #expect(!(seen.first?.target.contains(key) ?? true), "header-authenticated key leaked into the URL")
        }
        #expect(rig.log.calls.map(\.keySlot) == [c.key == nil ? nil : 0])
        #expect(rig.log.calls.map(\.bars) == [c.count] && rig.log.calls.map(\.httpStatus) == [200])
    }

    @Test func yahooNullBarIsSkippedNotInvented() throws {
        let rig = try ProviderStubRig()
        rig.stub.enqueue(.yahoo, try .sample("yahoo_chart_daily_nullbar.json"))
        let chain = rig.chain(rig.env(order: [.equity: ["yahoo"]]))
        // 2023-08-04 … 2023-08-08; the all-null 2023-08-07 bar must not appear.
        let result = try chain.fetch(request("WSU.DE", .equity, .d1, 1_691_107_200, 1_691_539_199))
        #expect(result.bars.map(\.timestamp) == [1_691_107_200, 1_691_452_800])
        #expect(result.bars.last?.close == 33.20000076293945)
        #expect(rig.stub.requests(.yahoo).first?.pathParameters["symbol"] == "WSU.DE")
    }

    @Test func requestsReachTheStubOnEachProvidersPath() throws {
        let rig = try ProviderStubRig()
        for c in okCases { rig.stub.enqueue(c.route, try c.response()) }
        for c in okCases {
            let name = c.route.rawValue
            let chain = rig.chain(rig.env(keys: c.key.map { [name: $0] } ?? [:], order: [c.request.assetClass: [name]]))
            _ = try chain.fetch(c.request)
        }
        let r = rig.stub.requests
        #expect(r.count == okCases.count)
        #expect(r.first { $0.route == .yahoo }?.pathParameters["symbol"] == "AAPL")
        #expect(r.first { $0.route == .yahoo }?.query["interval"] == "1d")
        #expect(r.filter { $0.route == .alphavantage }.map { $0.query["function"] ?? "" } == ["TIME_SERIES_DAILY", "TIME_SERIES_INTRADAY"])
        #expect(r.last { $0.route == .alphavantage }?.query["month"] == "2017-12")
        #expect(r.first { $0.route == .polygon }?.pathParameters == ["ticker": "AAPL", "multiplier": "1", "timespan": "day",
                                                                    "from": "2005-04-01", "to": "2005-04-04"])
        #expect(r.first { $0.route == .finnhub }?.pathParameters["kind"] == "stock")
        #expect(r.first { $0.route == .finnhub }?.query["resolution"] == "D")
        #expect(r.first { $0.route == .binance }?.query["symbol"] == "BTCUSDT")
        #expect(r.first { $0.route == .stooq }?.query["s"] == "aapl.us")
        // A failing expectation prints requests with their credentials redacted.
        #expect(r.allSatisfy { !$0.description.contains("-key-1") })
    }
}

// MARK: - 2. Recorded error and empty samples

struct StubErrorCase: Sendable, CustomTestStringConvertible {
    var label: String
    var route: ProviderStubServer.Route
    var response: @Sendable () throws -> StubResponse
    var kind: ProviderError.Kind
    var status: Int
    var testDescription: String { label }
}

private let errorCases: [StubErrorCase] = [
    StubErrorCase(label: "yahoo 404 Not Found", route: .yahoo, response: { try .sample("yahoo_chart_notfound.json", status: 404) },
                  kind: .notFound, status: 404),
    StubErrorCase(label: "yahoo 400 Data doesn't exist", route: .yahoo, response: { try .sample("yahoo_chart_badrequest.json", status: 400) },
                  kind: .noData, status: 400),
    StubErrorCase(label: "yahoo empty result", route: .yahoo, response: { try .sample("yahoo_chart_empty.json") }, kind: .noData, status: 200),
    StubErrorCase(label: "yahoo 429 plain text", route: .yahoo,
                  response: { .text("Edge: Too Many Requests", status: 429, headers: [("Retry-After", "0")]) }, kind: .rateLimited, status: 429),
    StubErrorCase(label: "alphavantage Note", route: .alphavantage, response: { try .sample("alphavantage_daily_note.json") },
                  kind: .rateLimited, status: 200),
    StubErrorCase(label: "alphavantage Error Message", route: .alphavantage,
                  response: { try .sample("alphavantage_fxdaily_error_message.json") }, kind: .notFound, status: 200),
    StubErrorCase(label: "alphavantage {}", route: .alphavantage, response: { try .sample("alphavantage_daily_empty.json") },
                  kind: .noData, status: 200),
    StubErrorCase(label: "polygon NOT_AUTHORIZED 403", route: .polygon, response: { try .sample("polygon_not_authorized.json", status: 403) },
                  kind: .unauthorized, status: 403),
    StubErrorCase(label: "finnhub no_data", route: .finnhub, response: { try .sample("finnhub_candle_no_data.json") }, kind: .noData, status: 200),
    StubErrorCase(label: "finnhub no access 403", route: .finnhub, response: { try .sample("finnhub_candle_no_access.json", status: 403) },
                  kind: .unauthorized, status: 403),
    StubErrorCase(label: "finnhub no access 200", route: .finnhub, response: { try .sample("finnhub_candle_no_access.json") },
                  kind: .unauthorized, status: 200),
    StubErrorCase(label: "binance -1121 400", route: .binance, response: { try .sample("binance_error_invalid_symbol.json", status: 400) },
                  kind: .notFound, status: 400),
]

/// Answers with no recorded body anywhere (SOURCES.md "Gaps"): shapes from docs and issue threads, written inline.
private let inlineErrorCases: [StubErrorCase] = [
    StubErrorCase(label: "binance -1003 429 (inline, docs template)", route: .binance,
                  response: { .json(#"{"code":-1003,"msg":"Too many requests; current limit is 6000 request weight per 1 MINUTE."}"#,
                                    status: 429, headers: [("Retry-After", "1")]) }, kind: .rateLimited, status: 429),
    StubErrorCase(label: "binance [] (inline)", route: .binance, response: { .json("[]") }, kind: .noData, status: 200),
    StubErrorCase(label: "polygon resultsCount 0 (inline)", route: .polygon,
                  response: { .json(#"{"ticker":"AAPL","queryCount":0,"resultsCount":0,"adjusted":true,"status":"OK","request_id":"x"}"#) },
                  kind: .noData, status: 200),
    StubErrorCase(label: "finnhub 429 limit text (inline)", route: .finnhub,
                  response: { .json(#"{"error":"API limit reached. Please try again later. Remaining Limit: 0"}"#, status: 429,
                                    headers: [("Retry-After", "1")]) }, kind: .rateLimited, status: 429),
    StubErrorCase(label: "alphavantage Information premium (inline, unverified shape)", route: .alphavantage,
                  response: { .json(#"{"Information":"Thank you for using Alpha Vantage! This is a premium endpoint. You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly unlock all premium endpoints"}"#) },
                  kind: .unauthorized, status: 200),
    StubErrorCase(label: "alphavantage Information daily limit (inline, unverified shape)", route: .alphavantage,
                  response: { .json(#"{"Information":"We have detected your API key as XXXX and our standard API rate limit is 25 requests per day."}"#) },
                  kind: .rateLimited, status: 200),
    StubErrorCase(label: "stooq No data (inline)", route: .stooq, response: { .text("No data") }, kind: .noData, status: 200),
]

private func defaultRequest(_ route: ProviderStubServer.Route) -> ProviderBarsRequest {
    route == .binance ? request("BTCUSDT", .crypto, .m1, 1_634_943_780, 1_634_944_379) : aapl2005
}

@Suite(.serialized) struct ProviderStubErrorTests {
    @Test(arguments: errorCases + inlineErrorCases)
    func recordedErrorGivesItsKind(_ c: StubErrorCase) throws {
        let rig = try ProviderStubRig()
        let name = c.route.rawValue
        rig.stub.setFallback(c.route, try c.response())   // the same answer on every retry
        let r = defaultRequest(c.route)
        let chain = rig.chain(rig.env(keys: [name: "err-key"], order: [r.assetClass: [name]]))
        let e = expectKind(c.kind, status: c.status) { try chain.fetch(r) }
        #expect(e?.provider == name)
        // Only throttling is retried (1 + maxRetries calls); a definite answer is asked once.
        let expectedCalls = c.kind == .rateLimited ? 4 : 1
        #expect(rig.stub.requests(c.route).count == expectedCalls)
        #expect(rig.log.calls.count == expectedCalls && rig.log.calls.allSatisfy { $0.bars == 0 && $0.error != nil })
        expectNoKeyText(rig.log.calls, ["err-key"])
        #expect(!(e?.description.contains("err-key") ?? false))
    }
}

// MARK: - 3–5. Failover, key rotation, Retry-After

struct StubFailure: Sendable, CustomTestStringConvertible {
    var label: String
    var response: StubResponse
    var status: Int
    var testDescription: String { label }
}

@Suite(.serialized) struct ProviderStubChainTests {
    @Test(arguments: [
        StubFailure(label: "429 Retry-After: 0", response: .text("Edge: Too Many Requests", status: 429, headers: [("Retry-After", "0")]),
                    status: 429),
        StubFailure(label: "500", response: .text("<html><body>Internal Server Error</body></html>", status: 500, contentType: "text/html"),
                    status: 500),
    ])
    func failsOverWhenRetriesAreExhausted(_ failure: StubFailure) throws {
        let rig = try ProviderStubRig()
        rig.stub.setFallback(.yahoo, failure.response)
        rig.stub.enqueue(.polygon, try .sample("polygon_aggs_daily_ok.json"))
        let chain = rig.chain(rig.env(keys: ["polygon": "pk-alpha,pk-beta"], order: [.equity: ["yahoo", "polygon"]]))
        let result = try chain.fetch(aapl2005)

        #expect(result.provider == "polygon")
        #expect(result.bars == [polygonFirst2005, polygonLast2005])
        #expect(rig.stub.requests(.yahoo).count == 4)     // 1 + maxRetries
        #expect(rig.stub.requests(.polygon).count == 1)
        #expect(rig.stub.requests(.polygon).first?.apiKey == "pk-alpha")
        let calls = rig.log.calls
        #expect(calls.map(\.provider) == ["yahoo", "yahoo", "yahoo", "yahoo", "polygon"])
        #expect(calls.map(\.keySlot) == [nil, nil, nil, nil, 0])
        #expect(calls.map(\.httpStatus) == [failure.status, failure.status, failure.status, failure.status, 200])
        #expect(calls.map(\.bars) == [0, 0, 0, 0, 2])
        expectNoKeyText(calls, ["pk-alpha", "pk-beta"])
        #expect(rig.clock.sleeps.count == 3)                // backoff between the 4 Yahoo attempts, faked
    }

    @Test func polygonKeysRotateRoundRobin() throws {
        let rig = try ProviderStubRig()
        rig.stub.setFallback(.polygon, try .sample("polygon_aggs_daily_ok.json"))
        let chain = rig.chain(rig.env(keys: ["polygon": "k1,k2,k3"], order: [.equity: ["polygon"]]))
        for _ in 0..<4 { #expect(try chain.fetch(aapl2005).bars.count == 2) }
        let seen = rig.stub.requests(.polygon)
        #expect(seen.map { $0.header("Authorization") ?? "-" } == ["Bearer k1", "Bearer k2", "Bearer k3", "Bearer k1"])
        #expect(seen.allSatisfy { $0.query["apiKey"] == nil && !$0.target.contains("k1") })
        #expect(rig.log.calls.map(\.keySlot) == [0, 1, 2, 0])
    }

    @Test func alphaVantageKeysRotateInTheQuery() throws {
        let rig = try ProviderStubRig()
        rig.stub.setFallback(.alphavantage, try .sample("alphavantage_daily_ok.json"))
        let chain = rig.chain(rig.env(keys: ["alphavantage": "a1,a2"], order: [.equity: ["alphavantage"]]))
        let r = request("MSFT", .equity, .d1, 1_525_737_600, 1_525_996_799)
        for _ in 0..<3 { _ = try chain.fetch(r) }
        #expect(rig.stub.requests(.alphavantage).map { $0.query["apikey"] ?? "-" } == ["a1", "a2", "a1"])
        expectNoKeyText(rig.log.calls, ["a1", "a2"])
    }

    @Test func retryAfterIsHonouredOnTheSameProvider() throws {
        let rig = try ProviderStubRig()
        rig.stub.enqueue(.yahoo, .text("Edge: Too Many Requests", status: 429, headers: [("Retry-After", "1")]),
                         try .sample("yahoo_chart_daily_ok.json"))
        rig.stub.setFallback(.polygon, try .sample("polygon_aggs_daily_ok.json"))
        let chain = rig.chain(rig.env(keys: ["polygon": "pk"], order: [.equity: ["yahoo", "polygon"]]))
        let result = try chain.fetch(request("AAPL", .equity, .d1, 1_745_971_200, 1_761_782_399))
        #expect(result.provider == "yahoo" && result.bars.count == 127)
        #expect(rig.stub.requests(.yahoo).count == 2 && rig.stub.requests(.polygon).isEmpty)
        // Backoff (0.25–0.5 s with jitter) plus the rest of the Retry-After wait: the chain asked to sleep 1 s in all.
        let slept = rig.clock.sleeps.reduce(0, +)
        #expect(abs(slept - 1.0) < 1e-6, "slept \(rig.clock.sleeps)")
        // The chain waits only through its injected sleep (the fake clock above), never on the wall clock: no
        // elapsed-time bound is needed to show it did not really sleep.
        #expect(rig.log.calls.map(\.httpStatus) == [429, 200])
    }
}

// MARK: - 6. Truncated, oversized and foreign bodies

private let okSamples: [(ProviderStubServer.Route, String)] = [
    (.yahoo, "yahoo_chart_daily_ok.json"), (.alphavantage, "alphavantage_daily_ok.json"), (.polygon, "polygon_aggs_daily_ok.json"),
    (.finnhub, "finnhub_candle_ok.json"), (.binance, "binance_klines_ok.json"),
]

@Suite(.serialized) struct ProviderStubMalformedTests {
    @Test(arguments: okSamples.map(\.0))
    func truncatedSampleIsRefused(_ route: ProviderStubServer.Route) throws {
        let rig = try ProviderStubRig()
        let file = okSamples.first { $0.0 == route }!.1
        rig.stub.setFallback(route, try .truncatedSample(file))
        let r = defaultRequest(route)
        let chain = rig.chain(rig.env(keys: [route.rawValue: "key"], order: [r.assetClass: [route.rawValue]]))
        let e = expectKind(.badResponse, status: 200) { try chain.fetch(r) }
        #expect(e?.message.contains("truncated") == true)
        #expect(rig.stub.requests(route).count == 1)   // not retried: the provider did answer
    }

    @Test func truncatedYahooFallsOverWithoutInventedBars() throws {
        let rig = try ProviderStubRig()
        rig.stub.setFallback(.yahoo, try .truncatedSample("yahoo_chart_daily_ok.json"))
        rig.stub.enqueue(.polygon, try .sample("polygon_aggs_daily_ok.json"))
        let chain = rig.chain(rig.env(keys: ["polygon": "pk"], order: [.equity: ["yahoo", "polygon"]]))
        let result = try chain.fetch(aapl2005)
        #expect(result.provider == "polygon")
        #expect(result.bars == [polygonFirst2005, polygonLast2005])
        #expect(rig.log.calls.map(\.bars) == [0, 2])
    }

    @Test(arguments: [false, true])
    func bodyOverTheClientLimitIsRefused(_ streamed: Bool) throws {
        let rig = try ProviderStubRig()
        let size = (32 << 20) + 1   // HTTPClientRequest.maxResponseBytes default + 1
        rig.stub.setFallback(.yahoo, streamed ? .oversizedStreamed(size) : .oversized(size))
        let chain = rig.chain(rig.env(order: [.equity: ["yahoo"]]))
        let e = expectKind(.badResponse) { try chain.fetch(aapl2005) }
        #expect(e?.message.contains("tooLarge") == true, "\(String(describing: e))")
        #expect(rig.stub.requests(.yahoo).count == 1)
    }

    @Test(arguments: [(200, ProviderError.Kind.badResponse), (403, .unauthorized), (429, .rateLimited), (503, .server)])
    func stooqHTMLPageIsRefusedWhateverTheStatus(_ status: Int, _ kind: ProviderError.Kind) throws {
        let rig = try ProviderStubRig()
        rig.stub.setFallback(.stooq, .text(stooqHTML, status: status, contentType: "text/html; charset=utf-8",
                                           headers: status == 429 || status == 503 ? [("Retry-After", "0")] : []))
        let chain = rig.chain(rig.env(keys: ["stooq": "sq"], order: [.equity: ["stooq"]]))
        expectKind(kind, status: status) { try chain.fetch(request("AAPL", .equity, .d1, 1_704_153_600, 1_704_326_399)) }
        #expect(rig.log.calls.allSatisfy { $0.bars == 0 })
    }

    @Test func stooqTruncatedCSVRowIsRefused() throws {
        let rig = try ProviderStubRig()
        rig.stub.setFallback(.stooq, .text("Date,Open,High,Low,Close,Volume\n2024-01-02,187.15,188.44,183.885,185.64,82488700\n2024-01-03,184.22,18",
                                           contentType: "text/csv"))
        let chain = rig.chain(rig.env(keys: ["stooq": "sq"], order: [.equity: ["stooq"]]))
        expectKind(.badResponse) { try chain.fetch(request("AAPL", .equity, .d1, 1_704_153_600, 1_704_326_399)) }
    }

    /// Every adapter refuses, with status 200: an HTML page, an empty body, and another provider's well-formed body.
    @Test(arguments: ProviderStubServer.Route.allCases)
    func foreignBodiesAreRefused(_ route: ProviderStubServer.Route) throws {
        let foreign = route == .polygon ? "finnhub_candle_ok.json" : "polygon_aggs_daily_ok.json"
        let rig = try ProviderStubRig()
        rig.stub.enqueue(route, .text(stooqHTML, contentType: "text/html"), .text(""), try .sample(foreign))
        let r = route == .stooq ? request("AAPL", .equity, .d1, 1_112_313_600, 1_112_659_199) : defaultRequest(route)
        let chain = rig.chain(rig.env(keys: [route.rawValue: "key"], order: [r.assetClass: [route.rawValue]]))
        for _ in 0..<3 { expectKind(.badResponse, status: 200) { try chain.fetch(r) } }
        #expect(rig.stub.requests(route).count == 3 && rig.stub.unscripted == 0)
    }
}

// MARK: - 7. Polygon pagination

@Suite(.serialized) struct ProviderStubPaginationTests {
    /// Page 2 is inline (no recorded second page exists): two more bars, no `next_url`.
    static let secondPage = #"{"ticker":"AAPL","queryCount":2,"resultsCount":2,"adjusted":true,"results":[{"v":80000000,"vw":74.9,"o":74.0,"c":74.95,"h":75.2,"l":73.9,"t":1578286800000,"n":1},{"v":90000000,"vw":75.1,"o":75.0,"c":74.6,"h":75.5,"l":74.4,"t":1578373200000,"n":1}],"status":"OK","request_id":"stub-page-2"}"#

    @Test(arguments: [false, true])
    func nextURLIsFollowedOnTheStub(_ pointAtStub: Bool) throws {
        let rig = try ProviderStubRig()
        var first = try StubResponse.sample("polygon_aggs_daily_ok_openapi_example.json")
        if pointAtStub {
            // next_url rewritten to the stub itself; otherwise the recorded https://api.massive.com URL must be rebased.
            first.body = Array(String(decoding: first.body, as: UTF8.self)
                .replacingOccurrences(of: "https://api.massive.com", with: rig.stub.baseURL).utf8)
        }
        rig.stub.enqueue(.polygon, first, .json(Self.secondPage))
        let chain = rig.chain(rig.env(keys: ["polygon": "pk1"], order: [.equity: ["polygon"]]))
        let result = try chain.fetch(request("AAPL", .equity, .d1, 1_577_923_200, 1_578_700_799))   // 2020-01-02 … 2020-01-10

        #expect(result.bars.map(\.timestamp) == [1_577_923_200, 1_578_009_600, 1_578_268_800, 1_578_355_200])
        #expect(result.bars.first == Bar(timestamp: 1_577_923_200, open: 74.06, high: 75.15, low: 73.7975, close: 75.0875, volume: 135_647_456))
        #expect(result.bars.last?.close == 74.6)
        let seen = rig.stub.requests(.polygon)
        #expect(seen.count == 2)
        #expect(seen.last?.pathParameters["from"] == "1578114000000" && seen.last?.pathParameters["to"] == "2020-01-10")
        #expect(seen.last?.query["cursor"] == "bGltaXQ9MiZzb3J0PWFzYw")
        #expect(seen.allSatisfy { $0.header("Authorization") == "Bearer pk1" })
        #expect(rig.log.calls.map(\.bars) == [2, 2])
    }
}

// MARK: - 8. Backfill resumes from its checkpoint

@Suite(.serialized) struct ProviderStubBackfillTests {
    @Test func interruptedBackfillResumesFromCheckpoint() throws {
        let rig = try ProviderStubRig()
        let store = InMemoryCheckpointStore()
        let env = rig.env(keys: ["polygon": "pk"], order: [.equity: ["polygon"]], extra: ["GS_POLYGON_RATE_LIMIT": "1000/1"])
        let day: Int64 = 86_400
        let from: Int64 = 1_112_313_600, to: Int64 = 1_112_313_600 + 6 * day - 1   // 2005-04-01 … 2005-04-06, 2-day chunks
        let stored = BarSink()
        let ok = try StubResponse.sample("polygon_aggs_daily_ok.json")
        let fail = StubResponse.text("<html>Internal Server Error</html>", status: 500, contentType: "text/html")

        // Run 1: chunk 1 stores 2005-04-01, chunk 2 fails on every retry → the run stops with the checkpoint at the end
        // of the newest bar stored (2005-04-01; 04-02 brought nothing, so nothing says it is complete).
        rig.stub.enqueue(.polygon, [ok, fail, fail, fail, fail])
        let run1 = Backfill(chain: rig.chain(env), checkpoints: store, chunkSeconds: 2 * day)
        #expect(throws: ProviderError.self) {
            try run1.run(symbol: "AAPL", assetClass: .equity, timeframe: .d1, from: from, to: to) { bars, p in stored.add(bars, p) }
        }
        #expect(try store.checkpoint(symbol: "AAPL", timeframe: .d1) == from + day - 1)
        #expect(stored.bars == [polygonFirst2005])
        #expect(rig.stub.requests(.polygon).count == 5 && rig.stub.pending(.polygon) == 0)

        // Run 2 (a fresh chain, as after a restart): resumes on 04-02. Its first chunk has no bars (a weekend) and leaves
        // the checkpoint; the next stores 04-04 and carries the checkpoint past the weekend; the last (04-06) has no
        // bars, so the checkpoint stays at the end of 04-04: no data there may be a provider that has not published yet.
        rig.stub.enqueue(.polygon, [ok, ok, ok])
        let run2 = Backfill(chain: rig.chain(env), checkpoints: store, chunkSeconds: 2 * day)
        let outcome = try run2.run(symbol: "AAPL", assetClass: .equity, timeframe: .d1, from: from, to: to) { bars, p in stored.add(bars, p) }
        #expect(outcome.bars == 1 && outcome.chunks == 3)
        let resumed = rig.stub.requests(.polygon).dropFirst(5)
        #expect(resumed.map { $0.pathParameters["from"] ?? "-" } == ["2005-04-02", "2005-04-04", "2005-04-06"])
        #expect(stored.bars == [polygonFirst2005, polygonLast2005])
        #expect(stored.providers == ["polygon", "polygon"])
        #expect(try store.checkpoint(symbol: "AAPL", timeframe: .d1) == from + 4 * day - 1)

        // Run 3: only the tail after the newest bar is asked again; it is still empty and stores nothing.
        rig.stub.enqueue(.polygon, [ok])
        let run3 = Backfill(chain: rig.chain(env), checkpoints: store, chunkSeconds: 2 * day)
        let idle = try run3.run(symbol: "AAPL", assetClass: .equity, timeframe: .d1, from: from, to: to) { bars, p in stored.add(bars, p) }
        #expect(idle.bars == 0 && idle.chunks == 1)
        #expect(rig.stub.requests(.polygon).last?.pathParameters["from"] == "2005-04-05")
        #expect(rig.stub.requests(.polygon).count == 9 && rig.stub.unscripted == 0)
        #expect(try store.checkpoint(symbol: "AAPL", timeframe: .d1) == from + 4 * day - 1)
    }
}

private final class BarSink: @unchecked Sendable {
    private let lock = NSLock()
    private var _bars: [Bar] = []
    private var _providers: [String] = []
    var bars: [Bar] { lock.lock(); defer { lock.unlock() }; return _bars }
    var providers: [String] { lock.lock(); defer { lock.unlock() }; return _providers }
    func add(_ bars: [Bar], _ provider: String) { lock.lock(); _bars += bars; _providers.append(provider); lock.unlock() }
}
