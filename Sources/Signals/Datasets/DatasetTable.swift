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
    /// - Parameter outcomes: the series' published signals with their outcomes (read only by `signal_outcome` labels).
    public init(symbol: String, series s: PriceSeries, info: SeriesInfo, request r: DatasetRequest,
                from: Int64? = nil, to: Int64? = nil, boundaries: [Int64] = [], outcomes: [SignalOutcomePoint] = []) {
        self.symbol = symbol
        time = s.time
        features = DatasetFeatureEngine.compute(s, info: info, features: r.features, normalizeWindow: r.normalizeWindow)
        if r.labels.isEmpty {
            labels = []; pastEnd = []
        } else {
            (labels, pastEnd) = DatasetLabelEngine.compute(s, labels: r.labels, outcomes: outcomes)
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
        Self.withPointers(features + labels) { columns in
            writeRows(r, columns, into: &out, range: range ?? rows, flushAt: flushAt, flush: flush)
        }
    }

    /// Runs `body` with a pointer to every column's storage (nested `withUnsafeBufferPointer`s).
    static func withPointers<R>(_ columns: [[Double]], _ k: Int = 0, _ pointers: [UnsafePointer<Double>] = [],
                                _ body: ([UnsafePointer<Double>]) -> R) -> R {
        if k == columns.count { return body(pointers) }
        return columns[k].withUnsafeBufferPointer { p in
            withPointers(columns, k + 1, pointers + [p.baseAddress ?? UnsafePointer(bitPattern: 8)!], body)
        }
    }

    private func writeRows(_ r: DatasetRequest, _ columns: [UnsafePointer<Double>], into out: inout DatasetBuffer, range: Range<Int>,
                           flushAt: Int, flush: (inout DatasetBuffer) -> Bool) -> Bool {
        let csv = r.format == .csv
        let names: [[UInt8]] = r.columns.map { Array("\"\($0)\":".utf8) }
        let symbolBytes = Array(symbol.utf8)
        let nf = features.count, nl = labels.count
        let featureColumns = Array(columns[0..<nf]), labelColumns = Array(columns[nf...])
        return featureColumns.withUnsafeBufferPointer { fp in labelColumns.withUnsafeBufferPointer { lp in
        for i in range {
            out.reserve(64 + (nf + nl) * 40 + symbolBytes.count)
            var k = 0
            if csv {
                out.append(symbolBytes); out.byte(0x2C); out.timestamp(time[i])
                k = 2
                for f in 0..<nf { out.commaNumber(fp[f][i]) }
                if nl > 0 {
                    for c in 0..<nl { out.commaNumber(lp[c][i]) }
                    out.byte(0x2C); out.byte(pastEnd[i] ? 0x31 : 0x30)
                }
                if let split { out.byte(0x2C); out.append(split[i]) }
                out.byte(0x0A)
            } else {
                out.byte(0x7B); out.append(names[0]); out.byte(0x22); out.append(symbolBytes); out.byte(0x22)
                out.byte(0x2C); out.append(names[1]); out.byte(0x22); out.timestamp(time[i]); out.byte(0x22)
                k = 2
                for f in 0..<nf { out.byte(0x2C); out.append(names[k]); k += 1; out.jsonNumber(fp[f][i]) }
                if nl > 0 {
                    for c in 0..<nl { out.byte(0x2C); out.append(names[k]); k += 1; out.jsonNumber(lp[c][i]) }
                    out.byte(0x2C); out.append(names[k]); k += 1; out.byte(pastEnd[i] ? 0x31 : 0x30)
                }
                if let split { out.byte(0x2C); out.append(names[k]); out.byte(0x22); out.append(split[i]); out.byte(0x22) }
                out.byte(0x7D); out.byte(0x0A)
            }
            if out.count >= flushAt, !flush(&out) { return false }
        }
        return true
        } }
    }
}

