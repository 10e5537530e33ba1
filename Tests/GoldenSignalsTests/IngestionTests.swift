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

/// A stand-in for Yahoo's chart API on our own server, replaying a recorded response (or failing).
final class YahooStub: @unchecked Sendable {
    /// Counts the requests the stub answered.
    final class Counter: Sendable {
        let value = Mutex(0)
        func increment() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    let server: HTTPServer
    let requests = Counter()

    init(status: Int = 200, sample: String? = "yahoo_chart_daily_ok.json", body inline: String = "") throws {
        let body = try sample.map { try #require(FileManager.default.contents(atPath: Paths.sharedData + "/../provider-samples/" + $0)) }
            ?? Data(inline.utf8)
        let router = Router()
        let count = requests
        router.get("/v8/finance/chart/{symbol}") { _ in
            count.increment()
            return .bytes([UInt8](body), contentType: "application/json", status: HTTPStatus(status))
        }
        var config = HTTPServerConfiguration()
        config.port = 0
        var logger = Logger(label: "stub")
        logger.logLevel = .error
        server = HTTPServer(configuration: config, router: router, logger: logger)
        try server.start()
    }

    var baseURL: String { "http://127.0.0.1:\(server.localPort)" }

    deinit { server.shutdown() }
}

@Suite struct IngestionTests {
    static let from = RFC3339.parse("2025-04-01")!
    static let to = RFC3339.parse("2025-10-31")!

