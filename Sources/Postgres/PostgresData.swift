public import Foundation

/// A Swift value that can be bound as a query parameter, sent in PostgreSQL's text format.
public protocol PostgresEncodable: Sendable {
    /// The value in PostgreSQL's text input format.
    var postgresText: String { get }
    /// The text to send, or nil for SQL NULL; only `Optional` overrides it.
    var postgresTextOrNull: String? { get }
}

extension PostgresEncodable {
    /// Non-optional values are never NULL.
    public var postgresTextOrNull: String? { postgresText }
}

/// A Swift value that can be decoded from a column in PostgreSQL's text output format.
public protocol PostgresDecodable {
    /// Parses the server's text output; throws `PostgresError` with code `.decoding` when malformed.
    init(postgresText: String) throws
    /// The value that SQL NULL decodes to, or nil when NULL is an error; only `Optional` overrides it.
    static var postgresNullValue: Self? { get }
}

extension PostgresDecodable {
    /// Non-optional types refuse NULL.
    public static var postgresNullValue: Self? { nil }
}

func decodingError(_ type: Any.Type, _ why: String = "malformed value") -> PostgresError {
    // The value itself is deliberately left out: it is data.
    PostgresError(code: .decoding, serverMessage: "cannot decode \(type): \(why)")
}

// MARK: - Integers, floating point, text, bool

extension Int: PostgresEncodable, PostgresDecodable {
    /// Decimal text.
    public var postgresText: String { String(self) }
    /// Parses decimal text.
    public init(postgresText: String) throws {
        guard let v = Int(postgresText) else { throw decodingError(Int.self) }
        self = v
    }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    /// Decimal text.
    public var postgresText: String { String(self) }
    /// Parses decimal text.
    public init(postgresText: String) throws {
        guard let v = Int64(postgresText) else { throw decodingError(Int64.self) }
        self = v
    }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    /// Decimal text.
    public var postgresText: String { String(self) }
    /// Parses decimal text.
    public init(postgresText: String) throws {
        guard let v = Int32(postgresText) else { throw decodingError(Int32.self) }
        self = v
    }
}

extension Int16: PostgresEncodable, PostgresDecodable {
    /// Decimal text.
    public var postgresText: String { String(self) }
    /// Parses decimal text.
    public init(postgresText: String) throws {
        guard let v = Int16(postgresText) else { throw decodingError(Int16.self) }
        self = v
    }
}

extension Double: PostgresEncodable, PostgresDecodable {
    /// Shortest round-tripping decimal; NaN and infinities in PostgreSQL's spelling.
    public var postgresText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return description
    }
    /// Parses decimal text, `NaN`, `Infinity` and `-Infinity`.
    public init(postgresText: String) throws {
        switch postgresText {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default:
            guard let v = Double(postgresText) else { throw decodingError(Double.self) }
            self = v
        }
    }
}

extension String: PostgresEncodable, PostgresDecodable {
    /// The string itself.
    public var postgresText: String { self }
    /// The text as sent by the server.
    public init(postgresText: String) throws { self = postgresText }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    /// `t` or `f`.
    public var postgresText: String { self ? "t" : "f" }
    /// Parses `t`/`f` (and `true`/`false`).
    public init(postgresText: String) throws {
        switch postgresText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw decodingError(Bool.self)
        }
    }
}

// MARK: - UUID, JSON

extension UUID: PostgresEncodable, PostgresDecodable {
    /// Lower-case canonical form.
    public var postgresText: String { uuidString.lowercased() }
    /// Parses the canonical form.
    public init(postgresText: String) throws {
        guard let v = UUID(uuidString: postgresText) else { throw decodingError(UUID.self) }
        self = v
    }
}

/// Raw JSON text for `json`/`jsonb` columns; the caller encodes and decodes the JSON itself.
public struct PostgresJSON: PostgresEncodable, PostgresDecodable, Sendable, Hashable {
    /// The JSON document as text.
    public var text: String
    /// Wraps JSON text (not validated here; the server validates it).
    public init(_ text: String) { self.text = text }
    /// The JSON text.
    public var postgresText: String { text }
    /// The JSON text as sent by the server (jsonb is normalised by the server).
    public init(postgresText: String) throws { self.text = postgresText }
}

// MARK: - Optional

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    /// The wrapped value's text; never used for nil, which is sent as SQL NULL.
    public var postgresText: String { self?.postgresText ?? "" }
    /// nil becomes SQL NULL.
    public var postgresTextOrNull: String? { self?.postgresTextOrNull }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    /// Decodes the wrapped type.
    public init(postgresText: String) throws { self = .some(try Wrapped(postgresText: postgresText)) }
    /// SQL NULL decodes to nil.
    public static var postgresNullValue: Self? { .some(.none) }
}

