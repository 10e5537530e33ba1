import CoreMetrics
import HTTPServer
import Primitives
import Prometheus
import Synchronization

/// The service's metrics: recorded through swift-metrics (`CoreMetrics.Counter`, `Gauge`, `Timer`) made by
/// `factory`, kept and rendered by swift-prometheus' `PrometheusCollectorRegistry`.
///
/// Each `Application` owns one registry and passes `factory` explicitly, so that many applications in one
/// process (the tests) never share series and nothing depends on the once-only `MetricsSystem.bootstrap`.
/// Metric objects are cached per label set, and per thread for requests: recording a request is a
/// thread-local dictionary lookup, an atomic add and the histogram's short lock, with no allocation once
/// the series exists.
///
/// Every name recorded here is declared in `help` (names, types and labels are listed there); labels are
/// bounded sets (route templates, known methods, provider and strategy names, symbols the service stores).
public final class MetricsRegistry: Sendable {
    /// The swift-prometheus registry that renders `GET /metrics`.
    public let prometheus: PrometheusCollectorRegistry
    /// The swift-metrics factory every series of this registry is made through.
    public let factory: PrometheusHelpFactory

    /// HELP text of every metric the service records.
    public static let help: [String: String] = [
        // HTTP
        "gs_http_requests_total": "HTTP requests answered, by method (unknown methods as OTHER), route template and status.",
        "gs_http_request_duration_seconds": "Time to answer an HTTP request, by route template.",
        "gs_http_rejected_requests_total": "Requests refused before routing, or answered by the server past their handler's deadline, by reason (malformed, too_large, uri_too_long, expectation_failed, headers_too_large, timeout, not_implemented, unavailable: body budget full or handler deadline passed, version_not_supported, other).",
        "gs_http_worker_queue_depth": "Requests waiting for a worker thread.",
        "gs_http_worker_busy": "Worker threads running a request.",
        "gs_http_worker_saturation": "Share of worker threads busy (0 to 1).",
        "gs_http_worker_refused_total": "Requests answered 503 because the worker queue was full.",
        // Database pool
        "gs_db_pool_connections": "Database pool connections by state (open, idle, in_use).",
        "gs_db_pool_waiting": "Callers waiting for a database connection.",
        "gs_db_pool_waits_total": "Times a caller had to wait for a database connection.",
        "gs_db_pool_timeouts_total": "Times no database connection was free within the acquire timeout.",
        "gs_db_pool_errors_total": "Database pool errors, by kind (connect, broken).",
        // Read replica (DATABASE_READ_URL)
        "gs_db_reads_total": "Connections taken for read-only routes, by target (replica, primary).",
        "gs_db_read_fallbacks_total": "Read-only work sent to the primary although a replica is configured, by reason (lag, down, not_in_recovery, connect).",
        "gs_db_read_replica_usable": "Whether the read replica is used for read-only routes (1) or reads go to the primary (0).",
        "gs_db_read_replica_lag_seconds": "Replay lag of the read replica at its last health check (0 when it has replayed all it received).",
        // Market data
        "gs_provider_calls_total": "Outbound market-data provider calls, by provider and outcome.",
        "gs_provider_call_duration_seconds": "Time an outbound market-data provider call took, by provider.",
        "gs_bars_ingested_total": "Bars inserted or updated, by source (provider name, upload, import).",
        "gs_quality_score": "Latest data-quality score of a series (0 to 1), by symbol and timeframe.",
        // Signals
        "gs_signals_generated_total": "Signals generated and published (every layer passed), by strategy.",
        "gs_signals_filtered_total": "Candidate signals filtered out, by strategy and the first layer that rejected them.",
        // Outcomes, accuracy and anomalies (set by the anomaly detector's rounds).
        "gs_signal_outcomes_total": "Signal outcomes resolved, by strategy and outcome.",
        "gs_signal_hit_rate": "Share of resolved signals that hit their target, by strategy.",
        "gs_signal_calibration_error": "Calibration error of confidence against realised hit rate, by strategy.",
        "gs_anomalies_open": "Anomalies currently open, by kind.",
        "gs_webhook_deliveries_total": "Webhook delivery attempts, by outcome (delivered, retry, given_up).",
        // Process
        "gs_process_start_time_seconds": "Unix time the process started.",
    ]