    /// The recorded calls to one provider: how many, how many failed, and the newest error.
    static func providerCalls(_ s: TestService, _ provider: String) throws -> (calls: Int, errors: Int, lastError: String?) {
        try s.app.pool.withConnection { conn in
            let row = try #require(try conn.query("""
                SELECT count(*), count(error), (array_agg(error ORDER BY called_at DESC) FILTER (WHERE error IS NOT NULL))[1]
                FROM provider_calls WHERE provider = $1
                """, [provider]).first)
            return (try row.decode(0), try row.decode(1), try row.decode(2, as: String?.self))
        }
    }

    /// How many quality reports a series has.
    static func reports(_ s: TestService, _ record: SymbolRecord) throws -> Int {
        try s.app.pool.withConnection { conn in
            try conn.query("SELECT count(*) FROM quality_reports WHERE symbol_id = $1", [record.id]).first!.decode(0)
        }
    }

    @Test func backfillStoresProviderBarsWithTheirSourceCheckpointAndCalls() throws {
        let stub = try YahooStub()
        let s = try TestService(label: "ingest", environment: ["GS_YAHOO_BASE_URL": stub.baseURL, "GS_PROVIDER_ORDER_EQUITY": "yahoo"])
        #expect(try s.postJSON("/api/v1/symbols", #"{"symbol":"AAPL","asset_class":"equity","exchange":"NASDAQ"}"#).status == 201)
        let record = try #require(try s.app.symbols.find("AAPL"))

        let result = try s.app.ingest.backfill(record, timeframe: .d1, from: Self.from, to: Self.to)
        #expect(result.bars >= 120)
        #expect(stub.requests.count >= 1)

        let page = try s.get("/api/v1/market-data/AAPL?limit=10000")
        let bars = page.json["bars"] as? [[String: Any]] ?? []
        #expect(bars.count == result.bars)
        #expect(page.json["source"] as? String == "yahoo")
        #expect(page.header("X-Data-Source") == "yahoo")
        // Daily bars are stored at midnight UTC of the trading date, whatever the provider's stamp.
        #expect(bars.allSatisfy { ($0["timestamp"] as? String)?.hasSuffix("T00:00:00Z") == true })

        #expect(try s.app.checkpoints.checkpoint(symbol: "AAPL", timeframe: .d1) != nil)
        let calls = try Self.providerCalls(s, "yahoo")
        #expect(calls.calls >= 1 && calls.errors == 0)

        let quality = try s.get("/api/v1/quality/AAPL")
        #expect(quality.json["trigger"] as? String == "ingest")

        let health = try s.get("/health")
        let providers = (health.json["checks"] as? [String: Any])?["providers"] as? [String: Any]
        #expect((providers?["configured"] as? [String])?.contains("yahoo") == true)
        #expect((providers?["unconfigured"] as? [String])?.contains("polygon") == true)

        // Ingesting the same range again changes nothing. The checkpoint is cleared first, so the provider really is
        // asked again and the same bars really arrive a second time: no bar changes, no report is added.
        let before = try s.app.bars.all(symbolID: record.id, timeframe: .d1)
        let (requestsBefore, reportsBefore) = (stub.requests.count, try Self.reports(s, record))
        _ = try s.app.pool.withConnection { try $0.query("DELETE FROM ingest_checkpoints", []) }
        let again = try s.app.ingest.backfill(record, timeframe: .d1, from: Self.from, to: Self.to)
        #expect(stub.requests.count > requestsBefore)
        #expect(again.bars == before.count)
        #expect(try s.app.bars.all(symbolID: record.id, timeframe: .d1) == before)
        #expect(try Self.reports(s, record) == reportsBefore)
        #expect(try s.app.checkpoints.checkpoint(symbol: "AAPL", timeframe: .d1) == before.last.map { $0.timestamp + 86_399 })
    }

    @Test func aFailingProviderStoresNothingAndSaysSo() throws {
        let stub = try YahooStub(status: 500, sample: nil, body: "upstream error")
        let s = try TestService(label: "ingestfail", environment: ["GS_YAHOO_BASE_URL": stub.baseURL, "GS_PROVIDER_ORDER_EQUITY": "yahoo"])
        _ = try s.app.symbols.create(NewSymbol(symbol: "FAIL", assetClass: .equity))
        let record = try #require(try s.app.symbols.find("FAIL"))
        #expect(throws: (any Error).self) {
            _ = try s.app.ingest.backfill(record, timeframe: .d1, from: Self.from, to: Self.to)
        }
        #expect(try s.app.bars.all(symbolID: record.id, timeframe: .d1).isEmpty)
        #expect(try s.app.checkpoints.checkpoint(symbol: "FAIL", timeframe: .d1) == nil)
        let yahoo = try Self.providerCalls(s, "yahoo")
        #expect(yahoo.errors >= 1)
        #expect(yahoo.lastError != nil)
        let empty = try s.get("/api/v1/market-data/FAIL")
        #expect((empty.json["bars"] as? [Any])?.isEmpty == true)
        #expect(empty.json["reason"] is String)
    }

    @Test func onlyTheReplicaHoldingTheLockIngests() throws {
        let stub = try YahooStub()
        let s = try TestService(label: "elect", environment: ["GS_YAHOO_BASE_URL": stub.baseURL, "GS_PROVIDER_ORDER_EQUITY": "yahoo"])
        _ = try s.app.symbols.create(NewSymbol(symbol: "AAPL", assetClass: .equity))
        _ = try s.app.symbols.create(NewSymbol(symbol: "DEMO.DEMO", assetClass: .equity, isDemo: true))
        // Start the backfill where the recorded response has bars (it was recorded in 2025).
        try s.app.checkpoints.saveCheckpoint(symbol: "AAPL", timeframe: .d1, through: Self.from - 1)
        let scheduler = IngestScheduler(conninfo: s.app.conninfo, symbols: s.app.symbols, ingest: s.app.ingest, providers: s.app.providers,
                                        interval: 0, logger: s.app.logger)

        // Another replica holds the ingestion lock: this one does nothing.
        let other = try PostgresConnection.connect(s.app.configuration.databaseURL!)
        defer { other.close() }
        #expect(try other.query("SELECT pg_try_advisory_lock($1)", [IngestScheduler.lockKey]).first?.decode(0, as: Bool.self) == true)
        scheduler.runOnce()
        #expect(stub.requests.count == 0)
        #expect(try other.query("SELECT count(*) FROM job_runs", []).first?.decode(0, as: Int.self) == 0)

        // Once it lets go, this one runs the round, ingests the real symbol and never the demo one.
        _ = try other.query("SELECT pg_advisory_unlock($1)", [IngestScheduler.lockKey])
        scheduler.runOnce()
        #expect(stub.requests.count >= 1)
        let run = try #require(try other.query("SELECT status, detail::text FROM job_runs WHERE job = 'ingest'", []).first)
        #expect(try run.decode(0, as: String.self) == "ok")
        let demo = try #require(try s.app.symbols.find("DEMO.DEMO"))
        #expect(try s.app.bars.all(symbolID: demo.id, timeframe: .d1).isEmpty)
        let aapl = try #require(try s.app.symbols.find("AAPL"))
        #expect(!(try s.app.bars.all(symbolID: aapl.id, timeframe: .d1)).isEmpty)
    }

    @Test func importAndQualityNeverBuildTheProviderChain() throws {
        let s = try TestService(label: "nochain")
        // A service that serves builds it at start (health and the scheduler use it) ...
        #expect(s.app.providersBuilt)
        // ... but the application `import` and `quality` build does not.
        var config = s.app.configuration
        config.environment = [:]
        let app = try Application(configuration: config, logger: s.app.logger)
        defer { app.close() }
        let summary = try app.imports.importFile(path: Paths.data("bluefin_TSLA.csv"), symbol: NewSymbol(symbol: "TSLA", assetClass: .equity),
                                                 timeframe: .d1, timeZone: .utc)
        #expect(summary.inserted > 0)
        let record = try #require(try app.symbols.find("TSLA"))
        _ = try app.quality.refresh(record, timeframe: .d1, trigger: "cli")
        #expect(!app.providersBuilt)
        withExtendedLifetime(s) {}   // its database must outlive `app`
    }
}