/// A growable byte buffer with the fast, deterministic number and time formatting the exports use.
public struct DatasetBuffer: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    public private(set) var count = 0
    /// 10^−16 … 10^16 (33 values), kept here so that formatting never touches a lazily initialized global.
    private let pow10: UnsafeMutablePointer<Double>
    /// "00" … "99".
    private let pairs: UnsafeMutablePointer<UInt8>

    public init(capacity: Int = 80 * 1024) {
        self.capacity = max(capacity, 256)
        base = .allocate(capacity: self.capacity)
        pow10 = .allocate(capacity: 33)
        for k in -16...16 {
            var x = 1.0
            for _ in 0..<abs(k) { x *= 10 }
            pow10[k + 16] = k < 0 ? 1 / x : x
        }
        pairs = .allocate(capacity: 200)
        for v in 0..<100 { pairs[2 * v] = UInt8(48 + v / 10); pairs[2 * v + 1] = UInt8(48 + v % 10) }
    }

    deinit {
        base.deallocate()
        pow10.deallocate()
        pairs.deallocate()
    }

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

    /// A number with at most 10 significant digits, never in exponent form, nothing for NaN (an empty CSV field).
    /// Whole numbers below 10^15 are written as integers. Ties in the 10th digit round half up.
    @inline(__always)
    public mutating func number(_ v: Double) {
        reserve(64)
        numberInReservedSpace(v)
    }

    /// `number` when at least 30 bytes are already reserved.
    @inline(__always)
    mutating func numberInReservedSpace(_ v: Double) {
        if v.isNaN { return }
        var a = v
        if a < 0 { base[count] = 0x2D; count += 1; a = -a }
        if a < 1e15, Double(Int64(a)) == a {
            writeInteger(UInt64(a))
            return
        }
        guard a >= 1e-15, a < 1e15 else {   // outside the fast range (never for the features): Swift's shortest form
            append(a.description)
            return
        }
        // Decimal exponent e with 10^e <= a < 10^(e+1), from the binary exponent (log10 2 ≈ 78913 / 2^18), corrected once.
        let p = pow10 + 16   // p[k] = 10^k for k in -16…16
        var e = ((Int((a.bitPattern >> 52) & 0x7FF) - 1023) * 78_913) >> 18   // a is normal here
        if a >= p[e + 1] { e += 1 } else if a < p[e] { e -= 1 }
        let shift = 9 - e   // m = a × 10^shift has 10 digits
        let scaled = shift <= 16 ? a * p[shift] : a * p[16] * p[shift - 16]
        var m = UInt64(scaled + 0.5)
        if m >= 10_000_000_000 { m /= 10; e += 1 }
        // m = h (2 digits) and w (8 digits, as ASCII in one little-endian word), written in place.
        let h = Int(m / 100_000_000)
        let lowDigits = Self.eightDigits(UInt32(truncatingIfNeeded: m % 100_000_000))
        let word = lowDigits | 0x3030_3030_3030_3030
        // Significant digits once trailing zeros are dropped (h ≥ 10, so its first digit is not 0).
        var digits = 10 - (lowDigits == 0 ? 8 : lowDigits.leadingZeroBitCount / 8)
        if lowDigits == 0, h % 10 == 0 { digits = 1 }
        let out = base + count
        if e < 0 {
            let zeros = -e - 1
            out[0] = 48; out[1] = 0x2E
            for z in 0..<zeros { out[2 + z] = 48 }
            put(h, word, out + 2 + zeros)
            count += 2 + zeros + digits
        } else if e + 1 >= digits {
            // Only integer digits (any fraction was rounded away below the 10th digit).
            put(h, word, out)
            var z = 10
            while z <= e { out[z] = 48; z += 1 }
            count += e + 1
        } else {
            // The point after e + 1 digits: write at out + 1, move the integer digits left by one.
            put(h, word, out + 1)
            for k in 0...e { out[k] = out[k + 1] }
            out[e + 1] = 0x2E
            count += digits + 1
        }
    }

    /// The 2 + 8 digits at `to` (10 bytes).
    @inline(__always) private func put(_ h: Int, _ word: UInt64, _ to: UnsafeMutablePointer<UInt8>) {
        to[0] = pairs[2 * h]; to[1] = pairs[2 * h + 1]
        UnsafeMutableRawPointer(to + 2).storeBytes(of: word.littleEndian, as: UInt64.self)
    }

    /// The 8 decimal digit values of `v` (< 10^8), most significant in the lowest byte (SWAR, no loop).
    @inline(__always) static func eightDigits(_ v: UInt32) -> UInt64 {
        var x = UInt64(v / 10_000) | (UInt64(v % 10_000) << 32)
        let hundreds = ((x &* 10_486) >> 20) & 0x0000_007F_0000_007F
        x = hundreds | ((x &- hundreds &* 100) << 16)
        let tens = ((x &* 103) >> 10) & 0x000F_000F_000F_000F
        return tens | ((x &- tens &* 10) << 8)
    }

    /// A comma, then `number(v)`.
    /// Needs 31 bytes reserved (the row writer reserves 40 per column).
    @inline(__always) mutating func commaNumber(_ v: Double) {
        base[count] = 0x2C; count += 1
        numberInReservedSpace(v)
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
