// Dashboard benchmark: every daily file in ../shared/data is imported (signals generated and outcomes scored
// on arrival), the anomaly detector runs once, and the service answers over a real socket. Prints
//   (a) GET /api/v1/monitoring/dashboard p50/p99 (target < 50 ms), against GET /health/live in the same run;
//   (b) GET /metrics p99 while other clients load GET /api/v1/symbols (target < 5 ms), against
//       GET /health/live measured under the same load.
//   GS_TEST_DATABASE_URL=postgresql://… swift run -c release --package-path Benchmarks DashboardBench
import BenchSupport
import Foundation
import GoldenSignals
import HTTPClient

let samples = Int(benchEnvironment["SAMPLES"] ?? "") ?? 300
let loaders = Int(benchEnvironment["LOADERS"] ?? "") ?? 2

/// Latencies in milliseconds of `count` sequential GETs of `path` (after 20 warm-up requests).
func latencies(_ client: HTTPClient, _ base: String, _ path: String, count: Int) throws -> [Double] {
    var out: [Double] = []
    out.reserveCapacity(count)
    for i in 0..<(count + 20) {
        let start = DispatchTime.now().uptimeNanoseconds
        let r = try client.send(HTTPClientRequest(url: base + path))
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        guard r.status == 200 else { throw NSError(domain: "bench", code: r.status, userInfo: [NSLocalizedDescriptionKey: "\(path) answered \(r.status)"]) }
        if i >= 20 { out.append(ms) }
    }
    return out.sorted()
}

func quantile(_ sorted: [Double], _ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.down)))] }

do {
    let app = try benchApplication("dashboard") { $0.anomalyInterval = 0 }
    defer { app.close() }
    try importDailyFiles(app)
    _ = try app.outcomeService.evaluate()
    let port = try app.start(host: "127.0.0.1", port: 0)
    let base = "http://127.0.0.1:\(port)"
    let client = HTTPClient()
    // The first answer computes accuracy and the funnel over every outcome and candidate (then cached until they change).
    let coldStart = DispatchTime.now().uptimeNanoseconds
    let dashboardBytes = try client.send(HTTPClientRequest(url: base + "/api/v1/monitoring/dashboard")).body.count
    let coldMs = Double(DispatchTime.now().uptimeNanoseconds - coldStart) / 1e6
    try app.anomalyDetector.runOnce()   // the anomalies the answers list
    let counts = try app.pool.withConnection { conn in
        try conn.query("""
            SELECT (SELECT count(*) FROM signals)::int8, (SELECT count(*) FROM signal_outcomes WHERE final)::int8,
                   (SELECT count(*) FROM anomalies WHERE resolved_at IS NULL)::int8
            """, []).first!
    }
    print("dashboard over \(dailyFiles.count) daily series: \(try counts.decode(0, as: Int64.self)) signals, \(try counts.decode(1, as: Int64.self)) final outcomes, \(try counts.decode(2, as: Int64.self)) open anomalies; answer \(dashboardBytes) bytes; first answer (accuracy and funnel computed) \(String(format: "%.1f", coldMs)) ms")

    // (a) Idle service: the dashboard against the liveness probe.
    let live = try latencies(client, base, "/health/live", count: samples)
    let dash = try latencies(client, base, "/api/v1/monitoring/dashboard", count: samples)
    print(String(format: "  GET /api/v1/monitoring/dashboard: p50 %.2f ms, p99 %.2f ms (target < 50 ms) | reference GET /health/live p50 %.3f ms, p99 %.3f ms | p99 ratio %.1f×",
                 quantile(dash, 0.5), quantile(dash, 0.99), quantile(live, 0.5), quantile(live, 0.99), quantile(dash, 0.99) / quantile(live, 0.99)))

    // (b) Under load on another route: GET /metrics against GET /health/live, both measured while loaders run.
    let stop = ManagedAtomicFlag()
    var threads: [Thread] = []
    let loaded = LoadCounter()
    for _ in 0..<loaders {
        let t = Thread {
            let c = HTTPClient()
            while !stop.isSet { if (try? c.send(HTTPClientRequest(url: base + "/api/v1/symbols")))?.status == 200 { loaded.add() } }
        }
        t.start()
        threads.append(t)
    }
    let loadStart = Date()
    let liveLoaded = try latencies(client, base, "/health/live", count: samples)
    let metrics = try latencies(client, base, "/metrics", count: samples)
    stop.set()
    let rate = Double(loaded.value) / Date().timeIntervalSince(loadStart)
    let metricsBytes = try client.send(HTTPClientRequest(url: base + "/metrics")).body.count
    print(String(format: "  GET /metrics (%d bytes) under load (%d clients on GET /api/v1/symbols, %.0f req/s): p50 %.3f ms, p99 %.3f ms (target < 5 ms) | reference GET /health/live under the same load p99 %.3f ms | p99 ratio %.1f×",
                 metricsBytes, loaders, rate, quantile(metrics, 0.5), quantile(metrics, 0.99), quantile(liveLoaded, 0.99), quantile(metrics, 0.99) / quantile(liveLoaded, 0.99)))
    Thread.sleep(forTimeInterval: 0.5)
    app.close()
    try dropBenchDatabase("dashboard")
} catch {
    print("DashboardBench failed: \(error)")
    exit(1)
}

/// A stop flag the load threads poll.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var isSet: Bool { lock.withLock { flag } }
    func set() { lock.withLock { flag = true } }
}

/// Requests the load threads completed.
final class LoadCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    var value: Int { lock.withLock { n } }
    func add() { lock.withLock { n += 1 } }
}
