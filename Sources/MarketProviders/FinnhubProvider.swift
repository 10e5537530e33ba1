public import HTTPClient
public import Market
import Foundation

/// Finnhub candles (`/api/v1/{stock|crypto|forex}/candle`); keyed (`X-Finnhub-Token` header).
///
/// Time normalisation: `t` is Unix seconds. Daily `t` is midnight America/New_York for stocks, so daily bars
/// map to their New York date (UTC date for crypto), stored as midnight UTC. Intraday `t` is the bar start.
/// `s:"no_data"` → `.noData`; an `error` body → `.rateLimited` (limit text or 429) or `.unauthorized`.
public struct FinnhubProvider: MarketDataProvider {
    /// Provider name used in configuration and call records.
    public let name = "finnhub"
    /// Whether calls need an API key.
    public let requiresKey = true
    /// Free tier: 60 calls per minute per key.
    public let defaultRateLimit = RateLimit(requests: 60, perSeconds: 60)
    /// Production base URL.
    public let defaultBaseURL = "https://finnhub.io"

    /// Makes the adapter.
    public init() {}

    /// Whether this adapter serves the asset class at the timeframe.
    public func supports(_ assetClass: AssetClass, _ timeframe: Timeframe) -> Bool {
        assetClass != .index && resolution(timeframe) != nil
    }

    private func resolution(_ tf: Timeframe) -> String? {
        switch tf {
        case .m1: "1"
        case .m5: "5"
        case .m15: "15"
        case .m30: "30"
        case .h1: "60"
        case .d1: "D"
        case .h4, .w1: nil
        }
    }

    /// The HTTP requests covering the range (several windows where the provider caps a call).
    public func makeRequests(_ request: ProviderBarsRequest, apiKey: String?, baseURL: String) -> [HTTPClientRequest] {
        guard let res = resolution(request.timeframe) else { return [] }
        let kind: String
        switch request.assetClass {
        case .crypto: kind = "crypto"
        case .fx: kind = "forex"
        default: kind = "stock"
        }
        var r = HTTPClientRequest(url: ProviderSupport.url(baseURL, "/api/v1/\(kind)/candle", [
            ("symbol", request.symbol), ("resolution", res), ("from", String(request.from)), ("to", String(request.to)),
        ]))
        r.headers = [("Accept", "application/json")]
        if let apiKey, !apiKey.isEmpty { r.headers.append(("X-Finnhub-Token", apiKey)) }
        return [r]
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
        if let msg = obj["error"] as? String {
            let lower = msg.lowercased()
            if response.status == 429 || lower.contains("limit") {
                throw ProviderError(kind: .rateLimited, provider: name, message: msg,
                                    retryAfter: ProviderSupport.retryAfter(response), httpStatus: response.status)
            }
            if lower.contains("access") || lower.contains("api key") || lower.contains("token") || response.status == 401 || response.status == 403 {
                throw ProviderError(kind: .unauthorized, provider: name, message: msg, httpStatus: response.status)
            }
            throw ProviderSupport.statusError(response, provider: name, detail: msg) ?? ProviderSupport.bad(name, msg, response)
        }
        if let s = ProviderSupport.statusError(response, provider: name) { throw s }
        let s = obj["s"] as? String
        if s == "no_data" {
            throw ProviderError(kind: .noData, provider: name, message: "no_data for \(request.symbol)", httpStatus: response.status)
        }
        guard s == "ok" else { throw ProviderSupport.bad(name, "unexpected status s=\(s ?? "nil")", response) }
        func column(_ k: String) throws -> [Any] {
            guard let a = obj[k] as? [Any] else { throw ProviderSupport.bad(name, "array `\(k)` missing", response) }
            return a
        }
        let t = try column("t"), o = try column("o"), h = try column("h"), l = try column("l"), c = try column("c"), v = try column("v")
        guard [o.count, h.count, l.count, c.count, v.count].allSatisfy({ $0 == t.count }) else {
            throw ProviderSupport.bad(name, "arrays differ in length", response)
        }
        if t.isEmpty { throw ProviderError(kind: .noData, provider: name, message: "no candles", httpStatus: response.status) }
        let daily = !request.timeframe.isIntraday
        let zone: ProviderZone? = request.assetClass == .crypto ? nil : .newYork
        var bars: [Bar] = []
        bars.reserveCapacity(t.count)
        for i in t.indices {
            guard let ts0 = ProviderSupport.int64(t[i]), let oo = ProviderSupport.double(o[i]), let hh = ProviderSupport.double(h[i]),
                  let ll = ProviderSupport.double(l[i]), let cc = ProviderSupport.double(c[i]), let vv = ProviderSupport.double(v[i]) else {
                throw ProviderSupport.bad(name, "non-numeric value at index \(i)", response)
            }
            let ts = daily ? ProviderSupport.localDateMidnightUTC(ts0, zone: zone) : ts0
            bars.append(try ProviderSupport.bar(ts, oo, hh, ll, cc, vv, provider: name, response: response))
        }
        return ProviderPage(bars: Bar.sortedLastWins(bars).bars)
    }
}
