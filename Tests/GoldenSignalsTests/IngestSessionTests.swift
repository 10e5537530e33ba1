import Foundation
@testable import GoldenSignals
import HTTPClient
import HTTPServer
import Logging
import Market
import MarketProviders
import Postgres
import Synchronization
import Testing

/// A provider stand-in's server on 127.0.0.1 (an ephemeral port), started, logging nothing (requests carry keys).
func startStubServer(_ router: Router) throws -> HTTPServer {
    var config = HTTPServerConfiguration()
    config.host = "127.0.0.1"
    config.port = 0
    var logger = Logger(label: "provider-stub")
    logger.logLevel = .critical
    let server = HTTPServer(configuration: config, router: router, logger: logger)
    try server.start()
    return server
}

/// A clock the test moves by hand; the stub and the ingest service both read it.
final class TestClock: Sendable {
    private let value: Mutex<Double>
    init(_ t: Int64) { value = Mutex(Double(t)) }
    var now: Double { value.withLock { $0 } }
    func set(_ t: Int64) { value.withLock { $0 = Double(t) } }
}

/// Yahoo's chart API and Binance's klines on our own server, answering as the real ones would at the test clock's
/// time, from real recordings: AAPL daily bars (`provider-samples/yahoo_chart_daily_ok.json`, 2025-04-30 … 2025-10-29)
/// and BTC-USD daily bars (`data/bestdaybtc_BTC-USD.csv`, up to 2023-04-24; its last row may be partial and is left out).
///
/// - Yahoo serves every bar whose session has opened. The bar of a session still in progress is stamped with the
///   last trade time, a minute before the clock (as Yahoo stamps it) and carries the stub's stand-in for a bar in progress — the
///   day's open, the midpoint of open and final close as the last price, half the volume — which only needs to
///   differ from the final bar. After the close it serves the recorded, final bar.
/// - Binance serves klines whose close time has passed (the forming kline is never served: our adapter drops it).
/// - `answerEmptyOnce` makes the next answer of a provider an empty one (Yahoo's recorded empty result, Binance `[]`):
///   a transient "no data".
final class SessionProviderStub: @unchecked Sendable {
    private(set) var server: HTTPServer!
    let clock: TestClock
    /// Yahoo's recorded daily bars: (timestamp as recorded, open, high, low, close, volume).
    let yahooBars: [(t: Int64, o: Double, h: Double, l: Double, c: Double, v: Double)]
    let yahooMeta: [String: Any]
    /// BTC-USD daily bars at midnight UTC.
    let btcBars: [Bar]
    private let emptyOnce = Mutex<Set<String>>([])
    let requests = Mutex<[String: Int]>([:])

    init(clock: TestClock) throws {
        self.clock = clock
        let sample = try #require(FileManager.default.contents(atPath: Paths.sharedData + "/../provider-samples/yahoo_chart_daily_ok.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: sample) as? [String: Any])
        let result = try #require(((root["chart"] as? [String: Any])?["result"] as? [[String: Any]])?.first)
        yahooMeta = result["meta"] as? [String: Any] ?? [:]
        let times = try #require(result["timestamp"] as? [NSNumber]).map(\.int64Value)
        let quote = try #require(((result["indicators"] as? [String: Any])?["quote"] as? [[String: Any]])?.first)
        func col(_ k: String) throws -> [Double] { try #require(quote[k] as? [NSNumber]).map(\.doubleValue) }
        let (o, h, l, c, v) = (try col("open"), try col("high"), try col("low"), try col("close"), try col("volume"))
        yahooBars = times.indices.map { (times[$0], o[$0], h[$0], l[$0], c[$0], v[$0]) }

        let csv = try String(contentsOfFile: Paths.data("bestdaybtc_BTC-USD.csv"), encoding: .utf8)
        var btc: [Bar] = []
        for line in csv.split(whereSeparator: \.isNewline).dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            guard f.count == 7, let t = RFC3339.parse(f[0]), let o = Double(f[1]), let h = Double(f[2]), let l = Double(f[3]),
                  let c = Double(f[4]), let v = Double(f[6]) else { continue }
            btc.append(Bar(timestamp: t, open: o, high: h, low: l, close: c, volume: v))
        }
        btcBars = Array(btc.dropLast())   // 2023-04-25 may be a partial day (data/SOURCES.md)

        let router = Router()
        router.get("/v8/finance/chart/{symbol}") { [unowned self] request in self.yahoo(request) }
        router.get("/api/v3/klines") { [unowned self] request in self.binance(request) }
        server = try startStubServer(router)
    }

    deinit { server.shutdown() }

    var baseURL: String { "http://127.0.0.1:\(server.localPort)" }

    func answerEmptyOnce(_ provider: String) { _ = emptyOnce.withLock { $0.insert(provider) } }

    private func takeEmpty(_ provider: String) -> Bool {
        requests.withLock { $0[provider, default: 0] += 1 }
        return emptyOnce.withLock { $0.remove(provider) != nil }
    }

