import Dispatch
import Foundation
import HTTPClient
import Testing
import Market
@testable import MarketProviders

/// A scripted transport: `handler` answers each request; every request is kept.
final class FakeTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var _requests: [HTTPClientRequest] = []
    private let handler: @Sendable (HTTPClientRequest, Int) throws -> HTTPClientResponse

    init(_ handler: @escaping @Sendable (HTTPClientRequest, Int) throws -> HTTPClientResponse) { self.handler = handler }

    var requests: [HTTPClientRequest] { lock.lock(); defer { lock.unlock() }; return _requests }

    func send(_ request: HTTPClientRequest) throws -> HTTPClientResponse {
        lock.lock()
        _requests.append(request)
        let n = _requests.count - 1
        lock.unlock()
        return try handler(request, n)
    }
}

/// A fake clock; `sleep` advances it and remembers each sleep.
final class FakeClock: @unchecked Sendable {
    private let lock = NSLock()
    private var t: Double
    private var _sleeps: [Double] = []
    init(_ start: Double = 1_000_000) { t = start }
    var now: Double { lock.lock(); defer { lock.unlock() }; return t }
    var sleeps: [Double] { lock.lock(); defer { lock.unlock() }; return _sleeps }
    func sleep(_ s: Double) { lock.lock(); _sleeps.append(s); t += max(0, s); lock.unlock() }
    func advance(_ s: Double) { lock.lock(); t += s; lock.unlock() }
}

final class CallLog: @unchecked Sendable {
    private let lock = NSLock()
    private var _calls: [ProviderCall] = []
    var calls: [ProviderCall] { lock.lock(); defer { lock.unlock() }; return _calls }
    func add(_ c: ProviderCall) { lock.lock(); _calls.append(c); lock.unlock() }
}

private func query(_ url: String) -> [String: String] {
    guard let q = url.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
    var out: [String: String] = [:]
    for part in q.split(separator: "&") {
        let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
        out[kv[0]] = kv.count > 1 ? (kv[1].removingPercentEncoding ?? kv[1]) : ""
    }
    return out
}

private let aaplDaily2005 = ProviderBarsRequest(symbol: "AAPL", assetClass: .equity, timeframe: .d1, from: 1_112_313_600, to: 1_112_572_800)

private func sample(_ name: String, _ status: Int = 200) -> HTTPClientResponse {
    (try? ProviderSamples.response(name, status: status)) ?? HTTPClientResponse(status: 599)
}

private func config(_ entries: [ProviderSettings], order: [String], for ac: AssetClass = .equity) -> ProviderConfiguration {
    var s: [String: ProviderSettings] = [:]
    for e in entries { s[e.provider.name] = e }
    return ProviderConfiguration(settings: s, order: [ac: order])
}

private let generous = RateLimit(requests: 1000, perSeconds: 1)

private func bearer(_ r: HTTPClientRequest) -> String? {
    r.headers.first { $0.0 == "Authorization" }?.1
}