    /// Latency buckets in seconds, from 0.5 ms to 10 s.
    public static let latencyBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    /// Provider call buckets in seconds, from 10 ms to 30 s.
    public static let providerBuckets: [Double] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    /// The series of one (route, method, status): its counter and its route's latency timer.
    private struct RequestKey: Hashable {
        let route: String
        let method: String
        let status: Int
    }
    private struct RequestSeries {
        let count: CoreMetrics.Counter
        let duration: CoreMetrics.Timer
    }
    private let requests = Mutex<[RequestKey: RequestSeries]>([:])
    /// Each thread's copy of the series it has used: a request's lookup takes no lock once its series exist.
    private final class RequestCache { var series: [RequestKey: RequestSeries] = [:] }
    private let local = ThreadLocal { RequestCache() }
    private let durations = Mutex<[String: CoreMetrics.Timer]>([:])
    /// Every other series, by name and label values.
    private let series = Mutex<[String: any AnyObject & Sendable]>([:])
    /// Run before each rendering: they read pool and server state into gauges.
    private let collectors = Mutex<[@Sendable (MetricsRegistry) -> Void]>([])

    public init() {
        let registry = PrometheusCollectorRegistry()
        prometheus = registry
        var durationBuckets: [String: [Duration]] = [:]
        durationBuckets["gs_http_request_duration_seconds"] = Self.latencyBuckets.map { Duration.nanoseconds(Int64(($0 * 1e9).rounded())) }
        durationBuckets["gs_provider_call_duration_seconds"] = Self.providerBuckets.map { Duration.nanoseconds(Int64(($0 * 1e9).rounded())) }
        factory = PrometheusHelpFactory(registry: registry, help: Self.help, durationBuckets: durationBuckets,
                                        defaultDurationBuckets: durationBuckets["gs_http_request_duration_seconds"]!)
    }

    // MARK: HTTP

    /// Methods counted under their own name; any other token is counted as `OTHER`, so invented methods
    /// cannot add series.
    public static func methodLabel(_ method: String) -> String {
        switch method {
        case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE": method
        default: "OTHER"
        }
    }

