import Market

/// What a dataset holds: features, labels, normalization and splits.
public struct DatasetRequest: Sendable {
    public enum Format: String, Sendable { case csv, jsonl }
    public var features: [DatasetFeature]
    public var labels: [DatasetLabel]
    public var normalizeWindow: Int?
    public var splits: WalkForward?
    public var format: Format

    public init(features: [DatasetFeature], labels: [DatasetLabel] = [], normalizeWindow: Int? = nil,
                splits: WalkForward? = nil, format: Format = .csv) {
        self.features = features; self.labels = labels; self.normalizeWindow = normalizeWindow
        self.splits = splits; self.format = format
    }

    /// Parses `none` or `rolling:N`.
    public static func parseNormalize(_ text: String) throws -> Int? {
        if text == "none" || text.isEmpty { return nil }
        let p = text.split(separator: ":").map(String.init)
        guard p.count == 2, p[0] == "rolling", let w = Int(p[1]), (2...10_000).contains(w) else {
            throw DatasetSpecError(field: "normalize", message: "none or rolling:N with N from 2 to 10000")
        }
        return w
    }

    /// The longest label horizon (0 without labels).
    public var horizon: Int { labels.map(\.horizon).max() ?? 0 }

    /// Every column of a row, in order.
    public var columns: [String] {
        var c = ["symbol", "timestamp"] + features.map(\.name)
        if !labels.isEmpty { c += labels.flatMap(\.columns) + [DatasetLabel.pastEndColumn] }
        if splits != nil { c.append("split") }
        return c
    }

    /// The canonical parameters (the manifest records them so the dataset can be rebuilt).
    public var normalizeSpec: String { normalizeWindow.map { "rolling:\($0)" } ?? "none" }
}

/// One series' dataset: computed columns over its whole history and the rows to export.
public struct DatasetTable: Sendable {
    public var symbol: String
    public var time: [Int64]
    public var features: [[Double]]
    public var labels: [[Double]]
    public var pastEnd: [Bool]
    public var split: [String]?
    /// The exported rows (bars inside [from, to]).
    public var rows: Range<Int>

    /// Computes everything over the whole series (so warm-up never depends on the window) and keeps
    /// the rows inside [from, to].
    /// - Parameter boundaries: the walk-forward boundaries shared by the dataset's series.
    public init(symbol: String, series s: PriceSeries, info: SeriesInfo, request r: DatasetRequest,
                from: Int64? = nil, to: Int64? = nil, boundaries: [Int64] = []) {
        self.symbol = symbol
        time = s.time
        features = DatasetFeatureEngine.compute(s, info: info, features: r.features, normalizeWindow: r.normalizeWindow)
        if r.labels.isEmpty {
            labels = []; pastEnd = []
        } else {
            (labels, pastEnd) = DatasetLabelEngine.compute(s, labels: r.labels)
        }
        let lo = from.map { f in s.time.firstIndex { $0 >= f } ?? s.count } ?? 0
        let hi = to.map { t in s.time.lastIndex { $0 <= t }.map { $0 + 1 } ?? 0 } ?? s.count
        rows = lo..<max(lo, hi)
        if let wf = r.splits {
            split = wf.assign(times: s.time, boundaries: boundaries, horizon: r.horizon, rows: rows.count)
        }
    }

    /// Writes the header line (CSV only; JSONL has none).
    public static func header(_ r: DatasetRequest, into out: inout DatasetBuffer) {
        guard r.format == .csv else { return }
        out.append(r.columns.joined(separator: ",") + "\n")
    }

    /// Writes rows `range` (default: all exported rows), handing full buffers to `flush`; stops when it returns false.
    /// - Returns: false when `flush` asked to stop.
    @discardableResult
    public func write(_ r: DatasetRequest, into out: inout DatasetBuffer, range: Range<Int>? = nil,
                      flushAt: Int = 64 * 1024, flush: (inout DatasetBuffer) -> Bool) -> Bool {
        let csv = r.format == .csv
        let names: [[UInt8]] = r.columns.map { Array("\"\($0)\":".utf8) }
        let symbolBytes = Array(symbol.utf8)
        let nf = features.count, nl = labels.count
        for i in range ?? rows {
            out.reserve(64 + (nf + nl) * 40 + symbolBytes.count)
            var k = 0
            if csv {
                out.append(symbolBytes); out.byte(0x2C); out.timestamp(time[i])
                k = 2
                for f in 0..<nf { out.byte(0x2C); out.number(features[f][i]) }
                if nl > 0 {
                    for c in 0..<nl { out.byte(0x2C); out.number(labels[c][i]) }
                    out.byte(0x2C); out.byte(pastEnd[i] ? 0x31 : 0x30)
                }
                if let split { out.byte(0x2C); out.append(split[i]) }
                out.byte(0x0A)
            } else {
                out.byte(0x7B); out.append(names[0]); out.byte(0x22); out.append(symbolBytes); out.byte(0x22)
                out.byte(0x2C); out.append(names[1]); out.byte(0x22); out.timestamp(time[i]); out.byte(0x22)
                k = 2
                for f in 0..<nf { out.byte(0x2C); out.append(names[k]); k += 1; out.jsonNumber(features[f][i]) }
                if nl > 0 {
                    for c in 0..<nl { out.byte(0x2C); out.append(names[k]); k += 1; out.jsonNumber(labels[c][i]) }
                    out.byte(0x2C); out.append(names[k]); k += 1; out.byte(pastEnd[i] ? 0x31 : 0x30)
                }
                if let split { out.byte(0x2C); out.append(names[k]); out.byte(0x22); out.append(split[i]); out.byte(0x22) }
                out.byte(0x7D); out.byte(0x0A)
            }
            if out.count >= flushAt, !flush(&out) { return false }
        }
        return true
    }
}