@Suite struct ProvidersChainTests {
    @Test func failsOverOn429ThenRecordsEveryCall() throws {
        let clock = FakeClock(), log = CallLog()
        let transport = FakeTransport { r, _ in
            r.url.contains("/v8/finance/chart/") ? HTTPClientResponse(status: 429, body: Array("Edge: Too Many Requests".utf8))
                : sample("polygon_aggs_daily_ok.json")
        }
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: YahooProvider(), rateLimit: generous),
                                   ProviderSettings(provider: PolygonProvider(), keys: ["pk-secret"], rateLimit: generous)],
                                  order: ["yahoo", "polygon"]),
            transport: transport, record: { log.add($0) }, sleep: { clock.sleep($0) }, now: { clock.now }, maxRetries: 2)
        let result = try chain.fetch(aaplDaily2005)
        #expect(result.provider == "polygon")
        #expect(result.bars.count == 2)
        #expect(transport.requests.count == 4)   // 3 Yahoo attempts (1 + 2 retries), 1 Polygon
        let calls = log.calls
        #expect(calls.map(\.provider) == ["yahoo", "yahoo", "yahoo", "polygon"])
        #expect(calls.prefix(3).allSatisfy { $0.httpStatus == 429 && $0.error != nil && $0.bars == 0 && $0.keySlot == nil })
        #expect(calls[3].httpStatus == 200 && calls[3].bars == 2 && calls[3].keySlot == 0 && calls[3].error == nil)
        #expect(calls.allSatisfy { !($0.error ?? "").contains("pk-secret") })
        // Exponential backoff with equal jitter: attempt n sleeps in [base·2ⁿ/2, base·2ⁿ].
        let s = clock.sleeps
        #expect(s.count == 2)
        #expect(s.count == 2 && (0.25...0.5).contains(s[0]) && (0.5...1.0).contains(s[1]))
    }

    @Test func failsOverOn5xxAndTransportErrors() throws {
        let clock = FakeClock()
        let transport = FakeTransport { r, _ in
            if r.url.contains("/v8/finance/chart/") { return HTTPClientResponse(status: 503, body: Array("unavailable".utf8)) }
            if r.url.contains("/v2/aggs/") { throw HTTPClientError(kind: .timeout, message: "Operation timed out") }
            return sample("finnhub_candle_ok.json")
        }
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: YahooProvider(), rateLimit: generous),
                                   ProviderSettings(provider: PolygonProvider(), keys: ["p"], rateLimit: generous),
                                   ProviderSettings(provider: FinnhubProvider(), keys: ["f"], rateLimit: generous)],
                                  order: ["yahoo", "polygon", "finnhub"]),
            transport: transport, sleep: { clock.sleep($0) }, now: { clock.now }, maxRetries: 1)
        let result = try chain.fetch(ProviderBarsRequest(symbol: "AAPL", assetClass: .equity, timeframe: .d1, from: 1_569_283_200, to: 1_569_456_000))
        #expect(result.provider == "finnhub")
        #expect(result.bars.map(\.timestamp) == [1_569_283_200, 1_569_369_600, 1_569_456_000])
        #expect(transport.requests.count == 5)
    }

    @Test func throwsLastErrorWhenAllFail() {
        let transport = FakeTransport { r, _ in
            r.url.contains("/v8/") ? sample("yahoo_chart_notfound.json", 404) : sample("polygon_not_authorized.json", 403)
        }
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: YahooProvider(), rateLimit: generous),
                                   ProviderSettings(provider: PolygonProvider(), keys: ["p"], rateLimit: generous)],
                                  order: ["yahoo", "polygon"]),
            transport: transport, sleep: { _ in }, now: { 1_000 })
        let e = expectProviderError(.unauthorized) { try chain.fetch(aaplDaily2005) }
        #expect(e?.provider == "polygon")
        #expect(transport.requests.count == 2)   // neither 404 nor 403 is retried
        let none = ProviderChain(configuration: config([], order: []), transport: transport)
        expectProviderError(.unsupported) { try none.fetch(aaplDaily2005) }
    }

    @Test func rotatesKeysRoundRobin() throws {
        let log = CallLog()
        let transport = FakeTransport { _, _ in sample("polygon_aggs_daily_ok.json") }
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: PolygonProvider(), keys: ["k1", "k2", "k3"], rateLimit: generous)],
                                  order: ["polygon"]),
            transport: transport, record: { log.add($0) }, sleep: { _ in }, now: { 1_000 })
        for _ in 0..<6 { _ = try chain.fetch(aaplDaily2005) }
        #expect(transport.requests.map { bearer($0) ?? "" } == ["Bearer k1", "Bearer k2", "Bearer k3", "Bearer k1", "Bearer k2", "Bearer k3"])
        #expect(log.calls.map(\.keySlot) == [0, 1, 2, 0, 1, 2])
    }

    @Test func retryAfterMovesToAnotherKeyOrWaits() throws {
        // One key: the 429's Retry-After (5 s) is honoured before the retry.
        let clock = FakeClock()
        let transport = FakeTransport { _, n in
            n == 0 ? HTTPClientResponse(status: 429, headers: [("Retry-After", "5")], body: Array(#"{"status":"ERROR","message":"slow down"}"#.utf8))
                : sample("polygon_aggs_daily_ok.json")
        }
        let times = CallLog()
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: PolygonProvider(), keys: ["k1"], rateLimit: generous)], order: ["polygon"]),
            transport: transport, record: { times.add($0) }, sleep: { clock.sleep($0) }, now: { clock.now })
        let start = clock.now
        _ = try chain.fetch(aaplDaily2005)
        #expect(transport.requests.count == 2)
        #expect(clock.now - start >= 5 - 1e-6)
        #expect(clock.sleeps.reduce(0, +) >= 5 - 1e-6)

        // Two keys: the blocked key is skipped, so the retry goes out on the other key without waiting 5 s.
        let clock2 = FakeClock()
        let transport2 = FakeTransport { r, _ in
            bearer(r) == "Bearer k1" ? HTTPClientResponse(status: 429, headers: [("Retry-After", "5")], body: Array("{}".utf8))
                : sample("polygon_aggs_daily_ok.json")
        }
        let chain2 = ProviderChain(
            configuration: config([ProviderSettings(provider: PolygonProvider(), keys: ["k1", "k2"], rateLimit: generous)], order: ["polygon"]),
            transport: transport2, sleep: { clock2.sleep($0) }, now: { clock2.now })
        _ = try chain2.fetch(aaplDaily2005)
        #expect(transport2.requests.map { bearer($0) ?? "" } == ["Bearer k1", "Bearer k2"])
        #expect(clock2.sleeps.reduce(0, +) < 5)
        // k1 stays blocked for the next fetch too.
        _ = try chain2.fetch(aaplDaily2005)
        #expect(transport2.requests.count == 3 && bearer(transport2.requests[2]) == "Bearer k2")
    }

    @Test func longRetryAfterFailsOverInsteadOfBlocking() throws {
        let clock = FakeClock()
        let transport = FakeTransport { r, _ in
            r.url.contains("/v2/aggs/") ? HTTPClientResponse(status: 429, headers: [("Retry-After", "3600")], body: Array("{}".utf8))
                : sample("finnhub_candle_ok.json")
        }
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: PolygonProvider(), keys: ["p"], rateLimit: generous),
                                   ProviderSettings(provider: FinnhubProvider(), keys: ["f"], rateLimit: generous)],
                                  order: ["polygon", "finnhub"]),
            transport: transport, sleep: { clock.sleep($0) }, now: { clock.now })
        let r = try chain.fetch(ProviderBarsRequest(symbol: "AAPL", assetClass: .equity, timeframe: .d1, from: 0, to: 2_000_000_000))
        #expect(r.provider == "finnhub")
        #expect(clock.sleeps.isEmpty)
        #expect(transport.requests.count == 2)
    }

    @Test func tokenBucketSpacesCallsAtTheDocumentedRate() throws {
        let clock = FakeClock()
        let transport = FakeTransport { _, _ in sample("polygon_aggs_daily_ok.json") }
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: PolygonProvider(), keys: ["k"], rateLimit: RateLimit(requests: 2, perSeconds: 10))],
                                  order: ["polygon"]),
            transport: transport, sleep: { clock.sleep($0) }, now: { clock.now })
        for _ in 0..<4 { _ = try chain.fetch(aaplDaily2005) }
        // Burst of 2, then one token every 5 s.
        #expect(clock.sleeps.count == 2)
        #expect(clock.sleeps.allSatisfy { abs($0 - 5) < 1e-6 })
    }

    @Test func exhaustedDailyBudgetFailsWithoutACall() throws {
        let transport = FakeTransport { _, _ in sample("alphavantage_daily_ok.json") }
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: AlphaVantageProvider(), keys: ["a"], rateLimit: RateLimit(requests: 1, perSeconds: 86_400))],
                                  order: ["alphavantage"]),
            transport: transport, sleep: { _ in }, now: { 1_000 })
        let req = ProviderBarsRequest(symbol: "MSFT", assetClass: .equity, timeframe: .d1, from: 1_525_737_600, to: 1_525_910_400)
        #expect(try chain.fetch(req).bars.count == 3)
        expectProviderError(.rateLimited) { try chain.fetch(req) }
        #expect(transport.requests.count == 1)
    }

    @Test func circuitOpensThenHalfOpensAfterCoolDown() throws {
        let clock = FakeClock()
        let failing = LockedFlag(true)
        let transport = FakeTransport { _, _ in
            failing.value ? HTTPClientResponse(status: 500, body: Array("oops".utf8)) : sample("polygon_aggs_daily_ok.json")
        }
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: PolygonProvider(), keys: ["k"], rateLimit: generous)], order: ["polygon"]),
            transport: transport, sleep: { clock.sleep($0) }, now: { clock.now }, maxRetries: 0,
            failureThreshold: 3, coolDownSeconds: 60)
        for _ in 0..<3 { expectProviderError(.server) { try chain.fetch(aaplDaily2005) } }
        #expect(chain.circuitStates()["polygon"] == "open")
        expectProviderError(.circuitOpen) { try chain.fetch(aaplDaily2005) }
        #expect(transport.requests.count == 3)

        clock.advance(61)
        #expect(chain.circuitStates()["polygon"] == "half_open")
        expectProviderError(.server) { try chain.fetch(aaplDaily2005) }    // the trial fails → open again
        #expect(chain.circuitStates()["polygon"] == "open")
        expectProviderError(.circuitOpen) { try chain.fetch(aaplDaily2005) }

        clock.advance(61)
        failing.value = false
        #expect(try chain.fetch(aaplDaily2005).bars.count == 2)            // the trial succeeds → closed
        #expect(chain.circuitStates()["polygon"] == "closed")
        #expect(transport.requests.count == 5)
    }

    @Test func halfOpenTrialIsReleasedWhenNoCallIsMade() throws {
        let clock = FakeClock()
        let failing = LockedFlag(true)
        let transport = FakeTransport { _, _ in
            failing.value ? HTTPClientResponse(status: 503, body: []) : sample("polygon_aggs_daily_ok.json")
        }
        // 1 request per 100 s: after the opening failure the bucket is empty for the first trial.
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: PolygonProvider(), keys: ["k"], rateLimit: RateLimit(requests: 1, perSeconds: 100))],
                                  order: ["polygon"]),
            transport: transport, sleep: { clock.sleep($0) }, now: { clock.now }, maxRetries: 0,
            failureThreshold: 1, coolDownSeconds: 10, maxRateLimitWait: 5)
        expectProviderError(.server) { try chain.fetch(aaplDaily2005) }
        clock.advance(11)
        expectProviderError(.rateLimited) { try chain.fetch(aaplDaily2005) }   // trial blocked locally, no call
        #expect(chain.circuitStates()["polygon"] == "half_open")
        clock.advance(100)
        failing.value = false
        #expect(try chain.fetch(aaplDaily2005).provider == "polygon")
        #expect(chain.circuitStates()["polygon"] == "closed")
        #expect(transport.requests.count == 2)
    }

    @Test func oversizedBodyIsNotRetried() {
        let transport = FakeTransport { _, _ in throw HTTPClientError(kind: .tooLarge, message: "Exceeded the maximum allowed file size") }
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: PolygonProvider(), keys: ["k"], rateLimit: generous)], order: ["polygon"]),
            transport: transport, sleep: { _ in }, now: { 1_000 })
        expectProviderError(.badResponse) { try chain.fetch(aaplDaily2005) }
        #expect(transport.requests.count == 1)
    }

    @Test func concurrentFetchesShareKeysAndBuckets() {
        let log = CallLog()
        let transport = FakeTransport { _, _ in sample("polygon_aggs_daily_ok.json") }
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: PolygonProvider(), keys: ["k1", "k2", "k3", "k4"], rateLimit: generous)],
                                  order: ["polygon"]),
            transport: transport, record: { log.add($0) }, sleep: { _ in }, now: { 1_000 })
        let ok = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: 40) { _ in
            if let r = try? chain.fetch(aaplDaily2005), r.bars.count == 2 { ok.increment() }
        }
        #expect(ok.value == 40)
        let perSlot = Dictionary(grouping: log.calls, by: { $0.keySlot ?? -1 }).mapValues(\.count)
        #expect(perSlot == [0: 10, 1: 10, 2: 10, 3: 10])
    }

    @Test func followsNextURLOnTheConfiguredHost() throws {
        let page2 = #"{"status":"OK","resultsCount":1,"results":[{"o":1,"h":2,"l":0.5,"c":1.5,"v":10,"t":1578286800000}]}"#
        let transport = FakeTransport { r, n in
            n == 0 ? sample("polygon_aggs_daily_ok_openapi_example.json") : HTTPClientResponse(status: 200, body: Array(page2.utf8))
        }
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: PolygonProvider(), keys: ["k"], baseURL: "http://127.0.0.1:18080", rateLimit: generous)],
                                  order: ["polygon"]),
            transport: transport, sleep: { _ in }, now: { 1_000 })
        let r = try chain.fetch(ProviderBarsRequest(symbol: "AAPL", assetClass: .equity, timeframe: .d1, from: 1_577_923_200, to: 1_578_614_400))
        #expect(r.bars.map(\.timestamp) == [1_577_923_200, 1_578_009_600, 1_578_268_800])
        #expect(transport.requests.count == 2)
        #expect(transport.requests[1].url.hasPrefix("http://127.0.0.1:18080/v2/aggs/ticker/AAPL/range/1/day/1578114000000/2020-01-10?cursor="))
        #expect(bearer(transport.requests[1]) == "Bearer k")
    }

    @Test func keepsOnlyBarsInTheRequestedRange() throws {
        let transport = FakeTransport { _, _ in sample("polygon_aggs_daily_ok.json") }
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: PolygonProvider(), keys: ["k"], rateLimit: generous)], order: ["polygon"]),
            transport: transport, sleep: { _ in }, now: { 1_000 })
        let r = try chain.fetch(ProviderBarsRequest(symbol: "AAPL", assetClass: .equity, timeframe: .d1, from: 1_112_400_000, to: 1_112_572_800))
        #expect(r.bars.map(\.timestamp) == [1_112_572_800])
    }
}

