import HTTPClient
import Market
import Foundation

/// Shared parsing helpers for the adapters (JSON access, status mapping, time zones, URL building).
enum ProviderSupport {
    // MARK: JSON

    /// Parses a JSON body; a truncated or malformed body is `.badResponse`.
    static func json(_ response: HTTPClientResponse, provider: String) throws -> Any {
        if response.body.isEmpty {
            throw ProviderError(kind: .badResponse, provider: provider, message: "empty body", httpStatus: response.status)
        }
        do {
            return try JSONSerialization.jsonObject(with: Data(response.body), options: [])
        } catch {
            throw ProviderError(kind: .badResponse, provider: provider,
                                message: "malformed or truncated JSON (\(response.body.count) bytes): \(snippet(response.body))",
                                httpStatus: response.status)
        }
    }

    /// A number that may arrive as a JSON number or a numeric string; nil for null/absent/garbage.
    static func double(_ value: Any?) -> Double? {
        switch value {
        case let n as NSNumber:
            return n.doubleValue
        case let s as String:
            return Double(s.trimmingCharacters(in: .whitespaces))
        default:
            return nil
        }
    }

    /// An integer (JSON number or numeric string); nil for null/absent/garbage.
    static func int64(_ value: Any?) -> Int64? {
        switch value {
        case let n as NSNumber:
            let d = n.doubleValue
            guard d.isFinite, d.rounded() == d, abs(d) < 9.0e18 else { return nil }
            return n.int64Value
        case let s as String:
            return Int64(s.trimmingCharacters(in: .whitespaces))
        default:
            return nil
        }
    }

    /// The first 200 characters of a body, for error messages.
    static func snippet(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        return text.replacingOccurrences(of: "\n", with: " ") + (body.count > 200 ? "…" : "")
    }

    // MARK: HTTP status

    /// Seconds from a `Retry-After` header (delta-seconds or an HTTP date), if present.
    /// The longest `Retry-After` honoured: an upstream's larger (or infinite) value is read as this.
    static let maxRetryAfter: Double = 7 * 86_400

    /// `Retry-After` as seconds from now (delta-seconds or an HTTP date), within [0, `maxRetryAfter`];
    /// nil when absent or unreadable (`nan`, garbage).
    static func retryAfter(_ response: HTTPClientResponse) -> Double? {
        retryAfter(header: response.header("Retry-After"))
    }

