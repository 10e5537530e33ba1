import Foundation
import Glibc
import HTTPServer
import Logging
import Primitives
import Synchronization

/// Sets up swift-log once per process: text lines for people, JSON lines for log collectors, both
/// through one `LogBuffer` on standard error (batched, flushed on a timer, at `flush()` and at exit).
public enum LogSetup {
    /// The buffer every handler writes to; nil until `bootstrap`.
    nonisolated(unsafe) private static var buffer: LogBuffer?

    public static func bootstrap(level: Logger.Level, format: AppConfiguration.LogFormat, flushInterval: Double = 0.2) {
        let sink = LogBuffer(fd: STDERR_FILENO, flushInterval: flushInterval)
        buffer = sink
        sink.start()
        // Whatever ends the process through exit() (a command's error, the end of main) writes what is left.
        atexit { LogSetup.flush() }
        LoggingSystem.bootstrap { label in
            var handler = BufferedLogHandler(label: label, format: format == .json ? .json : .text, buffer: sink)
            handler.logLevel = level
            return handler
        }
    }

    /// Writes every buffered line now (at shutdown; also run at exit).
    public static func flush() {
        buffer?.flush()
    }
}

/// Lines waiting to be written to a file descriptor. Appending takes one short lock and never makes a
/// system call; a background thread writes the batch every `flushInterval` seconds. `flush()` writes
/// at once (shutdown, and after every `error`/`critical` line), and a writer that finds more than
/// `limit` bytes pending writes them itself rather than let memory grow.
public final class LogBuffer: Sendable {
    let fd: Int32
    let flushInterval: Double
    let limit: Int
    private let pending = Mutex<[UInt8]>([])
    /// Held while writing, so that batches reach the descriptor in the order they were taken.
    private let writing = Mutex<Void>(())
    private let started = Atomic<Bool>(false)

    public init(fd: Int32, flushInterval: Double = 0.2, limit: Int = 1 << 20) {
        self.fd = fd
        self.flushInterval = flushInterval
        self.limit = limit
    }

    /// Starts the flushing thread (once).
    public func start() {
        guard !started.exchange(true, ordering: .relaxed), flushInterval > 0 else { return }
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: flushInterval)
                flush()
            }
        }
        thread.name = "log-flush"
        thread.stackSize = 1 << 18
        thread.start()
    }

    /// Appends one line (with its newline).
    public func append(_ line: [UInt8], flushNow: Bool = false) {
        let size = pending.withLock { buffer -> Int in
            buffer.append(contentsOf: line)
            return buffer.count
        }
        if flushNow || size > limit { flush() }
    }

    /// Writes everything pending.
    public func flush() {
        writing.withLock { _ in
            let batch = pending.withLock { buffer -> [UInt8] in
                var taken: [UInt8] = []
                taken.reserveCapacity(max(buffer.capacity, 4096))
                swap(&taken, &buffer)
                return taken
            }
            guard !batch.isEmpty else { return }
            batch.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { break }
                }
            }
        }
    }
}

/// A swift-log handler that formats a line and hands it to a `LogBuffer`.
///
/// Text: `2026-12-01T14:28:10.123Z info label : key=value … [source] message`.
/// JSON: one object per line with sorted keys: metadata, `error`, `label`, `level`, `message`, `ts`.
public struct BufferedLogHandler: AccessLineWriter {
    public enum Format: Sendable { case text, json }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let format: Format
    let buffer: LogBuffer