final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var v: Bool
    init(_ v: Bool) { self.v = v }
    var value: Bool {
        get { lock.lock(); defer { lock.unlock() }; return v }
        set { lock.lock(); v = newValue; lock.unlock() }
    }
}

@Suite struct ProvidersConfigurationTests {
    @Test func fromEnvironment() {
        let c = ProviderConfiguration.fromEnvironment([
            "GS_POLYGON_KEYS": " k1, k2 ,,k3",
            "GS_POLYGON_BASE_URL": "http://127.0.0.1:9999",
            "GS_FINNHUB_KEY": "f1",
            "GS_FINNHUB_RATE_LIMIT": "30/60",
            "GS_PROVIDER_ORDER_EQUITY": "polygon,alphavantage,yahoo,nonsense,polygon",
        ])
        #expect(c.settings["polygon"]?.keys == ["k1", "k2", "k3"])
        #expect(c.settings["polygon"]?.baseURL == "http://127.0.0.1:9999")
        #expect(c.settings["polygon"]?.rateLimit == RateLimit(requests: 5, perSeconds: 60))
        #expect(c.settings["finnhub"]?.rateLimit == RateLimit(requests: 30, perSeconds: 60))
        #expect(c.settings["yahoo"]?.keys == [] && c.settings["yahoo"]?.baseURL == "https://query2.finance.yahoo.com")
        #expect(c.settings["binance"] != nil)
        #expect(c.settings["alphavantage"] == nil)
        #expect(Set(c.unconfigured) == ["alphavantage", "stooq"])
        #expect(c.order[.equity] == ["polygon", "yahoo"])
        #expect(c.order[.crypto] == ["binance", "yahoo", "polygon", "finnhub"])
        #expect(c.order[.index] == ["yahoo", "polygon"])
    }
}