// MARK: - Arrays and bytea

/// An element type whose Swift arrays have a PostgreSQL text form (`[UInt8]` is bytea, the rest are arrays).
public protocol PostgresArrayElement: Sendable {
    /// The text form of an array of this element type.
    static func postgresArrayText(_ elements: [Self]) -> String
    /// Parses the text form of an array of this element type.
    static func postgresArray(from text: String) throws -> [Self]
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    /// `[UInt8]` as bytea hex (`\x…`); `[String]`, `[Int64]`, … as array literals (`{…}`) for `= ANY($1)`.
    public var postgresText: String { Element.postgresArrayText(self) }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    /// Parses bytea hex for `[UInt8]`, one-dimensional array literals otherwise.
    public init(postgresText: String) throws { self = try Element.postgresArray(from: postgresText) }
}

extension UInt8: PostgresArrayElement {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// bytea hex format: `\x` followed by two hex digits per byte.
    public static func postgresArrayText(_ elements: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(2 + elements.count * 2)
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "x"))
        for b in elements {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses bytea in hex output format (the server default, and forced on our connections).
    public static func postgresArray(from text: String) throws -> [UInt8] {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else {
            throw decodingError([UInt8].self, "expected bytea hex format")
        }
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: throw decodingError([UInt8].self, "bad hex digit")
            }
        }
        var out = [UInt8]()
        out.reserveCapacity((utf8.count - 2) / 2)
        var i = 2
        while i < utf8.count {
            out.append(try nibble(utf8[i]) << 4 | nibble(utf8[i + 1]))
            i += 2
        }
        return out
    }
}

/// Element types written into `{…}` array literals; the element's own text is quoted and escaped.
public protocol PostgresArrayLiteralElement: PostgresArrayElement, PostgresEncodable, PostgresDecodable {}

extension PostgresArrayLiteralElement {
    /// A one-dimensional array literal with every element double-quoted.
    public static func postgresArrayText(_ elements: [Self]) -> String {
        var out = "{"
        for (i, e) in elements.enumerated() {
            if i > 0 { out += "," }
            out += "\""
            for ch in e.postgresText.unicodeScalars {
                if ch == "\"" || ch == "\\" { out += "\\" }
                out.unicodeScalars.append(ch)
            }
            out += "\""
        }
        return out + "}"
    }

    /// Parses a one-dimensional array literal; a NULL element throws (decode `[T?]` is not supported).
    public static func postgresArray(from text: String) throws -> [Self] {
        guard let items = parsePostgresArrayLiteral(text) else { throw decodingError([Self].self, "malformed array") }
        return try items.map { item in
            guard let item else { throw decodingError([Self].self, "NULL element") }
            return try Self(postgresText: item)
        }
    }
}

extension String: PostgresArrayLiteralElement {}
extension Int: PostgresArrayLiteralElement {}
extension Int64: PostgresArrayLiteralElement {}
extension Int32: PostgresArrayLiteralElement {}
extension Double: PostgresArrayLiteralElement {}
extension Bool: PostgresArrayLiteralElement {}
extension UUID: PostgresArrayLiteralElement {}

/// Splits a one-dimensional PostgreSQL array literal into element texts (nil for unquoted NULL).
func parsePostgresArrayLiteral(_ text: String) -> [String?]? {
    var scalars = Array(text.unicodeScalars)
    // Skip an optional dimension decoration such as "[0:2]=".
    if scalars.first == "[", let eq = scalars.firstIndex(of: "=") { scalars.removeSubrange(0...eq) }
    guard scalars.first == "{", scalars.last == "}" else { return nil }
    var items: [String?] = []
    var i = 1
    let end = scalars.count - 1
    if i == end { return [] }
    while i <= end {
        var item = String.UnicodeScalarView()
        var quoted = false
        if scalars[i] == "\"" {
            quoted = true
            i += 1
            while i < end, scalars[i] != "\"" {
                if scalars[i] == "\\" { i += 1 }
                guard i < end else { return nil }
                item.append(scalars[i])
                i += 1
            }
            guard i < end else { return nil }
            i += 1 // closing quote
        } else {
            while i < end, scalars[i] != "," {
                if scalars[i] == "{" { return nil } // multi-dimensional: unsupported
                item.append(scalars[i])
                i += 1
            }
        }
        let s = String(item)
        items.append(!quoted && s == "NULL" ? nil : s)
        guard i == end || scalars[i] == "," else { return nil }
        i += 1
    }
    return items
}