    private static func query(_ request: Request, _ name: String) -> Int64? {
        request.query[name].flatMap { Int64($0) }
    }

    private func yahoo(_ request: Request) -> Response {
        let emptyBody = #"{"chart":{"result":[{"meta":{"currency":null,"symbol":"AAPL","firstTradeDate":null},"indicators":{"quote":[{}]}}],"error":null}}"#
        if takeEmpty("yahoo") { return .bytes(Array(emptyBody.utf8), contentType: "application/json") }
        let now = Int64(clock.now)
        let p1 = Self.query(request, "period1") ?? 0, p2 = Self.query(request, "period2") ?? Int64.max
        let calendar = NYSECalendar()
        var t: [Int64] = [], o: [Double] = [], h: [Double] = [], l: [Double] = [], c: [Double] = [], v: [Double] = []
        for bar in yahooBars {
            guard let session = calendar.session(on: CivilDate(unixSeconds: bar.t)), session.open <= now else { continue }
            if now < session.close {
                let last = (bar.o + bar.c) / 2
                // Stamped with the last trade, a minute ago.
                t.append(max(session.open, now - 60)); o.append(bar.o); h.append(max(bar.o, last)); l.append(min(bar.o, last)); c.append(last); v.append((bar.v / 2).rounded())
            } else {
                t.append(bar.t); o.append(bar.o); h.append(bar.h); l.append(bar.l); c.append(bar.c); v.append(bar.v)
            }
            if !(t.last! >= p1 && t.last! < p2) { t.removeLast(); o.removeLast(); h.removeLast(); l.removeLast(); c.removeLast(); v.removeLast() }
        }
        if t.isEmpty { return .bytes(Array(emptyBody.utf8), contentType: "application/json") }
        let body: [String: Any] = ["chart": ["error": NSNull(), "result": [[
            "meta": yahooMeta, "timestamp": t,
            "indicators": ["quote": [["open": o, "high": h, "low": l, "close": c, "volume": v]]],
        ] as [String: Any]]] as [String: Any]]
        return .bytes([UInt8]((try? JSONSerialization.data(withJSONObject: body)) ?? Data()), contentType: "application/json")
    }

    private func binance(_ request: Request) -> Response {
        if takeEmpty("binance") { return .bytes(Array("[]".utf8), contentType: "application/json") }
        let nowMs = Int64(clock.now * 1000)
        let start = Self.query(request, "startTime") ?? 0, end = Self.query(request, "endTime") ?? Int64.max
        var rows: [String] = []
        for bar in btcBars {
            let open = bar.timestamp * 1000, close = open + 86_400_000 - 1
            guard open >= start, open <= end, close <= nowMs else { continue }
            rows.append("[\(open),\"\(bar.open)\",\"\(bar.high)\",\"\(bar.low)\",\"\(bar.close)\",\"\(bar.volume)\",\(close),\"0\",0,\"0\",\"0\",\"0\"]")
        }
        return .bytes(Array("[\(rows.joined(separator: ","))]".utf8), contentType: "application/json")
    }
}

/// Scheduled ingestion over several rounds in a row, with the clock moved through trading sessions: only final bars
/// are stored, a forming bar is fetched again complete, and neither a forming bar nor a transient "no data" moves
/// the checkpoint.
@Suite struct IngestSessionTests {
    static func utc(_ text: String) -> Int64 { RFC3339.parse(text)! }
    /// New York local time on a date (EDT/EST by rule).
    static func newYork(_ date: String, _ hour: Int, _ minute: Int) -> Int64 {
        let d = CivilDate(unixSeconds: utc(date))
        return ExchangeTime.newYorkLocalToUTC(date: d, secondsOfDay: hour * 3600 + minute * 60)
    }

