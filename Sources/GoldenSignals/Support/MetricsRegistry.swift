import Primitives
import Synchronization

/// Counters, gauges and histograms, rendered in the Prometheus text exposition format (0.0.4).
public final class MetricsRegistry: Sendable {
    private struct State {
        var counters: [String: [String: Double]] = [:]          // name → labels → value
        var gauges: [String: [String: Double]] = [:]
        var histograms: [String: [String: Histogram]] = [:]
        var help: [String: (type: String, text: String)] = [:]
    }

    private struct Histogram {
        var buckets: [Double]
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }

    /// Latency buckets in seconds, from 0.5 ms to 10 s.
    public static let latencyBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    private let state = Mutex(State())

    public init() {}

    /// Declares a metric's type and help text (shown once in the exposition).
    public func describe(_ name: String, type: String, help: String) {
        state.withLock { $0.help[name] = (type, help) }
    }

    /// Adds to a counter.
    public func increment(_ name: String, labels: [(String, String)] = [], by value: Double = 1) {
        let key = Self.labelKey(labels)
        state.withLock { $0.counters[name, default: [:]][key, default: 0] += value }
    }

    /// Sets a gauge.
    public func set(_ name: String, labels: [(String, String)] = [], _ value: Double) {
        let key = Self.labelKey(labels)
        state.withLock { $0.gauges[name, default: [:]][key] = value }
    }

    /// Records one observation in a histogram.
    public func observe(_ name: String, labels: [(String, String)] = [], _ value: Double, buckets: [Double] = MetricsRegistry.latencyBuckets) {
        let key = Self.labelKey(labels)
        state.withLock { s in
            var h = s.histograms[name]?[key] ?? Histogram(buckets: buckets, counts: Array(repeating: 0, count: buckets.count))
            for (i, bound) in h.buckets.enumerated() where value <= bound { h.counts[i] += 1 }
            h.sum += value
            h.count += 1
            s.histograms[name, default: [:]][key] = h
        }
    }

    /// A counter's current value (for tests and the JSON view).
    public func value(_ name: String, labels: [(String, String)] = []) -> Double? {
        let key = Self.labelKey(labels)
        return state.withLock { $0.counters[name]?[key] ?? $0.gauges[name]?[key] }
    }

    /// The whole registry as Prometheus text.
    public func render() -> String {
        let s = state.withLock { $0 }
        var out = ""
        func header(_ name: String, _ fallback: String) {
            let h = s.help[name]
            out += "# HELP \(name) \(h?.text ?? name)\n# TYPE \(name) \(h?.type ?? fallback)\n"
        }
        for name in s.counters.keys.sorted() {
            header(name, "counter")
            for (labels, v) in s.counters[name]!.sorted(by: { $0.key < $1.key }) { out += "\(name)\(labels) \(Self.number(v))\n" }
        }
        for name in s.gauges.keys.sorted() {
            header(name, "gauge")
            for (labels, v) in s.gauges[name]!.sorted(by: { $0.key < $1.key }) { out += "\(name)\(labels) \(Self.number(v))\n" }
        }
        for name in s.histograms.keys.sorted() {
            header(name, "histogram")
            for (labels, h) in s.histograms[name]!.sorted(by: { $0.key < $1.key }) {
                let inner = labels.isEmpty ? "" : String(labels.dropFirst().dropLast()) + ","
                for (i, bound) in h.buckets.enumerated() {
                    out += "\(name)_bucket{\(inner)le=\"\(Self.number(bound))\"} \(h.counts[i])\n"
                }
                out += "\(name)_bucket{\(inner)le=\"+Inf\"} \(h.count)\n"
                out += "\(name)_sum\(labels) \(Self.number(h.sum))\n\(name)_count\(labels) \(h.count)\n"
            }
        }
        return out
    }

    static func labelKey(_ labels: [(String, String)]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
    }

    static func escape(_ v: String) -> String {
        var o = ""
        for c in v {
            switch c {
            case "\\": o += "\\\\"
            case "\"": o += "\\\""
            case "\n": o += "\\n"
            default: o.append(c)
            }
        }
        return o
    }

    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        return DecimalText.string(v)
    }
}