    /// One answered request: `route` is the route template (or `unmatched`), never a raw path.
    public func recordRequest(method: String, route: String, status: Int, seconds: Double) {
        let key = RequestKey(route: route, method: Self.methodLabel(method), status: status)
        let cache = local.value
        let s: RequestSeries
        if let hit = cache.series[key] {
            s = hit
        } else {
            s = requests.withLock { $0[key] } ?? makeRequestSeries(key)
            cache.series[key] = s
        }
        s.count.increment()
        s.duration.recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    private func makeRequestSeries(_ key: RequestKey) -> RequestSeries {
        let timer = durations.withLock { timers in
            if let t = timers[key.route] { return t }
            let t = CoreMetrics.Timer(label: "gs_http_request_duration_seconds", dimensions: [("route", key.route)], factory: factory)
            timers[key.route] = t
            return t
        }
        let counter = CoreMetrics.Counter(label: "gs_http_requests_total",
                                          dimensions: [("method", key.method), ("route", key.route), ("status", String(key.status))],
                                          factory: factory)
        let made = RequestSeries(count: counter, duration: timer)
        return requests.withLock { map in
            if let existing = map[key] { return existing }
            map[key] = made
            return made
        }
    }

    /// The reason label for a request refused before routing, from the status it was answered with.
    public static func rejectionReason(status: Int) -> String {
        switch status {
        case 400: "malformed"
        case 408: "timeout"
        case 413: "too_large"
        case 414: "uri_too_long"
        case 417: "expectation_failed"
        case 431: "headers_too_large"
        case 501: "not_implemented"
        case 503: "unavailable"
        case 505: "version_not_supported"
        default: "other"
        }
    }

    public func recordRejected(status: Int) {
        counter("gs_http_rejected_requests_total", [("reason", Self.rejectionReason(status: status))]).increment()
    }

    // MARK: Market data and signals

    public func recordProviderCall(provider: String, ok: Bool, seconds: Double) {
        counter("gs_provider_calls_total", [("provider", provider), ("outcome", ok ? "ok" : "error")]).increment()
        timer("gs_provider_call_duration_seconds", [("provider", provider)]).recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    public func recordBarsIngested(source: String, count: Int) {
        guard count > 0 else { return }
        counter("gs_bars_ingested_total", [("source", source)]).increment(by: Int64(count))
    }

    public func setQualityScore(symbol: String, timeframe: String, score: Double) {
        gauge("gs_quality_score", [("symbol", symbol), ("timeframe", timeframe)]).record(score)
    }

    /// Published signals of one strategy.
    public func recordSignalsGenerated(strategy: String, count: Int) {
        guard count > 0 else { return }
        counter("gs_signals_generated_total", [("strategy", strategy)]).increment(by: Int64(count))
    }

    /// Candidates of one strategy filtered out by one layer.
    public func recordSignalsFiltered(strategy: String, layer: String, count: Int) {
        guard count > 0 else { return }
        counter("gs_signals_filtered_total", [("strategy", strategy), ("layer", layer)]).increment(by: Int64(count))
    }

    // MARK: Outcomes, hit rate, calibration, anomalies
    // Set by each anomaly-detection round (`AnomalyDetector.refreshOutcomeMetrics` and `runOnce`).

    /// Final outcomes of one strategy and result (win, loss, expired).
    public func recordSignalOutcome(strategy: String, outcome: String, count: Int = 1) {
        guard count > 0 else { return }
        counter("gs_signal_outcomes_total", [("strategy", strategy), ("outcome", outcome)]).increment(by: Int64(count))
    }

    public func setHitRate(strategy: String, _ rate: Double) {
        gauge("gs_signal_hit_rate", [("strategy", strategy)]).record(rate)
    }

    public func setCalibrationError(strategy: String, _ error: Double) {
        gauge("gs_signal_calibration_error", [("strategy", strategy)]).record(error)
    }

    public func setAnomaliesOpen(kind: String, _ count: Int) {
        gauge("gs_anomalies_open", [("kind", kind)]).record(Double(count))
    }

    // MARK: Generic access (cached per name and label values)

    public func counter(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.Counter {
        cached("c", name, labels) { CoreMetrics.Counter(label: name, dimensions: labels, factory: factory) }
    }

    public func gauge(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.Gauge {
        cached("g", name, labels) { CoreMetrics.Gauge(label: name, dimensions: labels, factory: factory) }
    }

    public func timer(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.Timer {
        cached("t", name, labels) { CoreMetrics.Timer(label: name, dimensions: labels, factory: factory) }
    }

    private func cached<T: AnyObject & Sendable>(_ kind: String, _ name: String, _ labels: [(String, String)], make: () -> T) -> T {
        var key = kind + " " + name
        for (k, v) in labels { key += "\u{0}" + k + "=" + v }
        if let found = series.withLock({ $0[key] }) as? T { return found }
        let made = make()
        return series.withLock { map in
            if let existing = map[key] as? T { return existing }
            map[key] = made
            return made
        }
    }

    // MARK: Rendering

    /// Adds work run before each rendering (reading pool or server state into gauges and counters).
    public func addCollector(_ collect: @escaping @Sendable (MetricsRegistry) -> Void) {
        collectors.withLock { $0.append(collect) }
    }

    /// Runs the collectors and renders the Prometheus text exposition format (0.0.4).
    public func render() -> [UInt8] {
        for collect in collectors.withLock({ $0 }) { collect(self) }
        return prometheus.emitToBuffer()
    }

    /// The text rendering as a string (for tests).
    public func renderText() -> String {
        String(decoding: render(), as: UTF8.self)
    }

    /// A counter's or gauge's current value, read back from the rendering (for tests).
    public func value(_ name: String, labels: [(String, String)] = []) -> Double? {
        let families = MetricsSnapshot.parse(render())
        guard let family = families.first(where: { $0.name == name }) else { return nil }
        for sample in family.samples where sample.name == name && sample.labels.count == labels.count {
            var same = true
            for (have, want) in zip(sample.labels, labels) where have.0 != want.0 || have.1 != want.1 { same = false }
            if same { return sample.value }
        }
        return nil
    }
}

/// swift-prometheus' registry behind the swift-metrics `MetricsFactory` protocol, like its own
/// `PrometheusMetricsFactory`, but with each metric's HELP text and per-metric histogram buckets.
public struct PrometheusHelpFactory: MetricsFactory {
    public let registry: PrometheusCollectorRegistry
    let help: [String: String]
    let durationBuckets: [String: [Duration]]
    let defaultDurationBuckets: [Duration]
    let valueBuckets: [Double] = [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 1, 10, 100, 1000]

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help[label] ?? "")
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: help[label] ?? "")
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        if aggregate {
            return registry.makeValueHistogram(name: label, labels: dimensions, buckets: valueBuckets, help: help[label] ?? "")
        }
        return registry.makeGauge(name: label, labels: dimensions, help: help[label] ?? "")
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(name: label, labels: dimensions, help: help[label] ?? "")
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(name: label, labels: dimensions, buckets: durationBuckets[label] ?? defaultDurationBuckets,
                                       help: help[label] ?? "")
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        if let c = handler as? Prometheus.Counter { registry.unregisterCounter(c) }
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let c = handler as? Prometheus.Counter { registry.unregisterCounter(c) }
    }

    public func destroyRecorder(_ handler: any RecorderHandler) {
        if let g = handler as? Prometheus.Gauge { registry.unregisterGauge(g) }
        if let h = handler as? Prometheus.ValueHistogram { registry.unregisterValueHistogram(h) }
    }

    public func destroyMeter(_ handler: any MeterHandler) {
        if let g = handler as? Prometheus.Gauge { registry.unregisterGauge(g) }
    }

    public func destroyTimer(_ handler: any TimerHandler) {
        if let h = handler as? Prometheus.DurationHistogram { registry.unregisterDurationHistogram(h) }
    }
}