/// Serves Binance daily klines for whatever window is asked (one bar per UTC day).
private func binanceDays() -> FakeTransport {
    FakeTransport { r, _ in
        let q = query(r.url)
        let start = Int64(q["startTime"] ?? "0")! / 1000, end = Int64(q["endTime"] ?? "0")! / 1000
        var rows: [String] = []
        var d = (start + 86_399) / 86_400 * 86_400
        while d <= end {
            let p = Double(d / 86_400)
            rows.append("[\(d * 1000),\"\(p)\",\"\(p + 2)\",\"\(p - 1)\",\"\(p + 1)\",\"10.5\",\(d * 1000 + 86_399_999),\"0\",1,\"0\",\"0\",\"0\"]")
            d += 86_400
        }
        return HTTPClientResponse(status: 200, body: Array("[\(rows.joined(separator: ","))]".utf8))
    }
}

@Suite struct ProvidersBackfillTests {
    struct Interrupted: Error {}

    @Test func resumesAfterCheckpoint() throws {
        let day: Int64 = 86_400
        let from: Int64 = 1_700_006_400   // 2023-11-15 00:00Z
        let to = from + 30 * day - 1
        let transport = binanceDays()
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: BinanceProvider(now: { 2_000_000_000 }), rateLimit: generous)],
                                  order: ["binance"], for: .crypto),
            transport: transport, sleep: { _ in }, now: { 1_000 })
        let store = InMemoryCheckpointStore()
        let backfill = Backfill(chain: chain, checkpoints: store, chunkSeconds: 10 * day)
        var stored: [Bar] = []
        var chunk = 0
        #expect(throws: Interrupted.self) {
            _ = try backfill.run(symbol: "BTCUSDT", assetClass: .crypto, timeframe: .d1, from: from, to: to) { bars, provider in
                chunk += 1
                if chunk == 2 { throw Interrupted() }
                #expect(provider == "binance")
                stored += bars
            }
        }
        #expect(stored.count == 10)
        #expect(try store.checkpoint(symbol: "BTCUSDT", timeframe: .d1) == from + 10 * day - 1)

        let requestsBefore = transport.requests.count
        let result = try backfill.run(symbol: "BTCUSDT", assetClass: .crypto, timeframe: .d1, from: from, to: to) { bars, _ in stored += bars }
        #expect(result.chunks == 2 && result.bars == 20)
        // The resumed run starts right after the checkpoint.
        #expect(query(transport.requests[requestsBefore].url)["startTime"] == String((from + 10 * day) * 1000))
        #expect(stored.map(\.timestamp) == (0..<30).map { from + Int64($0) * day })
        #expect(try store.checkpoint(symbol: "BTCUSDT", timeframe: .d1) == to)

        // Completed: nothing more to do.
        let again = try backfill.run(symbol: "BTCUSDT", assetClass: .crypto, timeframe: .d1, from: from, to: to) { _, _ in }
        #expect(again.chunks == 0 && again.bars == 0)
    }

    @Test func emptyChunksMoveTheCheckpointOnlyWhenLaterBarsArriveOtherErrorsStop() throws {
        let day: Int64 = 86_400
        // Chunks of 5 days: empty, one day with bars (day 7), empty, then an unknown symbol.
        let kline = "[[\(7 * day * 1000),\"1\",\"2\",\"0.5\",\"1.5\",\"10\",\(8 * day * 1000 - 1),\"0\",1,\"0\",\"0\",\"0\"]]"
        let transport = FakeTransport { _, n in
            switch n {
            case 0, 2: return HTTPClientResponse(status: 200, body: Array("[]".utf8))
            case 1: return HTTPClientResponse(status: 200, body: Array(kline.utf8))
            default: return HTTPClientResponse(status: 400, body: Array(#"{"code":-1121,"msg":"Invalid symbol."}"#.utf8))
            }
        }
        let chain = ProviderChain(
            configuration: config([ProviderSettings(provider: BinanceProvider(), rateLimit: generous)], order: ["binance"], for: .crypto),
            transport: transport, sleep: { _ in }, now: { 1_000 })
        let store = InMemoryCheckpointStore()
        let backfill = Backfill(chain: chain, checkpoints: store, chunkSeconds: 5 * day)
        // An empty first chunk alone does not move the checkpoint (it may be a provider that has not published yet).
        let onlyEmpty = FakeTransport { _, _ in HTTPClientResponse(status: 200, body: Array("[]".utf8)) }
        let emptyChain = ProviderChain(
            configuration: config([ProviderSettings(provider: BinanceProvider(), rateLimit: generous)], order: ["binance"], for: .crypto),
            transport: onlyEmpty, sleep: { _ in }, now: { 1_000 })
        let emptyRun = try Backfill(chain: emptyChain, checkpoints: store, chunkSeconds: 5 * day)
            .run(symbol: "X", assetClass: .crypto, timeframe: .d1, from: 0, to: 10 * day - 1) { _, _ in }
        #expect(emptyRun.chunks == 2 && emptyRun.bars == 0)
        #expect(try store.checkpoint(symbol: "X", timeframe: .d1) == nil)
        // Bars after an empty chunk carry the checkpoint past it, to the end of the newest bar; the empty chunk after
        // them leaves it there; the unknown symbol stops the run.
        expectProviderError(.notFound) {
            try backfill.run(symbol: "X", assetClass: .crypto, timeframe: .d1, from: 0, to: 20 * day - 1) { _, _ in }
        }
        #expect(try store.checkpoint(symbol: "X", timeframe: .d1) == 8 * day - 1)
    }
}
