import Primitives

/// A minimal, allocation-light JSON writer for hot response types (RFC 8259).
///
/// Commas are inserted automatically; the caller is responsible for balanced begin/end calls
/// and for a `key` before every value inside an object.
public struct JSONWriter: Sendable {
    /// The JSON text written so far (UTF-8).
    public private(set) var bytes: [UInt8]
    private var needsComma = false

    /// Creates a writer with room for `capacity` bytes.
    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Empties the writer, keeping its storage, to write another document.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        needsComma = false
    }

    @inline(__always) private mutating func separate() {
        if needsComma { bytes.append(0x2C) }
    }

    public mutating func beginObject() {
        separate()
        bytes.append(0x7B)
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(0x7D)
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(0x5B)
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(0x5D)
        needsComma = true
    }

    /// Writes an object key; the next call writes its value.
    public mutating func key(_ name: String) {
        separate()
        appendQuoted(name)
        bytes.append(0x3A)
        needsComma = false
    }

    /// Writes a key encoded once in advance (for hot response types).
    public mutating func key(_ key: JSONKey) {
        separate()
        switch key.storage {
        case .literal(let name):
            bytes.append(0x22)
            bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            bytes.append(0x22)
            bytes.append(0x3A)
        case .encoded(let encoded):
            bytes.append(contentsOf: encoded)
        }
        needsComma = false
    }

    /// Writes an already encoded JSON value (e.g. a cached fragment) as the next value.
    public mutating func raw(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
        needsComma = true
    }

    public mutating func string(_ value: String) {
        separate()
        appendQuoted(value)
        needsComma = true
    }

    /// Writes the shortest representation that reads back as the same Double; NaN and ±∞ as `null`.
    public mutating func number(_ value: Double) {
        separate()
        if !value.isFinite {
            appendNull()
        } else if let integral = DecimalText.integral(value), value != 0 || value.sign == .plus {
            // Integral values: Swift prints "2.0"; write it without allocating a String.
            appendInt(integral)
            bytes.append(0x2E)
            bytes.append(0x30)
        } else {
            var text = value.description
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }
        needsComma = true
    }

    public mutating func number(_ value: Int64) {
        separate()
        appendInt(value)
        needsComma = true
    }

    public mutating func number(_ value: Int) {
        number(Int64(value))
    }

    public mutating func bool(_ value: Bool) {
        separate()
        if value {
            bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        } else {
            bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        }
        needsComma = true
    }

    public mutating func null() {
        separate()
        appendNull()
        needsComma = true
    }

    private mutating func appendNull() {
        bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
    }

    private mutating func appendInt(_ value: Int64) {
        DecimalText.append(value, to: &bytes)
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendQuoted(_ s: String) {
        bytes.append(0x22)
        var copy = s
        copy.withUTF8 { utf8 in
            guard let base = utf8.baseAddress else { return }
            let count = utf8.count
            var runStart = 0
            var i = 0
            while i < count {
                let b = base[i]
                if b >= 0x20, b != 0x22, b != 0x5C {
                    i += 1
                    continue
                }
                if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i - runStart)) }
                appendEscape(b)
                i += 1
                runStart = i
            }
            if runStart < count { bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart)) }
        }
        bytes.append(0x22)
    }

    private mutating func appendEscape(_ b: UInt8) {
        bytes.append(0x5C)
        switch b {
        case 0x22: bytes.append(0x22)
        case 0x5C: bytes.append(0x5C)
        case 0x0A: bytes.append(0x6E)
        case 0x0D: bytes.append(0x72)
        case 0x09: bytes.append(0x74)
        case 0x08: bytes.append(0x62)
        case 0x0C: bytes.append(0x66)
        default:
            bytes.append(contentsOf: [0x75, 0x30, 0x30, Self.hex[Int(b >> 4)], Self.hex[Int(b & 0xF)]])
        }
    }

    /// `"text"` with RFC 8259 escapes.
    static func quoted(_ s: String) -> [UInt8] {
        var w = JSONWriter(capacity: s.utf8.count + 2)
        w.appendQuoted(s)
        return w.bytes
    }
}

/// An object key prepared once, for writers of hot response types.
///
/// A key from a literal is kept as a `StaticString`: writing it copies bytes without touching
/// a reference count, which matters when several event loops write the same keys at once.
public struct JSONKey: Sendable {
    enum Storage: Sendable {
        /// Needs no escaping; written between quotes as is.
        case literal(StaticString)
        /// `"name":` already encoded.
        case encoded([UInt8])
    }

    let storage: Storage

    /// A key from a string literal.
    public init(_ name: StaticString) {
        let plain = name.hasPointerRepresentation
            && !UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount).contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
        storage = plain ? .literal(name) : .encoded(JSONWriter.quoted(name.description) + [0x3A])
    }

    /// A key computed at run time.
    public init(string name: String) {
        storage = .encoded(JSONWriter.quoted(name) + [0x3A])
    }
}
