import Foundation
@testable import GoldenSignals
import HTTPClient
import Market
import Postgres
import Signals
import Testing

/// Anomaly detection against PostgreSQL and the monitoring routes over real sockets.
@Suite(.serialized) struct MonitoringTests {
    /// Failed provider calls recorded now (what the provider chain writes).
    static func failCalls(_ s: TestService, provider: String, count: Int) throws {
        try s.app.pool.withConnection { conn in
            for _ in 0..<count {
                try conn.query("INSERT INTO provider_calls (provider, symbol, timeframe, http_status, latency_ms, error) VALUES ($1, 'AAPL', '1d', 503, 120, 'HTTP 503')",
                               [provider])
            }
        }
    }

    /// Waits until the registry has counted `n` answers of `GET /health/live` (recorded as the response goes out).
    static func waitForLiveCount(_ s: TestService, _ n: Double) throws {
        let deadline = Date().addingTimeInterval(5)
        while s.app.metrics.value("gs_http_requests_total", labels: [("method", "GET"), ("route", "/health/live"), ("status", "200")]) ?? 0 < n {
            guard Date() < deadline else { throw NotCounted() }
            usleep(5_000)
        }
    }

    static func rows(_ s: TestService, kind: String) throws -> [(open: Bool, occurrences: Int64)] {
        try s.app.pool.withConnection { conn in
            try conn.query("SELECT resolved_at IS NULL, occurrences::int8 FROM anomalies WHERE kind = $1 ORDER BY id", [kind]).map {
                (try $0.decode(0), try $0.decode(1))
            }
        }
    }