/// A growable byte buffer with the fast, deterministic number and time formatting the exports use.
public struct DatasetBuffer: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    public private(set) var count = 0

    public init(capacity: Int = 80 * 1024) {
        self.capacity = max(capacity, 256)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Reads the bytes written so far without copying.
    public func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Forgets the bytes written (keeps the capacity).
    public mutating func removeAll() { count = 0 }

    @inline(__always) public mutating func reserve(_ extra: Int) {
        if count + extra > capacity {
            let newCapacity = max(capacity * 2, count + extra)
            let p = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            p.update(from: base, count: count)
            base.deallocate()
            base = p
            capacity = newCapacity
        }
    }

    @inline(__always) public mutating func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b; count += 1
    }

    public mutating func append(_ bytes: [UInt8]) {
        reserve(bytes.count)
        bytes.withUnsafeBufferPointer { (base + count).update(from: $0.baseAddress!, count: $0.count) }
        count += bytes.count
    }

    public mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { u in
            reserve(u.count)
            if u.count > 0 { (base + count).update(from: u.baseAddress!, count: u.count) }
            count += u.count
        }
    }

    /// RFC 3339 UTC: `2024-03-01T14:30:00Z`.
    public mutating func timestamp(_ t: Int64) {
        reserve(20)
        let days = t >= 0 ? t / 86_400 : -((-t + 86_399) / 86_400)
        let sod = Int(t - days * 86_400)
        let d = CivilDate(daysSinceEpoch: days)
        let p = base + count
        func two(_ v: Int, _ at: Int) { p[at] = UInt8(48 + v / 10); p[at + 1] = UInt8(48 + v % 10) }
        let y = d.year
        p[0] = UInt8(48 + y / 1000 % 10); p[1] = UInt8(48 + y / 100 % 10); two(y % 100, 2)
        p[4] = 0x2D; two(d.month, 5); p[7] = 0x2D; two(d.day, 8); p[10] = 0x54
        two(sod / 3600, 11); p[13] = 0x3A; two(sod / 60 % 60, 14); p[16] = 0x3A; two(sod % 60, 17); p[19] = 0x5A
        count += 20
    }

    /// A number for JSON: `null` for NaN.
    @inline(__always) public mutating func jsonNumber(_ v: Double) {
        if v.isNaN { append(Self.null) } else { number(v) }
    }
    private static let null: [UInt8] = Array("null".utf8)

    private static let pow10: [Double] = (0...30).map { var x = 1.0; for _ in 0..<$0 { x *= 10 }; return x }

    /// A number with at most 10 significant digits, never in exponent form, nothing for NaN (an empty CSV field).
    /// Whole numbers below 10^15 are written as integers.
    public mutating func number(_ v: Double) {
        if v.isNaN { return }
        reserve(48)
        var a = v
        if a < 0 { base[count] = 0x2D; count += 1; a = -a }
        if a == a.rounded(.towardZero), a < 1e15 {
            writeInteger(UInt64(a))
            return
        }
        guard a >= 1e-15, a < 1e15 else {   // outside the fast range (never for the features): Swift's shortest form
            append(a.description)
            return
        }
        // Decimal exponent e with 10^e <= a < 10^(e+1).
        var e = 0
        if a >= 1 { while e < 15, a >= Self.pow10[e + 1] { e += 1 } } else {
            e = -1
            while a * Self.pow10[-e] < 1 { e -= 1 }
        }
        let shift = 9 - e   // m = a × 10^shift has 10 digits
        var scaled = shift >= 0 ? a * Self.pow10[shift] : a / Self.pow10[-shift]
        scaled.round(.toNearestOrEven)
        var m = UInt64(scaled)
        if m >= 10_000_000_000 { m /= 10; e += 1 }
        // Digits of m (10 of them), then place the point.
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { d in
            var x = m
            var k = 9
            while k >= 0 { d[k] = UInt8(48 + x % 10); x /= 10; k -= 1 }
            var last = 9
            while last > 0, d[last] == 48 { last -= 1 }   // trailing zeros dropped
            let p = base
            var c = count
            if e >= 0 {
                // Integer part: digits 0...e (e ≤ 14; beyond 9 digits the rest are zeros).
                for k in 0...e { p[c] = k <= 9 ? d[k] : 48; c += 1 }
                if last > e {
                    p[c] = 0x2E; c += 1
                    for k in (e + 1)...last { p[c] = d[k]; c += 1 }
                }
            } else {
                p[c] = 48; p[c + 1] = 0x2E; c += 2
                for _ in 0..<(-e - 1) { p[c] = 48; c += 1 }
                for k in 0...last { p[c] = d[k]; c += 1 }
            }
            count = c
        }
    }

    @inline(__always) private mutating func writeInteger(_ v: UInt64) {
        if v < 10 { base[count] = UInt8(48 + v); count += 1; return }
        var x = v
        var len = 0
        while x > 0 { len += 1; x /= 10 }
        x = v
        var k = count + len - 1
        while x > 0 { base[k] = UInt8(48 + x % 10); x /= 10; k -= 1 }
        count += len
    }
}
