import Foundation
import HTTPServer
import Market

/// Reads and validates query parameters, collecting one `FieldError` per bad parameter so that a
/// client learns about all of them at once.
struct QueryReader {
    let query: QueryParameters
    private(set) var errors: [FieldError] = []

    init(_ request: Request) { self.query = request.query }

    mutating func fail(_ field: String, _ message: String) { errors.append(FieldError(field: field, message: message)) }

    /// A timeframe (`1m` … `1w`).
    mutating func timeframe(_ name: String = "timeframe", default value: Timeframe = .d1) -> Timeframe {
        guard let raw = query[name] else { return value }
        guard let tf = Timeframe(rawValue: raw) else {
            fail(name, "must be one of \(Timeframe.allNames)")
            return value
        }
        return tf
    }

    /// A time (RFC 3339, a date, or Unix seconds).
    mutating func time(_ name: String) -> Int64? {
        guard let raw = query[name], !raw.isEmpty else { return nil }
        guard let t = RFC3339.parse(raw) else {
            fail(name, "must be an RFC 3339 time (2024-03-01T14:30:00Z), a date (2024-03-01) or Unix seconds")
            return nil
        }
        return t
    }

    /// An integer within a range.
    mutating func int(_ name: String, default value: Int, range: ClosedRange<Int>) -> Int {
        guard let raw = query[name], !raw.isEmpty else { return value }
        guard let v = Int(raw), range.contains(v) else {
            fail(name, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
            return value
        }
        return v
    }

    /// One of a fixed set of words.
    mutating func choice(_ name: String, _ options: [String], default value: String) -> String {
        guard let raw = query[name], !raw.isEmpty else { return value }
        guard options.contains(raw) else {
            fail(name, "must be one of \(options.joined(separator: ", "))")
            return value
        }
        return raw
    }

    /// A number in [0, 1].
    mutating func fraction(_ name: String) -> Double? {
        guard let raw = query[name], !raw.isEmpty else { return nil }
        guard let v = Double(raw), v >= 0, v <= 1 else {
            fail(name, "must be a number from 0 to 1")
            return nil
        }
        return v
    }

    /// A ticker (upper-cased), or nil after recording why it is not one.
    mutating func ticker(_ name: String, _ raw: String) -> String? {
        let t = raw.uppercased()
        guard NewSymbol.isValidTicker(t) else {
            fail(name, "is not a valid ticker")
            return nil
        }
        return t
    }

    /// A paging cursor made by `Cursor.make`, whose position must lie in `range` (by default the times
    /// the API accepts: a forged position never reaches SQL).
    mutating func cursor(_ name: String = "cursor", range: ClosedRange<Int64> = RFC3339.range) -> Int64? {
        guard let raw = query[name], !raw.isEmpty else { return nil }
        guard let v = Cursor.parse(raw), range.contains(v) else {
            failCursor(name)
            return nil
        }
        return v
    }

    /// A cursor of `kind` made by `Cursor.encode`, whose value `accept` checks (nil: a forged cursor).
    mutating func cursor<T>(_ name: String = "cursor", kind: String, _ accept: (String) -> T?) -> T? {
        guard let raw = query[name], !raw.isEmpty else { return nil }
        guard let text = Cursor.decode(kind, raw), let v = accept(text) else {
            failCursor(name)
            return nil
        }
        return v
    }

    private mutating func failCursor(_ name: String) {
        fail(name, "is not a cursor this service issued; pass next_cursor back unchanged")
    }

    /// Throws a 400 naming every bad parameter, if any.
    func validate() throws {
        if !errors.isEmpty {
            throw HTTPError(.badRequest, detail: "invalid query parameter: \(errors.map(\.field).joined(separator: ", "))", errors: errors)
        }
    }
}

/// Opaque paging cursors: base64url of a kind tag and a position.
enum Cursor {
    /// A cursor of `kind` (a short version tag) for `value`.
    static func encode(_ kind: String, _ value: String) -> String {
        Data("\(kind):\(value)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The value of a cursor of `kind`, or nil when the text is not one.
    static func decode(_ kind: String, _ text: String) -> String? {
        guard text.utf8.count <= 128, text.utf8.allSatisfy({ isBase64URL($0) }) else { return nil }
        var b64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.utf8.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let s = String(data: data, encoding: .utf8), s.hasPrefix(kind + ":") else { return nil }
        return String(s.dropFirst(kind.count + 1))
    }

    private static func isBase64URL(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F
    }

    /// A cursor over a numeric position (a bar time, an offset).
    static func make(_ position: Int64) -> String { encode("c1", String(position)) }

    /// The position of a cursor made by `make`.
    static func parse(_ text: String) -> Int64? { decode("c1", text).flatMap { Int64($0) } }
}