    /// The accuracy figures (and the funnel beside them) are cached by a fingerprint of what they depend on; it
    /// changes with every store of new candidates, a store of filtered candidates only included, and not otherwise.
    @Test func theAccuracyFingerprintChangesWithEveryStoreOfCandidates() throws {
        let s = try TestService(label: "accuracy_print") { $0.generateOnArrival = false }
        let bars = try OHLCVCSVReader.parse([UInt8](try #require(FileManager.default.contents(atPath: Paths.data("bluefin_MSFT.csv")))),
                                            options: CSVImportOptions(timeframe: .d1, localTimeZone: .utc)).bars
        let made = SignalEngine().run(PriceSeries(bars), info: SeriesInfo(symbol: "MSFT", timeframe: .d1, assetClass: .equity,
                                                                         calendar: NYSECalendar()))
        // The newest bar whose candidates were all filtered (the engine says the same of it with the later bars cut).
        let byBar = Dictionary(grouping: made, by: \.bar.timestamp)
        let t = try #require(bars.indices.last { k in byBar[bars[k].timestamp].map { !$0.isEmpty && !$0.contains(where: \.published) } ?? false })
        let (symbol, _) = try s.app.symbols.ensure(NewSymbol(symbol: "MSFT", assetClass: .equity))
        func fingerprint() throws -> String { try s.app.pool.withConnection { try SignalAccuracy.fingerprint(on: $0) } }
        let empty = try fingerprint()
        _ = try s.app.bars.upsert(symbolID: symbol.id, timeframe: .d1, bars: Array(bars[..<t]), source: "file")
        _ = try s.app.signalService.generate()
        let before = try fingerprint()
        #expect(before != empty)
        _ = try s.app.bars.upsert(symbolID: symbol.id, timeframe: .d1, bars: [bars[t]], source: "file")
        let filteredOnly = try s.app.signalService.generate()
        #expect(filteredOnly.generated == 0 && filteredOnly.rejected == byBar[bars[t].timestamp]?.count)
        let after = try fingerprint()
        #expect(after != before)
        _ = try s.app.signalService.generate()   // nothing new
        #expect(try fingerprint() == after)
    }

    @Test func reDetectionUpdatesTheOpenRowAndClearingResolvesIt() throws {
        let s = try TestService(label: "anomaly_cycle")
        try Self.failCalls(s, provider: "alphavantage", count: 6)
        let first = try s.app.anomalyDetector.runOnce()
        #expect(first.elected && first.opened == 1)
        try s.app.anomalyDetector.runOnce()
        var rows = try Self.rows(s, kind: "provider_error_spike")
        #expect(rows.count == 1)
        #expect(rows.first?.open == true && rows.first?.occurrences == 2)
        #expect(s.app.metrics.value("gs_anomalies_open", labels: [("kind", "provider_error_spike")]) == 1)

        let open = try s.get("/api/v1/monitoring/anomalies?status=open")
        #expect(open.status == 200)
        let listed = try #require(open.json["anomalies"] as? [[String: Any]])
        #expect(listed.count == 1)
        #expect(listed.first?["subject"] as? String == "alphavantage")
        #expect((listed.first?["details"] as? [String: Any])?["errors"] as? Int == 6)

        // The condition clears: the row is resolved, not deleted, and a new failure opens a new row.
        try s.app.pool.withConnection { _ = try $0.query("DELETE FROM provider_calls", []) }
        let cleared = try s.app.anomalyDetector.runOnce()
        #expect(cleared.resolved == 1)
        rows = try Self.rows(s, kind: "provider_error_spike")
        #expect(rows.count == 1 && rows[0].open == false)
        #expect(s.app.metrics.value("gs_anomalies_open", labels: [("kind", "provider_error_spike")]) == 0)
        #expect((try s.get("/api/v1/monitoring/anomalies").json["anomalies"] as? [Any])?.count == 0)
        #expect((try s.get("/api/v1/monitoring/anomalies?status=resolved").json["anomalies"] as? [Any])?.count == 1)
        try Self.failCalls(s, provider: "alphavantage", count: 6)
        try s.app.anomalyDetector.runOnce()
        #expect(try Self.rows(s, kind: "provider_error_spike").map(\.open) == [false, true])
    }

    /// Latency and 5xx spikes come from the HTTP series of the metrics registry, between two rounds.
    @Test func httpSpikesAreReadFromTheMetrics() throws {
        let s = try TestService(label: "anomaly_http")
        try s.app.anomalyDetector.runOnce()   // the baseline
        for _ in 0..<10 { #expect(try s.get("/health/live").status == 200) }
        try Self.waitForLiveCount(s, 10)
        // Traffic as the metrics middleware records it: slow answers and server errors on a template route.
        for _ in 0..<30 { s.app.metrics.recordRequest(method: "GET", route: "/api/v1/signals/{id}", status: 503, seconds: 3) }
        let spike = try s.app.anomalyDetector.runOnce()
        #expect(Set(spike.findings.map(\.kind)).isSuperset(of: [.latencySpike, .serverErrorSpike]))
        let errors = try #require(spike.findings.first { $0.kind == .serverErrorSpike })
        #expect(errors.details.first { $0.0 == "server_errors" }?.1 == .number(30))
        #expect(errors.details.first { $0.0 == "requests" }?.1 == .number(40))
        // A quiet interval resolves both.
        for _ in 0..<25 { _ = try s.get("/health/live") }
        try Self.waitForLiveCount(s, 35)
        let quiet = try s.app.anomalyDetector.runOnce()
        #expect(quiet.resolved == 2)
        #expect(try Self.rows(s, kind: "latency_spike").map(\.open) == [false])
    }

    /// With two replicas, the elected detector judges the traffic of both: server errors answered by a
    /// replica that is not elected open the anomaly all the same.
    @Test func httpSpikesOfEveryReplicaAreJudged() throws {
        let a = try TestService(label: "anomaly_http_a")
        let b = try TestService(label: "anomaly_http_b", databaseURL: a.app.configuration.databaseURL)
        try a.app.anomalyDetector.runOnce()   // baselines
        try b.app.anomalyDetector.runOnce()
        for _ in 0..<30 { a.app.metrics.recordRequest(method: "GET", route: "/api/v1/signals/{id}", status: 503, seconds: 0.01) }
        // A's round, while another session holds the detector's lock: A publishes its window, writes nothing.
        let other = try PostgresConnection.connect(a.app.conninfo)
        defer { other.close() }
        #expect(try other.query("SELECT pg_try_advisory_lock($1)", [AnomalyDetector.lockKey]).first?.decode(0, as: Bool.self) == true)
        #expect(!(try a.app.anomalyDetector.runOnce().elected))
        _ = try other.query("SELECT pg_advisory_unlock($1)", [AnomalyDetector.lockKey])
        // B, elected, saw no error itself and finds A's.
        let round = try b.app.anomalyDetector.runOnce()
        #expect(round.elected)
        let errors = try #require(round.findings.first { $0.kind == .serverErrorSpike })
        #expect(errors.details.first { $0.0 == "server_errors" }?.1 == .number(30))
        #expect(errors.details.first { $0.0 == "replicas" }?.1 == .number(2))
        #expect(!round.findings.contains { $0.kind == .latencySpike })
        #expect(try Self.rows(a, kind: "server_error_spike").map(\.open) == [true])
    }

    @Test func badQueryIsNamed() throws {
        let s = try TestService(label: "anomaly_400")
        for (query, field) in [("status=closed", "status"), ("kind=nope", "kind"), ("limit=0", "limit"), ("cursor=zz", "cursor")] {
            let r = try s.get("/api/v1/monitoring/anomalies?\(query)")
            #expect(r.status == 400)
            #expect(r.header("Content-Type")?.hasPrefix("application/problem+json") == true)
            #expect(r.text.contains(field))
        }
    }

    @Test func pagesWithACursor() throws {
        let s = try TestService(label: "anomaly_paging")
        for p in ["p1", "p2", "p3"] { try Self.failCalls(s, provider: p, count: 5) }
        try s.app.anomalyDetector.runOnce()
        var seen: [String] = []
        var path = "/api/v1/monitoring/anomalies?limit=2"
        while true {
            let r = try s.get(path)
            #expect(r.status == 200)
            seen += (r.json["anomalies"] as? [[String: Any]] ?? []).compactMap { $0["subject"] as? String }
            guard let next = r.json["next_cursor"] as? String else { break }
            path = "/api/v1/monitoring/anomalies?limit=2&cursor=\(next)"
        }
        #expect(seen.sorted() == ["p1", "p2", "p3"])
    }

    @Test func onlyTheLockHolderWrites() throws {
        let s = try TestService(label: "anomaly_leader")
        try Self.failCalls(s, provider: "alphavantage", count: 6)
        let other = try PostgresConnection.connect(s.app.conninfo)
        defer { other.close() }
        #expect(try other.query("SELECT pg_try_advisory_lock($1)", [AnomalyDetector.lockKey]).first?.decode(0, as: Bool.self) == true)
        let round = try s.app.anomalyDetector.runOnce()
        #expect(!round.elected)
        #expect(try Self.rows(s, kind: "provider_error_spike").isEmpty)
        _ = try other.query("SELECT pg_advisory_unlock($1)", [AnomalyDetector.lockKey])
        #expect(try s.app.anomalyDetector.runOnce().elected)
        #expect(try Self.rows(s, kind: "provider_error_spike").count == 1)
    }

    @Test func staleDataAndAnOutageThatEnded() throws {
        let s = try TestService(label: "anomaly_stale") { $0.generateOnArrival = false }
        _ = try s.app.imports.importFile(path: Paths.data("bluefin_TSLA.csv"), symbol: NewSymbol(symbol: "TSLA", assetClass: .equity),
                                         timeframe: .d1, timeZone: .utc)
        // Five-minute bars of 2006: an intraday series years of trading sessions behind.
        _ = try s.app.imports.importFile(path: Paths.data("bt_2006-min-005.txt"), symbol: NewSymbol(symbol: "FDAX", assetClass: .index),
                                         timeframe: .m5, timeZone: .centralEurope)
        // The outage the pool saw (connect failures) is written once the database answers.
        s.app.databaseOutages.noteFailure(at: Int64(Date().timeIntervalSince1970) - 120)
        let round = try s.app.anomalyDetector.runOnce()
        #expect(round.outageRecorded)
        let r = try s.get("/api/v1/monitoring/anomalies?status=all")
        let list = r.json["anomalies"] as? [[String: Any]] ?? []
        let stale = list.first { $0["kind"] as? String == "stale_data" && $0["subject"] as? String == "TSLA 1d" }
        #expect((stale?["details"] as? [String: Any])?["newest_bar"] as? String == "2020-12-11T00:00:00Z")
        let intraday = list.first { $0["kind"] as? String == "stale_data" && $0["subject"] as? String == "FDAX 5m" }
        #expect(intraday?["severity"] as? String == "critical")
        #expect((intraday?["details"] as? [String: Any])?["newest_bar"] as? String == "2006-01-30T16:30:00Z", "\(String(describing: intraday))")
        let outage = list.first { $0["kind"] as? String == "database_unreachable" }
        #expect(outage?["status"] as? String == "resolved")
        #expect(!(try s.app.anomalyDetector.runOnce().outageRecorded))   // recorded once
    }

    /// The dashboard shows webhook subscriptions by state, what waits, and those that need attention (one
    /// failing now, one disabled), with the recorded reason, and never their URLs.
    @Test func dashboardShowsWebhooksThatNeedAttention() throws {
        let s = try TestService(label: "dashboard_hooks", environment: ["GS_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
                                                                        "GS_WEBHOOK_POLL_INTERVAL": "0.1"])
        let empty = try s.get("/api/v1/monitoring/dashboard").json["webhooks"] as? [String: Any]
        #expect(empty?["subscriptions"] as? Int == 0 && (empty?["attention"] as? [Any])?.isEmpty == true)
        // Nothing listens on port 1: every delivery is refused.
        let failing = try #require(try s.postJSON("/api/v1/webhooks", #"{"url":"http://127.0.0.1:1/hook","events":["signal.created"]}"#).json["id"] as? String)
        let off = try #require(try s.postJSON("/api/v1/webhooks", #"{"url":"http://127.0.0.1:1/other","events":["signal.closed"]}"#).json["id"] as? String)
        #expect(try s.request("PATCH", "/api/v1/webhooks/\(off)", body: #"{"enabled":false}"#, headers: [("Content-Type", "application/json")]).status == 200)
        #expect(try s.request("POST", "/api/v1/webhooks/\(failing)/test").status == 202)
        var wh: [String: Any] = [:]
        let deadline = Date().addingTimeInterval(15)
        repeat {
            Thread.sleep(forTimeInterval: 0.1)
            wh = try s.get("/api/v1/monitoring/dashboard").json["webhooks"] as? [String: Any] ?? [:]
        } while wh["failing"] as? Int != 1 && Date() < deadline
        #expect(wh["subscriptions"] as? Int == 2 && wh["enabled"] as? Int == 1 && wh["disabled"] as? Int == 1 && wh["failing"] as? Int == 1, "\(wh)")
        #expect(wh["pending_messages"] as? Int == 1 && wh["delivered_24h"] as? Int == 0 && (wh["failed_attempts_24h"] as? Int ?? 0) >= 1, "\(wh)")
        let attention = wh["attention"] as? [[String: Any]] ?? []
        let states = Dictionary(uniqueKeysWithValues: attention.compactMap { a in (a["id"] as? String).map { ($0, a) } })
        #expect(states[failing]?["state"] as? String == "failing" && states[failing]?["since"] is String)
        #expect(states[failing]?["events"] as? [String] == ["signal.created"])
        #expect(states[off]?["state"] as? String == "disabled" && states[off]?["reason"] as? String == "disabled by request")
        #expect(!(try s.get("/api/v1/monitoring/dashboard").text.contains("127.0.0.1:1")), "a webhook URL reached the dashboard")
    }

    /// Real files imported, generated and evaluated: the dashboard's figures agree with the tables.
    @Test func dashboardAgreesWithTheDatabase() throws {
        let s = try TestService(label: "dashboard") { $0.generateOnArrival = false }
        for (file, symbol) in [("bluefin_MSFT.csv", "MSFT"), ("bluefin_TSLA.csv", "TSLA"), ("bestdaybtc_BTC-USD.csv", "BTC-USD")] {
            _ = try s.app.imports.importFile(path: Paths.data(file), symbol: NewSymbol(symbol: symbol, assetClass: AssetClass.infer(fromSymbol: symbol)),
                                             timeframe: .d1, timeZone: .utc)
        }
        _ = try s.app.signalService.generate()
        _ = try s.app.outcomeService.evaluate()
        try s.app.anomalyDetector.runOnce()
        let r = try s.get("/api/v1/monitoring/dashboard")
        #expect(r.status == 200)
        let d = r.json
        let truth = try s.app.pool.withConnection { conn in
            try conn.query("""
                SELECT (SELECT count(*) FROM signal_outcomes WHERE final AND published)::int8,
                       (SELECT count(*) FROM signal_outcomes WHERE final AND published AND hit)::int8,
                       (SELECT count(*) FROM signals)::int8, (SELECT count(*) FROM signals WHERE published)::int8
                """, []).first!
        }
        let acc = try #require(d["signal_accuracy"] as? [String: Any])
        let overall = try #require(acc["overall"] as? [String: Any])
        let n = try truth.decode(0, as: Int64.self), hits = try truth.decode(1, as: Int64.self)
        #expect(n > 100)
        #expect(overall["n"] as? Int == Int(n))
        #expect(abs((overall["hit_rate"] as? Double ?? -1) - Double(hits) / Double(n)) < 1e-9)
        let strategies = try #require(acc["by_strategy"] as? [[String: Any]])
        #expect(strategies.reduce(0) { $0 + ($1["n"] as? Int ?? 0) } == Int(n))
        #expect(strategies.allSatisfy { ($0["reliability"] as? [[String: Any]] ?? []).reduce(0) { $0 + ($1["n"] as? Int ?? 0) } == $0["n"] as? Int })
        let daily = try #require(acc["daily"] as? [[String: Any]])
        #expect(!daily.isEmpty && daily.count <= 180)
        let funnel = try #require(d["funnel"] as? [String: Any])
        #expect(funnel["candidates"] as? Int == Int(try truth.decode(2, as: Int64.self)))
        #expect(funnel["published"] as? Int == Int(try truth.decode(3, as: Int64.self)))
        let health = try #require(d["system_health"] as? [String: Any])
        #expect(health["status"] as? String == "ok")
        let jobs = try #require(health["jobs"] as? [[String: Any]])
        #expect(jobs.map { $0["job"] as? String ?? "" } == ["ingest", "evaluate", "anomalies"])
        #expect(jobs.last?["last_status"] as? String == "ok")
        let quality = try #require((d["data_quality"] as? [String: Any])?["series"] as? [[String: Any]])
        #expect(Set(quality.compactMap { $0["symbol"] as? String }) == ["MSFT", "TSLA", "BTC-USD"])
        let scores = quality.compactMap { $0["score"] as? Double }
        #expect(scores == scores.sorted())
        let latest = try #require(d["latest_signals"] as? [[String: Any]])
        #expect(latest.count == DashboardService.latestSignals)
        let times = latest.compactMap { $0["timestamp"] as? String }
        #expect(times == times.sorted(by: >))
        #expect((d["anomalies"] as? [[String: Any]])?.contains { $0["kind"] as? String == "stale_data" } == true)
        // The reserved accuracy series are filled in.
        let first = try #require(strategies.first)
        #expect(s.app.metrics.value("gs_signal_hit_rate", labels: [("strategy", first["strategy"] as! String)]) == first["hit_rate"] as? Double)
        let rendered = s.app.metrics.renderText()
        #expect(rendered.contains("gs_signal_outcomes_total{") && rendered.contains("gs_signal_calibration_error{"))
    }

    @Test func providersShowHeadroomButNeverKeys() throws {
        let keys = ["gsTestSecretAAAA1111", "gsTestSecretBBBB2222"]
        let s = try TestService(label: "dashboard_keys", environment: ["GS_ALPHAVANTAGE_KEYS": keys.joined(separator: ","),
                                                                    "GS_ALPHAVANTAGE_RATE_LIMIT": "5/60"])
        try s.app.pool.withConnection { conn in
            for error in [nil, nil, "HTTP 429"] as [String?] {
                try conn.query("INSERT INTO provider_calls (provider, key_slot, symbol, timeframe, http_status, latency_ms, error) VALUES ('alphavantage', 0, 'AAPL', '1d', 200, 250, $1)",
                               [error])
            }
        }
        let r = try s.get("/api/v1/monitoring/dashboard")
        #expect(r.status == 200)
        for key in keys { #expect(!r.text.contains(key)) }
        let providers = try #require(r.json["providers"] as? [[String: Any]])
        let av = try #require(providers.first { $0["provider"] as? String == "alphavantage" })
        #expect(av["configured"] as? Bool == true)
        #expect(av["calls_1h"] as? Int == 3 && av["errors_1h"] as? Int == 1)
        #expect(abs((av["success_rate_1h"] as? Double ?? 0) - 2.0 / 3.0) < 1e-12)
        #expect(av["latency_ms_p50"] as? Double == 250)
        let limit = try #require(av["rate_limit"] as? [String: Any])
        #expect(limit["requests"] as? Int == 10)   // 5 per 60 s for each of the two keys
        #expect(limit["used_in_window"] as? Int == 3)
        #expect(abs((limit["headroom"] as? Double ?? 0) - 0.7) < 1e-12)
        #expect(providers.first { $0["provider"] as? String == "polygon" }?["configured"] as? Bool == false)
    }

    @Test func pageIsSelfContainedAndOpen() throws {
        let s = try TestService(label: "dashboard_page", environment: ["GS_AUTH": "required"])
        let page = try s.get("/dashboard")
        #expect(page.status == 200)
        #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(page.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        // Nothing is loaded from elsewhere: no external script, style sheet, image or font.
        for external in ["<script src", "rel=\"stylesheet", "src=\"http", "href=\"http", "url(", "@import"] { #expect(!page.text.contains(external)) }
        // The API behind it needs a key.
        #expect(try s.get("/api/v1/monitoring/dashboard").status == 401)
    }
}

/// The registry did not count the requests in time.
struct NotCounted: Error {}
