public import HTTPClient
public import Market
import Foundation

/// Polygon.io (Massive) aggregates v2 (`/v2/aggs/ticker/{T}/range/{n}/{span}/{from}/{to}`); keyed
/// (`Authorization: Bearer`, so the key never appears in a URL). Follows `next_url`, rebased onto the
/// configured base URL.
///
/// Time normalisation: `t` is Unix milliseconds. Daily `t` is midnight America/New_York (04:00Z or 05:00Z), so
/// daily bars map to their New York date (UTC date for crypto), stored as midnight UTC. Intraday `t` is the bar
/// start.
public struct PolygonProvider: MarketDataProvider {
    /// Provider name used in configuration and call records.
    public let name = "polygon"
    /// Whether calls need an API key.
    public let requiresKey = true
    /// Free tier: 5 requests per minute per key.
    public let defaultRateLimit = RateLimit(requests: 5, perSeconds: 60)
    /// Production base URL.
    public let defaultBaseURL = "https://api.polygon.io"

    /// Makes the adapter.
    public init() {}

    /// Whether this adapter serves the asset class at the timeframe.
    public func supports(_ assetClass: AssetClass, _ timeframe: Timeframe) -> Bool { span(timeframe) != nil }

    private func span(_ tf: Timeframe) -> (Int, String)? {
        switch tf {
        case .m1: (1, "minute")
        case .m5: (5, "minute")
        case .m15: (15, "minute")
        case .m30: (30, "minute")
        case .h1: (1, "hour")
        case .d1: (1, "day")
        case .h4, .w1: nil
        }
    }

    /// `X:` crypto, `C:` forex, `I:` index prefixes unless the symbol already has one.
    private func ticker(_ r: ProviderBarsRequest) -> String {
        if r.symbol.contains(":") { return r.symbol }
        switch r.assetClass {
        case .crypto: return "X:" + r.symbol
        case .fx: return "C:" + r.symbol
        case .index: return "I:" + r.symbol
        case .equity, .etf: return r.symbol
        }
    }

    private func auth(_ key: String?) -> [(String, String)] {
        var h = [("Accept", "application/json")]
        if let key, !key.isEmpty { h.append(("Authorization", "Bearer " + key)) }
        return h
    }

    /// The HTTP requests covering the range (several windows where the provider caps a call).
    public func makeRequests(_ request: ProviderBarsRequest, apiKey: String?, baseURL: String) -> [HTTPClientRequest] {
        guard let (n, s) = span(request.timeframe) else { return [] }
        let from = request.timeframe == .d1 ? ProviderSupport.isoDate(request.from) : String(request.from * 1000)
        let to = request.timeframe == .d1 ? ProviderSupport.isoDate(request.to) : String(request.to * 1000 + 999)
        let path = "/v2/aggs/ticker/\(ProviderSupport.encode(ticker(request)))/range/\(n)/\(s)/\(from)/\(to)"
        var r = HTTPClientRequest(url: ProviderSupport.url(baseURL, path, [("adjusted", "true"), ("sort", "asc"), ("limit", "50000")]))
        r.headers = auth(apiKey)
        return [r]
    }

    /// The follow-up page request, rebased onto the configured base URL.
    public func makeNextPageRequest(_ nextURL: String, apiKey: String?, baseURL: String) -> HTTPClientRequest {
        var r = HTTPClientRequest(url: ProviderSupport.rebase(nextURL, onto: baseURL))
        r.headers = auth(apiKey)
        return r
    }

    /// Reads one response into normalised bars or throws a `ProviderError`.
    public func parse(_ response: HTTPClientResponse, for request: ProviderBarsRequest) throws -> ProviderPage {
        let root: Any
        do {
            root = try ProviderSupport.json(response, provider: name)
        } catch let e as ProviderError {
            if let s = ProviderSupport.statusError(response, provider: name) { throw s }
            throw e
        }
        guard let obj = root as? [String: Any] else {
            throw ProviderSupport.statusError(response, provider: name) ?? ProviderSupport.bad(name, "body is not a JSON object", response)
        }
        let status = (obj["status"] as? String ?? "").uppercased()
        let message = (obj["message"] as? String) ?? (obj["error"] as? String) ?? status
        if status == "NOT_AUTHORIZED" {
            throw ProviderError(kind: .unauthorized, provider: name, message: message, httpStatus: response.status)
        }
        if let s = ProviderSupport.statusError(response, provider: name, detail: message) { throw s }
        guard status == "OK" || status == "DELAYED" else {
            throw ProviderSupport.bad(name, "status \(status): \(message)", response)
        }
        let next = (obj["next_url"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        guard let rawResults = obj["results"] else {
            if next != nil { return ProviderPage(bars: [], nextURL: next) }
            throw ProviderError(kind: .noData, provider: name, message: "no results for \(request.symbol)", httpStatus: response.status)
        }
        guard let results = rawResults as? [Any] else { throw ProviderSupport.bad(name, "`results` is not an array", response) }
        if results.isEmpty && next == nil {
            throw ProviderError(kind: .noData, provider: name, message: "no results for \(request.symbol)", httpStatus: response.status)
        }
        let daily = !request.timeframe.isIntraday
        let zone: ProviderZone? = request.assetClass == .crypto ? nil : .newYork
        var bars: [Bar] = []
        bars.reserveCapacity(results.count)
        for (i, item) in results.enumerated() {
            guard let r = item as? [String: Any], let tms = ProviderSupport.int64(r["t"]),
                  let o = ProviderSupport.double(r["o"]), let h = ProviderSupport.double(r["h"]),
                  let l = ProviderSupport.double(r["l"]), let c = ProviderSupport.double(r["c"]),
                  let v = ProviderSupport.double(r["v"]) else {
                throw ProviderSupport.bad(name, "result \(i) lacks o/h/l/c/v/t", response)
            }
            let t = tms >= 0 ? tms / 1000 : (tms - 999) / 1000
            let ts = daily ? ProviderSupport.localDateMidnightUTC(t, zone: zone) : t
            bars.append(try ProviderSupport.bar(ts, o, h, l, c, v, provider: name, response: response))
        }
        return ProviderPage(bars: Bar.sortedLastWins(bars).bars, nextURL: next)
    }
}
