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

/// A keyed provider's stand-in that quotes the request target back in its error body, as some upstream error pages
/// do (Alpha Vantage on `/query`, Stooq on `/q/d/l/`): the key travels in the query string and comes back in the body.
final class EchoingProviderStub: @unchecked Sendable {
    /// The request targets received, in order.
    final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func add(_ s: String) { lock.withLock { items.append(s) } }
        var all: [String] { lock.withLock { items } }
    }
    private(set) var server: HTTPServer!
    let requests = Seen()

    init() throws {
        let router = Router()
        let seen = requests
        router.get("/query") { request in
            let target = request.target
            seen.add(target)
            return .text("<html><body>403 Forbidden: the key in \(target) is not valid</body></html>", status: .forbidden)
        }
        router.get("/q/d/l/") { request in
            let target = request.target
            seen.add(target)
            return .bytes(Array("<!DOCTYPE html><p>Quota exceeded for \(target) (apikey used).</p>".utf8), contentType: "text/html")
        }
        server = try startStubServer(router)
    }

    var baseURL: String { "http://127.0.0.1:\(server.localPort)" }

    deinit { server.shutdown() }
}

/// Ingestion as an operator runs it: small pools, probes under load, keys that must never leak, bounded history.
@Suite struct IngestOperationsTests {
    static let from = RFC3339.parse("2025-04-01")!

