import Foundation
import GoldenSignals
import HTTPClient
import Logging
import Market
import Signals
import Testing

/// Metrics through swift-metrics into swift-prometheus: bounded labels, the JSON view, the series the
/// services record.
@Suite struct MetricsTests {
    /// The lines of a Prometheus rendering for one metric name (samples only).
    static func samples(_ text: String, _ name: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
    }

    @Test func routeLabelsAreTemplatesSoAThousandIdsMakeOneSeries() throws {
        let s = try TestService(label: "metrics_ids")
        for _ in 0..<1_000 {
            let r = try s.get("/api/v1/signals/\(UUID().uuidString.lowercased())")
            #expect(r.status == 404)
        }
        let text = try s.get("/metrics").text
        let lines = Self.samples(text, "gs_http_requests_total").filter { $0.contains(#"route="/api/v1/signals/{id}""#) }
        #expect(lines == [#"gs_http_requests_total{method="GET",route="/api/v1/signals/{id}",status="404"} 1000"#])
        let histogram = Self.samples(text, "gs_http_request_duration_seconds_count").filter { $0.contains("{id}") }
        #expect(histogram == [#"gs_http_request_duration_seconds_count{route="/api/v1/signals/{id}"} 1000"#])
        #expect(!text.contains("-4"), "no raw id in any label")
    }

    @Test func unknownMethodsAreCountedAsOther() throws {
        let s = try TestService(label: "metrics_methods")
        for method in ["BREW", "FROB", "XYZZY", "GET"] {
            _ = try s.request(method, "/api/v1/symbols")
        }
        let text = try s.get("/metrics").text
        let lines = Self.samples(text, "gs_http_requests_total")
        #expect(!text.contains("BREW") && !text.contains("FROB") && !text.contains("XYZZY"))
        // An unknown method on a known path is answered 405 without a route; either way, one series.
        #expect(lines.filter { $0.contains(#"method="OTHER""#) } == [#"gs_http_requests_total{method="OTHER",route="unmatched",status="405"} 3"#],
                "\(lines)")
        #expect(lines.contains(#"gs_http_requests_total{method="GET",route="/api/v1/symbols",status="200"} 1"#))
        #expect(MetricsRegistry.methodLabel("get") == "OTHER")  // methods are case-sensitive
        #expect(MetricsRegistry.methodLabel("DELETE") == "DELETE")
    }

    @Test func theJSONViewHasTheSameFigures() throws {
        let s = try TestService(label: "metrics_json")
        _ = try s.get("/api/v1/symbols")
        _ = try s.get("/api/v1/symbols")
        let r = try s.get("/api/v1/monitoring/metrics")
        #expect(r.status == 200)
        #expect(r.header("Content-Type")?.hasPrefix("application/json") == true)
        let families = try #require(r.json["metrics"] as? [[String: Any]])
        func family(_ name: String) -> [String: Any]? { families.first { $0["name"] as? String == name } }
        let requests = try #require(family("gs_http_requests_total"))
        #expect(requests["type"] as? String == "counter")
        #expect((requests["help"] as? String)?.isEmpty == false)
        let series = requests["series"] as? [[String: Any]] ?? []
        let symbols = series.first { ($0["labels"] as? [String: String])?["route"] == "/api/v1/symbols" }
        #expect(symbols?["value"] as? Int == 2)
        #expect((symbols?["labels"] as? [String: String]) == ["method": "GET", "route": "/api/v1/symbols", "status": "200"])

        let latency = try #require(family("gs_http_request_duration_seconds"))
        #expect(latency["type"] as? String == "histogram")
        let routeSeries = (latency["series"] as? [[String: Any]] ?? []).first { ($0["labels"] as? [String: String])?["route"] == "/api/v1/symbols" }
        #expect(routeSeries?["count"] as? Int == 2)
        let buckets = routeSeries?["buckets"] as? [[String: Any]] ?? []
        #expect(buckets.count == MetricsRegistry.latencyBuckets.count + 1)
        #expect(buckets.last?["le"] as? String == "+Inf" && buckets.last?["count"] as? Int == 2)

        // Pool and worker-pool state are read at each scrape.
        for name in ["gs_db_pool_connections", "gs_db_pool_waiting", "gs_http_worker_queue_depth", "gs_http_worker_saturation",
                     "gs_process_start_time_seconds"] {
            #expect(family(name)?["type"] as? String == "gauge", "\(name)")
        }
    }

    @Test func applicationsInOneProcessDoNotShareSeries() throws {
        let a = MetricsRegistry(), b = MetricsRegistry()
        a.recordRequest(method: "GET", route: "/x", status: 200, seconds: 0.001)
        a.recordRequest(method: "GET", route: "/x", status: 200, seconds: 0.002)
        #expect(a.value("gs_http_requests_total", labels: [("method", "GET"), ("route", "/x"), ("status", "200")]) == 2)
        #expect(b.value("gs_http_requests_total", labels: [("method", "GET"), ("route", "/x"), ("status", "200")]) == nil)
        a.recordRejected(status: 431)
        #expect(a.value("gs_http_rejected_requests_total", labels: [("reason", "headers_too_large")]) == 1)
        a.recordRejected(status: 503)  // body budget full, or a handler past its deadline
        a.recordRejected(status: 417)
        #expect(a.value("gs_http_rejected_requests_total", labels: [("reason", "unavailable")]) == 1)
        #expect(a.value("gs_http_rejected_requests_total", labels: [("reason", "expectation_failed")]) == 1)
        a.recordProviderCall(provider: "yahoo", ok: false, seconds: 0.3)
        let text = a.renderText()
        #expect(text.contains(#"gs_provider_calls_total{provider="yahoo",outcome="error"} 1"#))
        #expect(text.contains(#"gs_provider_call_duration_seconds_count{provider="yahoo"} 1"#))
        #expect(text.contains("# HELP gs_provider_calls_total "))
        #expect(text.contains("# TYPE gs_http_request_duration_seconds histogram"))
    }

    @Test func concurrentRecordingLosesNothing() async throws {
        let m = MetricsRegistry()
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<8 {
                group.addTask {
                    for i in 0..<5_000 { m.recordRequest(method: "GET", route: "/r\(i % 4)", status: 200 + t % 2, seconds: 0.0001) }
                }
            }
        }
        var total = 0.0
        for r in 0..<4 {
            for status in [200, 201] {
                total += m.value("gs_http_requests_total", labels: [("method", "GET"), ("route", "/r\(r)"), ("status", String(status))]) ?? 0
            }
        }
        #expect(total == 40_000)
    }