    static func retryAfter(header: String?) -> Double? {
        guard let raw = header?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        if let s = Double(raw) { return s.isNaN ? nil : min(maxRetryAfter, max(0, s)) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        if let d = f.date(from: raw) { return min(maxRetryAfter, max(0, d.timeIntervalSince1970 - wallClock())) }
        return nil
    }

    /// The error for a non-2xx status, or nil for 2xx. Provider-specific bodies are read by the caller first.
    static func statusError(_ response: HTTPClientResponse, provider: String, detail: String? = nil) -> ProviderError? {
        let s = response.status
        if (200..<300).contains(s) { return nil }
        let msg = detail ?? snippet(response.body)
        let kind: ProviderError.Kind
        switch s {
        case 429, 418: kind = .rateLimited
        case 401, 403: kind = .unauthorized
        case 404: kind = .notFound
        case 500...599: kind = .server
        default: kind = .badResponse
        }
        return ProviderError(kind: kind, provider: provider, message: "HTTP \(s): \(msg)",
                             retryAfter: retryAfter(response), httpStatus: s)
    }

    static func bad(_ provider: String, _ message: String, _ response: HTTPClientResponse) -> ProviderError {
        ProviderError(kind: .badResponse, provider: provider, message: message, httpStatus: response.status)
    }

    // MARK: Bars

    /// A bar, refusing non-finite or inconsistent values (never invents data).
    static func bar(_ ts: Int64, _ o: Double, _ h: Double, _ l: Double, _ c: Double, _ v: Double,
                    provider: String, response: HTTPClientResponse) throws -> Bar {
        guard o.isFinite, h.isFinite, l.isFinite, c.isFinite, v.isFinite, v >= 0 else {
            throw bad(provider, "non-finite or negative value in bar at \(ts)", response)
        }
        return Bar(timestamp: ts, open: o, high: h, low: l, close: c, volume: v)
    }

    // MARK: Time

    private static let zoneLock = NSLock()
    nonisolated(unsafe) private static var zones: [String: TimeZone] = [:]

    /// The names providers give New York time by.
    static let newYorkNames: Set<String> = ["America/New_York", "US/Eastern", "EST5EDT"]

    /// A zone by IANA name: New York by rule (`ExchangeTime`, as the calendar and the CSV reader read
    /// it), any other zone through Foundation (cached); nil for an unknown name.
    static func zone(_ identifier: String) -> ProviderZone? {
        if newYorkNames.contains(identifier) { return .newYork }
        zoneLock.lock()
        defer { zoneLock.unlock() }
        if let z = zones[identifier] { return .other(z) }
        guard let z = TimeZone(identifier: identifier) else { return nil }
        zones[identifier] = z
        return .other(z)
    }

    /// The local calendar date in `zone` of the instant `utc`, as midnight UTC of that date.
    static func localDateMidnightUTC(_ utc: Int64, zone: ProviderZone?) -> Int64 {
        let off = zone.map { $0.offset(atUTC: utc) } ?? 0
        return CivilDate(unixSeconds: utc + off).unixSeconds
    }

    /// The UTC instant of a wall-clock time in `zone` (`local` is the wall time read as if it were UTC).
    static func utc(fromLocal local: Int64, zone: ProviderZone) -> Int64 {
        if case .newYork = zone {
            let date = CivilDate(unixSeconds: local)
            return ExchangeTime.newYorkLocalToUTC(date: date, secondsOfDay: Int(local - date.unixSeconds))
        }
        let guess = local - zone.offset(atUTC: local)
        return local - zone.offset(atUTC: guess)
    }

    /// `YYYY-MM-DD` or `YYYY-MM-DD HH:MM[:SS]` read as a wall time (seconds as if UTC); nil if malformed.
    static func parseLocalDateTime(_ s: String) -> Int64? {
        let u = Array(s.utf8)
        func num(_ a: Int, _ n: Int) -> Int? {
            guard a + n <= u.count else { return nil }
            var v = 0
            for i in a..<(a + n) {
                let c = u[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard u.count >= 10, u[4] == 45, u[7] == 45, let y = num(0, 4), let m = num(5, 2), let d = num(8, 2),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        var secs: Int64 = 0
        if u.count > 10 {
            guard u.count >= 16, u[10] == 32 || u[10] == 84, u[13] == 58, let hh = num(11, 2), let mm = num(14, 2),
                  hh < 24, mm < 60 else { return nil }
            var ss = 0
            if u.count > 16 {
                guard u.count == 19, u[16] == 58, let v = num(17, 2), v < 60 else { return nil }
                ss = v
            }
            secs = Int64(hh * 3600 + mm * 60 + ss)
        }
        return CivilDate(year: y, month: m, day: d).unixSeconds + secs
    }

    /// `YYYY-MM-DD` (UTC) of a Unix time.
    static func isoDate(_ unix: Int64) -> String { CivilDate(unixSeconds: unix).description }

    // MARK: URLs

    /// Percent-encodes a query or path component.
    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// `base` without a trailing slash.
    static func trimmedBase(_ base: String) -> String {
        var b = base
        while b.hasSuffix("/") { b.removeLast() }
        return b
    }

    /// `base + path + ?query` with encoded values.
    static func url(_ base: String, _ path: String, _ query: [(String, String)]) -> String {
        var s = trimmedBase(base) + path
        if !query.isEmpty {
            s += "?" + query.map { "\($0.0)=\(encode($0.1))" }.joined(separator: "&")
        }
        return s
    }

    /// Rewrites an absolute provider URL onto `base` (keeps path and query), so pagination stays on the configured host.
    static func rebase(_ absolute: String, onto base: String) -> String {
        guard let schemeEnd = absolute.range(of: "://") else { return trimmedBase(base) + (absolute.hasPrefix("/") ? absolute : "/" + absolute) }
        let rest = absolute[schemeEnd.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return trimmedBase(base) }
        return trimmedBase(base) + rest[slash...]
    }
}

/// A provider's time zone: New York by the US daylight-saving rules in `ExchangeTime` (one
/// definition of New York time for the whole service), any other zone through Foundation.
enum ProviderZone: Sendable {
    case newYork
    case other(TimeZone)

    /// The zone's offset from UTC in seconds at the instant `t`.
    func offset(atUTC t: Int64) -> Int64 {
        switch self {
        case .newYork: ExchangeTime.newYorkOffset(atUTC: t)
        case .other(let zone): Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(t))))
        }
    }
}
