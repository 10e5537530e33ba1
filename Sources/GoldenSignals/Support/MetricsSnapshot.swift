import HTTPServer

/// The Prometheus text exposition read back into families and samples, for the JSON view
/// (`GET /api/v1/monitoring/metrics`) and tests: the same figures as `GET /metrics`, by construction.
public enum MetricsSnapshot {
    public struct Sample: Sendable {
        /// The sample's own name (`…_bucket`, `…_sum`, `…_count` for histograms).
        public var name: String
        public var labels: [(String, String)]
        public var value: Double
    }

    public struct Family: Sendable {
        public var name: String
        public var type: String
        public var help: String?
        public var samples: [Sample]
    }

    /// Families sorted by name, samples in the order rendered.
    public static func parse(_ text: [UInt8]) -> [Family] {
        var families: [String: Family] = [:]
        var order: [String] = []
        func family(_ name: String) -> String {
            if families[name] != nil { return name }
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
                let base = String(name.dropLast(suffix.count))
                if families[base]?.type == "histogram" { return base }
            }
            families[name] = Family(name: name, type: "untyped", help: nil, samples: [])
            order.append(name)
            return name
        }
        for lineBytes in text.split(separator: UInt8(ascii: "\n")) {
            let line = String(decoding: lineBytes, as: UTF8.self)
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let rest = line.dropFirst(7)
                guard let space = rest.firstIndex(of: " ") else { continue }
                let name = family(String(rest[..<space]))
                let text = String(rest[rest.index(after: space)...])
                if line.hasPrefix("# HELP ") { families[name]?.help = text } else { families[name]?.type = text }
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let sample = parseSample(line) else { continue }
            families[family(sample.name)]?.samples.append(sample)
        }
        return order.sorted().compactMap { families[$0] }
    }

    /// `name{k="v",…} value` or `name value`.
    static func parseSample(_ line: String) -> Sample? {
        let u = Array(line.utf8)
        var i = 0
        while i < u.count, u[i] != UInt8(ascii: "{"), u[i] != UInt8(ascii: " ") { i += 1 }
        let name = String(decoding: u[0..<i], as: UTF8.self)
        var labels: [(String, String)] = []
        if i < u.count, u[i] == UInt8(ascii: "{") {
            i += 1
            while i < u.count, u[i] != UInt8(ascii: "}") {
                var k = i
                while k < u.count, u[k] != UInt8(ascii: "=") { k += 1 }
                let key = String(decoding: u[i..<k], as: UTF8.self)
                i = k + 2 // past ="
                var value: [UInt8] = []
                while i < u.count, u[i] != UInt8(ascii: "\"") {
                    if u[i] == UInt8(ascii: "\\"), i + 1 < u.count {
                        i += 1
                        value.append(u[i] == UInt8(ascii: "n") ? 10 : u[i])
                    } else {
                        value.append(u[i])
                    }
                    i += 1
                }
                labels.append((key, String(decoding: value, as: UTF8.self)))
                i += 1 // past "
                if i < u.count, u[i] == UInt8(ascii: ",") { i += 1 }
            }
            i += 1 // past }
        }
        while i < u.count, u[i] == UInt8(ascii: " ") { i += 1 }
        var end = i
        while end < u.count, u[end] != UInt8(ascii: " ") { end += 1 }
        let text = String(decoding: u[i..<end], as: UTF8.self)
        let value: Double?
        switch text {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default: value = Double(text)
        }
        guard !name.isEmpty, let value else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }

    /// `{"metrics":[{"name","type","help","series":[…]}]}`: a counter's or gauge's series carry `labels`
    /// and `value`; a histogram's carry `labels`, `count`, `sum` and cumulative `buckets` (`le`, `count`).
    public static func json(_ families: [Family]) -> [UInt8] {
        var w = JSONWriter(capacity: 4096)
        w.beginObject()
        w.key("metrics"); w.beginArray()
        for f in families {
            w.beginObject()
            w.key("name"); w.string(f.name)
            w.key("type"); w.string(f.type)
            w.key("help"); if let h = f.help { w.string(h) } else { w.null() }
            w.key("series"); w.beginArray()
            if f.type == "histogram" {
                writeHistogram(f, into: &w)
            } else {
                for s in f.samples {
                    w.beginObject()
                    w.key("labels"); writeLabels(s.labels, into: &w)
                    w.key("value"); writeNumber(s.value, into: &w)
                    w.endObject()
                }
            }
            w.endArray()
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    private static func writeHistogram(_ f: Family, into w: inout JSONWriter) {
        struct Series { var labels: [(String, String)]; var buckets: [(String, Double)] = []; var sum = 0.0; var count = 0.0 }
        var byLabels: [String: Series] = [:]
        var order: [String] = []
        for s in f.samples {
            let own = s.labels.filter { $0.0 != "le" }
            let key = own.map { "\($0.0)=\($0.1)" }.joined(separator: "\u{0}")
            if byLabels[key] == nil { byLabels[key] = Series(labels: own); order.append(key) }
            if s.name == f.name + "_bucket" {
                byLabels[key]!.buckets.append((s.labels.first { $0.0 == "le" }?.1 ?? "+Inf", s.value))
            } else if s.name == f.name + "_sum" {
                byLabels[key]!.sum = s.value
            } else if s.name == f.name + "_count" {
                byLabels[key]!.count = s.value
            }
        }
        for key in order {
            let s = byLabels[key]!
            w.beginObject()
            w.key("labels"); writeLabels(s.labels, into: &w)
            w.key("count"); writeNumber(s.count, into: &w)
            w.key("sum"); writeNumber(s.sum, into: &w)
            w.key("buckets"); w.beginArray()
            for (le, count) in s.buckets {
                w.beginObject(); w.key("le"); w.string(le); w.key("count"); writeNumber(count, into: &w); w.endObject()
            }
            w.endArray()
            w.endObject()
        }
    }

    private static func writeLabels(_ labels: [(String, String)], into w: inout JSONWriter) {
        w.beginObject()
        for (k, v) in labels { w.key(k); w.string(v) }
        w.endObject()
    }

    private static func writeNumber(_ v: Double, into w: inout JSONWriter) {
        if !v.isFinite { w.null() } else if v == v.rounded(), abs(v) < 9e15 { w.number(Int64(v)) } else { w.number(v) }
    }
}