    @Test func generationQualityAndIngestionAreCounted() throws {
        let s = try SignalAPITests.service("metrics_signals")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Paths.data("bluefin_MSFT.csv"))))
        let bars = try OHLCVCSVReader.parse(bytes, options: CSVImportOptions(timeframe: .d1, localTimeZone: .utc)).bars
        let expected = SignalEngine().run(PriceSeries(bars), info: SeriesInfo(symbol: "MSFT", timeframe: .d1, assetClass: .equity, calendar: NYSECalendar()))
        let families = MetricsSnapshot.parse(s.app.metrics.render())
        func sum(_ name: String, where keep: ([(String, String)]) -> Bool = { _ in true }) -> Double {
            families.first { $0.name == name }?.samples.filter { keep($0.labels) }.reduce(0) { $0 + $1.value } ?? 0
        }
        #expect(sum("gs_signals_generated_total") == Double(expected.filter(\.published).count))
        #expect(sum("gs_signals_filtered_total") == Double(expected.filter { !$0.published }.count))
        let firstRejected = try #require(expected.first { !$0.published })
        let sameCell = expected.filter { $0.strategy == firstRejected.strategy && $0.rejectedBy == firstRejected.rejectedBy }.count
        #expect(sum("gs_signals_filtered_total") { $0.contains { $0 == ("strategy", firstRejected.strategy) }
            && $0.contains { $0 == ("layer", firstRejected.rejectedBy!.rawValue) } } == Double(sameCell))
        let score = sum("gs_quality_score") { $0.contains { $0 == ("symbol", "MSFT") } && $0.contains { $0 == ("timeframe", "1d") } }
        #expect(score > 0 && score <= 1)

        // An upload counts its bars by source.
        let upload = try s.postJSON("/api/v1/market-data/MSFT/bars?timeframe=1d",
                                    #"{"bars":[{"timestamp":"2031-01-02T00:00:00Z","open":1,"high":2,"low":0.5,"close":1.5,"volume":10}]}"#)
        #expect(upload.status == 200 || upload.status == 201, "\(upload.text)")
        #expect(s.app.metrics.value("gs_bars_ingested_total", labels: [("source", "upload")]) == 1)
    }
}