    public init(label: String, format: Format, buffer: LogBuffer) {
        self.label = label
        self.format = format
        self.buffer = buffer
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Per-thread scratch for formatting lines (no allocation per line once it has grown).
    final class Scratch {
        var line: [UInt8] = []
        var second = Int.min
        var secondPrefix: [UInt8] = []   // `2026-12-01T14:28:10.`
        init() { line.reserveCapacity(512) }
    }
    private static let scratch = ThreadLocal { Scratch() }

    public func log(event: LogEvent) {
        let scratch = Self.scratch.value
        scratch.line.removeAll(keepingCapacity: true)
        var merged = event.metadata ?? [:]
        if !metadata.isEmpty { merged.merge(metadata) { own, _ in own } }
        switch format {
        case .text:
            appendText(level: event.level, source: event.source, into: scratch) { line in
                Self.forEachSorted(merged) { key, value in
                    Self.appendField(key, into: &line)
                    Self.appendValue(value, into: &line)
                }
                if let error = event.error {
                    line.append(contentsOf: " error=".utf8)
                    line.append(contentsOf: "\(error)".utf8)
                }
            } message: { $0.append(contentsOf: event.message.description.utf8) }
        case .json:
            var fields: [(String, String)] = merged.map { ($0.key, $0.value.description) }
            if let error = event.error { fields.append(("error", "\(error)")) }
            fields.append(("label", label))
            fields.append(("level", event.level.rawValue))
            fields.append(("message", event.message.description))
            var ts: [UInt8] = []
            Self.appendTimestamp(into: &ts, cache: scratch)
            fields.append(("ts", String(decoding: ts, as: UTF8.self)))
            fields.sort { $0.0 < $1.0 }
            scratch.line.append(UInt8(ascii: "{"))
            for (i, (k, v)) in fields.enumerated() {
                if i > 0 { scratch.line.append(UInt8(ascii: ",")) }
                Self.appendJSONString(k, into: &scratch.line)
                scratch.line.append(UInt8(ascii: ":"))
                Self.appendJSONString(v, into: &scratch.line)
            }
            scratch.line.append(UInt8(ascii: "}"))
        }
        scratch.line.append(10)
        buffer.append(scratch.line, flushNow: event.level >= .error)
    }

    /// The access line in text, as `log(event:)` writes it, with its three fields in key order; JSON
    /// lines and a handler with metadata of its own take the general path.
    public func writeAccessLine(method: String, rawPath: String, status: Int, micros: Int, requestID: String,
                                remote: String) -> Bool {
        guard format == .text, logLevel <= .info, metadata.isEmpty else { return false }
        let scratch = Self.scratch.value
        scratch.line.removeAll(keepingCapacity: true)
        appendText(level: .info, source: "HTTPServer", into: scratch) { line in
            Self.appendField("duration_ms", into: &line)
            AccessLogMiddleware.appendMilliseconds(micros, into: &line)
            Self.appendField("remote", into: &line)
            line.append(contentsOf: remote.utf8)
            Self.appendField("request_id", into: &line)
            line.append(contentsOf: requestID.utf8)
        } message: { line in
            line.append(contentsOf: method.utf8)
            line.append(0x20)
            line.append(contentsOf: rawPath.utf8)
            line.append(0x20)
            DecimalText.append(Int64(status), to: &line)
        }
        scratch.line.append(10)
        buffer.append(scratch.line)
        return true
    }

    /// `<ts> <level> <label> :<fields> [<source>] <message>`; a CR or LF from anywhere (a decoded path,
    /// an upstream's error text) is written escaped, so that one event is one line and no one can forge one.
    private func appendText(level: Logger.Level, source: String, into scratch: Scratch,
                            fields: (inout [UInt8]) -> Void, message: (inout [UInt8]) -> Void) {
        Self.appendTimestamp(into: &scratch.line, cache: scratch)
        scratch.line.append(0x20)
        scratch.line.append(contentsOf: level.rawValue.utf8)
        scratch.line.append(0x20)
        scratch.line.append(contentsOf: label.utf8)
        scratch.line.append(contentsOf: " :".utf8)
        fields(&scratch.line)
        scratch.line.append(contentsOf: " [".utf8)
        scratch.line.append(contentsOf: source.utf8)
        scratch.line.append(contentsOf: "] ".utf8)
        message(&scratch.line)
        if Self.hasLineBreak(scratch.line) { Self.escapeLineBreaks(&scratch.line) }
    }

    /// Whether `line` holds a CR or LF, eight bytes at a time (every line is checked).
    static func hasLineBreak(_ line: [UInt8]) -> Bool {
        line.withUnsafeBytes { raw in
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            let lf = 0x0A * ones, cr = 0x0D * ones
            var i = 0
            while i + 8 <= raw.count {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let a = w ^ lf, b = w ^ cr
                // A zero byte in a or b (exact: the subtraction's borrow cannot flag a byte above a zero one
                // without a zero byte below it, and any flag means some byte is zero).
                if ((a &- ones) & ~a | (b &- ones) & ~b) & highs != 0 { return true }
                i += 8
            }
            while i < raw.count {
                if raw[i] == 0x0A || raw[i] == 0x0D { return true }
                i += 1
            }
            return false
        }
    }

    /// ` key=` before a field's value.
    private static func appendField(_ key: String, into line: inout [UInt8]) {
        line.append(0x20)
        line.append(contentsOf: key.utf8)
        line.append(UInt8(ascii: "="))
    }

    /// Calls `body` for each entry in key order: the entries are insertion-sorted in a temporary
    /// buffer on the stack (lines carry a few), not copied into a new array.
    static func forEachSorted(_ m: Logger.Metadata, _ body: (String, Logger.MetadataValue) -> Void) {
        let n = m.count
        if n == 0 { return }
        if n == 1, let (k, v) = m.first { body(k, v); return }
        withUnsafeTemporaryAllocation(of: (key: String, value: Logger.MetadataValue).self, capacity: n) { buf in
            guard let base = buf.baseAddress else { return }
            var count = 0
            for (k, v) in m {
                var j = count
                while j > 0, k < base[j - 1].key { j -= 1 }
                (base + j + 1).moveInitialize(from: base + j, count: count - j)
                (base + j).initialize(to: (k, v))
                count += 1
            }
            for i in 0..<count { body(base[i].key, base[i].value) }
            base.deinitialize(count: count)
        }
    }

    /// A metadata value as text (strings without a copy through `description`).
    static func appendValue(_ value: Logger.MetadataValue, into out: inout [UInt8]) {
        switch value {
        case .string(let s): out.append(contentsOf: s.utf8)
        case .stringConvertible(let c): out.append(contentsOf: c.description.utf8)
        default: out.append(contentsOf: value.description.utf8)
        }
    }

    /// UTC, millisecond precision: `2026-12-01T14:28:10.123Z` (civil date computed here: glibc's
    /// gmtime_r takes a process-wide lock; the text up to the second is kept per thread).
    static func appendTimestamp(into out: inout [UInt8], cache: Scratch? = nil) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let seconds = Int(ts.tv_sec)
        if let cache, cache.second == seconds {
            out.append(contentsOf: cache.secondPrefix)
        } else {
            let start = out.count
            appendSecond(seconds, into: &out)
            if let cache {
                cache.second = seconds
                cache.secondPrefix = Array(out[start...])
            }
        }
        let ms = Int(ts.tv_nsec) / 1_000_000
        out.append(0x30 + UInt8(ms / 100)); out.append(0x30 + UInt8(ms / 10 % 10)); out.append(0x30 + UInt8(ms % 10))
        out.append(UInt8(ascii: "Z"))
    }

    /// `2026-12-01T14:28:10.` for Unix seconds.
    static func appendSecond(_ seconds: Int, into out: inout [UInt8]) {
        let days = CivilDays.days(unixSeconds: Int64(seconds))
        let secondOfDay = seconds - Int(days) * 86_400
        let (y, m, d) = CivilDays.civil(days: days)
        let (year, month, day) = (Int(y), Int(m), Int(d))
        func digits(_ v: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var x = v
            while divisor > 0 { out.append(0x30 + UInt8((x / divisor) % 10)); x %= divisor; divisor /= 10 }
        }
        digits(year, 4); out.append(UInt8(ascii: "-"))
        digits(month, 2); out.append(UInt8(ascii: "-"))
        digits(day, 2); out.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2); out.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2); out.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2); out.append(UInt8(ascii: "."))
    }

    /// `\n` and `\r` for line feeds and carriage returns.
    static func escapeLineBreaks(_ line: inout [UInt8]) {
        var out: [UInt8] = []
        out.reserveCapacity(line.count + 8)
        for b in line {
            switch b {
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            default: out.append(b)
            }
        }
        line = out
    }

    static func appendJSONString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