    @Test func aScheduledRoundRunsWithAPoolOfOneConnection() throws {
        let stub = try YahooStub()
        let s = try TestService(label: "pool1", environment: ["GS_YAHOO_BASE_URL": stub.baseURL, "GS_PROVIDER_ORDER_EQUITY": "yahoo"]) {
            $0.poolSize = 1
        }
        let aapl = try #require(try s.app.symbols.create(NewSymbol(symbol: "AAPL", assetClass: .equity, exchange: "NASDAQ")))
        try s.app.checkpoints.saveCheckpoint(symbol: "AAPL", timeframe: .d1, through: Self.from - 1)
        let scheduler = IngestScheduler(conninfo: s.app.conninfo, symbols: s.app.symbols, ingest: s.app.ingest,
                                        providers: s.app.providers, interval: 0, logger: s.app.logger)
        scheduler.runOnce()
        let run = try #require(try s.app.pool.withConnection { conn in
            try conn.query("SELECT status, detail::text FROM job_runs WHERE job = 'ingest'", []).first
        })
        let detail = try run.decode(1, as: String.self)
        #expect(try run.decode(0, as: String.self) == "ok", "\(detail)")
        #expect(try s.app.bars.all(symbolID: aapl.id, timeframe: .d1).count >= 120)
        // The round released everything: the one pooled connection is free again.
        #expect(s.app.pool.statistics.inUse == 0)
        scheduler.stop()
    }

    @Test func probesAnswerWhileRequestsHoldEveryPooledConnection() throws {
        let s = try TestService(label: "probe") { $0.poolSize = 1 }
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let pool = s.app.pool
        Thread.detachNewThread {
            _ = try? pool.withConnection { _ in
                holding.signal()
                release.wait()
            }
            done.signal()
        }
        holding.wait()
        defer {
            release.signal()
            done.wait()
        }
        #expect(pool.statistics.inUse == 1)
        let ready = try s.get("/health/ready")
        #expect(ready.status == 200, "\(ready.text)")
        #expect(ready.json["status"] as? String == "ready")
        let health = try s.get("/health")
        #expect(health.status == 200)
        #expect(health.json["status"] as? String == "ok")
        let database = (health.json["checks"] as? [String: Any])?["database"] as? [String: Any]
        #expect(database?["status"] as? String == "up")
        #expect(((database?["pool"] as? [String: Any])?["in_use"] as? Int) == 1)
    }

    @Test func aRoundNeverStoresOrLogsTheProviderKey() throws {
        let key = "GSLEAKTESTKEY7Q4Z", stooqKey = "gsleak-stooq-key-5R2"
        let stub = try EchoingProviderStub()
        let records = LogRecords()
        var logger = records.logger
        logger.logLevel = .trace
        let s = try TestService(label: "leak", environment: [
            "GS_ALPHAVANTAGE_BASE_URL": stub.baseURL, "GS_ALPHAVANTAGE_KEY": key,
            "GS_STOOQ_BASE_URL": stub.baseURL, "GS_STOOQ_KEY": stooqKey,
            "GS_PROVIDER_ORDER_EQUITY": "alphavantage,stooq",
        ], logger: logger)
        _ = try s.app.symbols.create(NewSymbol(symbol: "AAPL", assetClass: .equity, exchange: "NASDAQ"))
        let scheduler = IngestScheduler(conninfo: s.app.conninfo, symbols: s.app.symbols, ingest: s.app.ingest,
                                        providers: s.app.providers, interval: 0, logger: s.app.logger)
        scheduler.runOnce()
        scheduler.stop()

        // The keys did go out (in the query string) and came back in the bodies.
        let sent = stub.requests.all
        #expect(sent.contains { $0.contains("apikey=\(key)") })
        #expect(sent.contains { $0.contains("apikey=\(stooqKey)") })
        // The round failed, was recorded and logged ...
        let calls = try s.app.pool.withConnection { conn in
            try conn.query("SELECT provider, error FROM provider_calls ORDER BY id", []).map { (try $0.decode(0, as: String.self), try $0.decode(1, as: String?.self)) }
        }
        #expect(Set(calls.map(\.0)) == ["alphavantage", "stooq"])
        #expect(calls.allSatisfy { ($0.1 ?? "").contains("<redacted>") && ($0.1 ?? "").count <= 400 })
        let logText = records.all.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(logText.contains("ingestion round had failures"))
        // ... and neither key is anywhere: not in the log, not in any table, not in /health or /metrics.
        for secret in [key, stooqKey] {
            let inLog = logText.localizedCaseInsensitiveContains(secret)   // not the text itself: a failure must not print the key
            #expect(!inLog, "the log holds a provider key")
            let tables = try s.app.pool.withConnection { conn in
                try conn.query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'", [])
                    .map { try $0.decode(0, as: String.self) }
            }
            #expect(tables.contains("provider_calls") && tables.contains("job_runs"))
            for table in tables {
                let hits = try s.app.pool.withConnection { conn in
                    try conn.query("SELECT count(*) FROM \"\(table)\" t WHERE t::text ILIKE '%' || $1 || '%'", [secret]).first?.decode(0, as: Int.self)
                }
                #expect(hits == 0, "table \(table) holds a provider key")
            }
            #expect(!(try s.get("/health").text.contains(secret)))
            #expect(!(try s.get("/metrics").text.contains(secret)))
        }
    }

    @Test func qualityHistoryKeepsTheConfiguredNumberOfReports() throws {
        let s = try TestService(label: "retain") { $0.qualityHistory = 3 }
        let record = try #require(try s.app.symbols.create(NewSymbol(symbol: "KEEP", assetClass: .equity)))
        let other = try #require(try s.app.symbols.create(NewSymbol(symbol: "OTHER", assetClass: .equity)))
        for symbol in ["KEEP", "OTHER"] {
            let bars = #"{"bars":[{"timestamp":"2024-03-01T00:00:00Z","open":10,"high":11,"low":9,"close":10.5,"volume":100}]}"#
            #expect(try s.postJSON("/api/v1/market-data/\(symbol)/bars", bars).status == 200)
        }
        for _ in 0..<5 {
            _ = try s.app.quality.refresh(record, timeframe: .d1, trigger: "on_demand")
            _ = try s.app.quality.refresh(other, timeframe: .d1, trigger: "on_demand")
        }
        func count(_ r: SymbolRecord) throws -> Int {
            try s.app.pool.withConnection { conn in
                try conn.query("SELECT count(*) FROM quality_reports WHERE symbol_id = $1", [r.id]).first!.decode(0)
            }
        }
        #expect(try count(record) == 3)
        #expect(try count(other) == 3)
        // The newest survives, and the summary still has a previous score.
        #expect(try s.app.qualityReports.latest(symbolID: record.id, timeframe: .d1)?.trigger == "on_demand")
        let summary = try s.get("/api/v1/quality?timeframe=1d")
        let rows = summary.json["symbols"] as? [[String: Any]] ?? []
        #expect(rows.contains { $0["symbol"] as? String == "KEEP" && $0["previous_score"] is Double })
    }

    @Test func anUnchangedUploadDoesNotRefreshTheQualityReport() throws {
        let s = try TestService(label: "norefresh")
        let record = try #require(try s.app.symbols.create(NewSymbol(symbol: "SAME", assetClass: .equity)))
        let body = #"{"bars":[{"timestamp":"2024-03-01T00:00:00Z","open":10,"high":11,"low":9,"close":10.5,"volume":100},{"timestamp":"2024-03-04T00:00:00Z","open":10.5,"high":12,"low":10,"close":11,"volume":200}]}"#
        func reports() throws -> Int {
            try s.app.pool.withConnection { conn in
                try conn.query("SELECT count(*) FROM quality_reports WHERE symbol_id = $1", [record.id]).first!.decode(0)
            }
        }
        #expect(try s.postJSON("/api/v1/market-data/SAME/bars", body).status == 200)
        #expect(try reports() == 1)
        let again = try s.postJSON("/api/v1/market-data/SAME/bars", body)
        #expect(again.json["unchanged"] as? Int == 2)
        #expect(try reports() == 1)
        let revised = body.replacingOccurrences(of: #""close":11,"#, with: #""close":11.25,"#)
        #expect(try s.postJSON("/api/v1/market-data/SAME/bars", revised).json["updated"] as? Int == 1)
        #expect(try reports() == 2)
    }

    @Test func outsideNumbersThatWouldTrapAreRefused() throws {
        for v in ["inf", "1e300", "nan", "-1"] {
            #expect(throws: ConfigurationError.self) { try AppConfiguration.fromEnvironment(["GS_INGEST_INTERVAL": v]) }
            #expect(throws: ConfigurationError.self) { try AppConfiguration.fromEnvironment(["GS_EVALUATE_INTERVAL": v]) }
            #expect(throws: ConfigurationError.self) { try AppConfiguration.fromEnvironment(["GS_WEBHOOK_RETRY_SCHEDULE": "5,\(v)"]) }
        }
        #expect(try AppConfiguration.fromEnvironment(["GS_INGEST_INTERVAL": "86400"]).ingestInterval == 86_400)
        #expect(throws: ConfigurationError.self) { try AppConfiguration.fromEnvironment(["GS_QUALITY_HISTORY": "1"]) }
        for rate in ["1e-320/s", "1e300", "inf", "0", "-5/s"] { #expect(AccessSettings.parseRate(rate) == nil, "\(rate)") }
        #expect(AccessSettings.parseRate("20/s") == 20 && AccessSettings.parseRate("60/m") == 1)
    }

    @Test func aKeyWithAVanishingRateIsThrottledWithoutTrapping() throws {
        // A key created with rate 1e-300 makes the wait for its next token infinite; the 429 says so in bounded numbers.
        let s = try TestService(label: "tinyrate")
        let (_, admin) = try s.app.keys.create(NewAPIKey(name: "admin", scopes: [.admin], rate: 1000, burst: 1000))
        let made = try s.request("POST", "/api/v1/keys", body: #"{"name":"slow","scopes":["read"],"rate":1e-300,"burst":1}"#,
                                 headers: [("Authorization", "Bearer \(admin)"), ("Content-Type", "application/json")])
        guard made.status == 201, let slow = made.json["key"] as? String else {
            // Refusing such a rate outright is just as safe.
            #expect(made.status == 400)
            return
        }
        #expect(try s.get("/api/v1/symbols", headers: [("Authorization", "Bearer \(slow)")]).status == 200)
        let limited = try s.get("/api/v1/symbols", headers: [("Authorization", "Bearer \(slow)")])
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After").flatMap { Int($0) } != nil)
        #expect(try s.get("/health/live").status == 200)
    }
}

@Suite struct CheckpointMigrationTests {
    @Test func checkpointsWrittenPastTheNewestBarMoveBackToItsEnd() throws {
        let s = try TestService(label: "cpmig")
        let aapl = try #require(try s.app.symbols.create(NewSymbol(symbol: "AAPL", assetClass: .equity)))
        _ = try s.app.symbols.create(NewSymbol(symbol: "NOBARS", assetClass: .equity))
        let day = RFC3339.parse("2025-10-27")!
        _ = try s.app.bars.upsert(symbolID: aapl.id, timeframe: .d1,
                                  bars: [Bar(timestamp: day, open: 10, high: 11, low: 9, close: 10.5, volume: 100)], source: "yahoo")
        // As the old scheduler left them: the wall-clock time of a round, mid-session the next day.
        try s.app.checkpoints.saveCheckpoint(symbol: "AAPL", timeframe: .d1, through: day + 86_400 + 19 * 3_600)
        try s.app.checkpoints.saveCheckpoint(symbol: "NOBARS", timeframe: .d1, through: day)
        let sql = try String(contentsOfFile: Paths.migrations + "/0013_checkpoints_at_final_bars.sql", encoding: .utf8)
        try s.app.pool.withConnection { try $0.execute(sql) }
        #expect(try s.app.checkpoints.checkpoint(symbol: "AAPL", timeframe: .d1) == day + 86_399)
        #expect(try s.app.checkpoints.checkpoint(symbol: "NOBARS", timeframe: .d1) == nil)
        // Once more changes nothing; a checkpoint behind the newest bar is left alone.
        try s.app.checkpoints.saveCheckpoint(symbol: "AAPL", timeframe: .d1, through: day - 1)
        try s.app.pool.withConnection { try $0.execute(sql) }
        #expect(try s.app.checkpoints.checkpoint(symbol: "AAPL", timeframe: .d1) == day - 1)
    }
}