    @Test func roundsThroughSessionsStoreOnlyFinalBarsForAnEquityAndACryptoSymbol() throws {
        let clock = TestClock(Self.utc("2023-04-23T12:00:00Z"))
        let stub = try SessionProviderStub(clock: clock)
        let s = try TestService(label: "session", environment: [
            "GS_YAHOO_BASE_URL": stub.baseURL, "GS_BINANCE_BASE_URL": stub.baseURL,
            "GS_PROVIDER_ORDER_EQUITY": "yahoo", "GS_PROVIDER_ORDER_CRYPTO": "binance",
        ])
        let aapl = try #require(try s.app.symbols.create(NewSymbol(symbol: "AAPL", assetClass: .equity, exchange: "NASDAQ")))
        let btc = try #require(try s.app.symbols.create(NewSymbol(symbol: "BTCUSDT", assetClass: .crypto)))
        let service = IngestService(chain: s.app.chain, checkpoints: s.app.checkpoints, bars: s.app.bars, quality: s.app.quality,
                                    metrics: s.app.metrics, now: { clock.now })
        let scheduler = IngestScheduler(conninfo: s.app.conninfo, symbols: s.app.symbols, ingest: service, providers: s.app.providers,
                                        interval: 0, logger: s.app.logger)
        func round(at t: Int64, sourceLocation: SourceLocation = #_sourceLocation) throws {
            clock.set(t)
            scheduler.runOnce()
            let status = try s.app.pool.withConnection { conn in
                try conn.query("SELECT status FROM job_runs ORDER BY id DESC LIMIT 1", []).first?.decode(0, as: String.self)
            }
            #expect(status == "ok", sourceLocation: sourceLocation)
        }
        func stored(_ record: SymbolRecord) throws -> [Bar] { try s.app.bars.all(symbolID: record.id, timeframe: .d1) }
        func checkpoint(_ symbol: String) throws -> Int64? { try s.app.checkpoints.checkpoint(symbol: symbol, timeframe: .d1) }

        // Crypto, 24x7: a day's bar is final after midnight UTC (and the settle time).
        let btcThrough = { (date: String) in stub.btcBars.filter { $0.timestamp <= Self.utc(date) && $0.timestamp > Self.utc("2022-04-23") } }
        try round(at: Self.utc("2023-04-23T12:00:00Z"))                  // mid-day: 2023-04-23 is forming
        #expect(try stored(btc) == btcThrough("2023-04-22"))
        #expect(try checkpoint("BTCUSDT") == Self.utc("2023-04-23") - 1)
        try round(at: Self.utc("2023-04-24T00:05:00Z"))                  // closed, but within the settle time
        #expect(try stored(btc) == btcThrough("2023-04-22"))
        stub.answerEmptyOnce("binance")
        try round(at: Self.utc("2023-04-24T00:30:00Z"))                  // a transient empty answer
        #expect(try checkpoint("BTCUSDT") == Self.utc("2023-04-23") - 1)
        try round(at: Self.utc("2023-04-24T06:00:00Z"))                  // the next round gets the day
        #expect(try stored(btc) == btcThrough("2023-04-23"))
        try round(at: Self.utc("2023-04-25T03:00:00Z"))
        #expect(try stored(btc) == btcThrough("2023-04-24"))
        #expect(try checkpoint("BTCUSDT") == Self.utc("2023-04-25") - 1)
        // No equity bars exist before the recording starts: every AAPL round so far had no data and no checkpoint.
        #expect(try stored(aapl).isEmpty && checkpoint("AAPL") == nil)

        // Equity, NYSE: a day's bar is final after the close (16:00 New York) and the settle time.
        let expected = try YahooProvider().parse(
            HTTPClientResponse(status: 200, body: [UInt8](try #require(FileManager.default.contents(
                atPath: Paths.sharedData + "/../provider-samples/yahoo_chart_daily_ok.json")))),
            for: ProviderBarsRequest(symbol: "AAPL", assetClass: .equity, timeframe: .d1, from: 0, to: Int64.max)).bars
        let aaplThrough = { (date: String) in expected.filter { $0.timestamp <= Self.utc(date) } }
        try round(at: Self.newYork("2025-10-28", 15, 0))                 // mid-session: 2025-10-28 is forming
        #expect(try stored(aapl) == aaplThrough("2025-10-27"))
        let detail = try s.app.pool.withConnection { conn in
            try conn.query("SELECT detail::text FROM job_runs ORDER BY id DESC LIMIT 1", []).first?.decode(0, as: String.self)
        }
        #expect(detail?.contains(#""forming": 1"#) == true, "\(detail ?? "-")")
        #expect(try checkpoint("AAPL") == Self.utc("2025-10-28") - 1)
        try round(at: Self.newYork("2025-10-28", 16, 5))                 // closed, within the settle time
        #expect(try stored(aapl) == aaplThrough("2025-10-27"))
        try round(at: Self.newYork("2025-10-28", 16, 30))                // final: stored as recorded
        #expect(try stored(aapl) == aaplThrough("2025-10-28"))
        #expect(try checkpoint("AAPL") == Self.utc("2025-10-29") - 1)
        try round(at: Self.newYork("2025-10-29", 11, 0))                 // the next session is forming
        #expect(try stored(aapl) == aaplThrough("2025-10-28"))
        stub.answerEmptyOnce("yahoo")
        try round(at: Self.newYork("2025-10-29", 17, 0))                 // a transient empty answer after the close
        #expect(try checkpoint("AAPL") == Self.utc("2025-10-29") - 1)
        try round(at: Self.newYork("2025-10-30", 8, 0))                  // the next round gets the day
        #expect(try stored(aapl) == expected)
        #expect(try checkpoint("AAPL") == Self.utc("2025-10-30") - 1)
        #expect(expected.count == 127 && expected.last?.timestamp == Self.utc("2025-10-29"))
        // The crypto series did not change during the equity rounds (nothing after 2023-04-24 is served).
        #expect(try stored(btc).count == btcThrough("2023-04-24").count)
    }
}
