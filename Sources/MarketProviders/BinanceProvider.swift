public import HTTPClient
public import Market
import Foundation
import Primitives

/// Binance spot klines (`/api/v3/klines`); keyless (public market data), crypto only.
///
/// Time normalisation: open time is Unix milliseconds, already UTC-aligned (days at 00:00Z, weeks on Monday
/// 00:00Z), so `timestamp = openTime / 1000`. A kline whose close time is still in the future (per `now`) is
/// the bar still forming and is dropped.
public struct BinanceProvider: MarketDataProvider {
    /// Provider name used in configuration and call records.
    public let name = "binance"
    /// Whether calls need an API key.
    public let requiresKey = false
    /// Request weight 6000/min per IP, klines weigh 2: about 1200 calls a minute (kept well below).
    public let defaultRateLimit = RateLimit(requests: 1200, perSeconds: 60)
    /// Production base URL.
    public let defaultBaseURL = "https://api.binance.com"
    private let now: @Sendable () -> Double

    /// Makes the adapter; `now` decides which kline is still forming.
    public init(now: @escaping @Sendable () -> Double = { wallClock() }) { self.now = now }

    /// Whether this adapter serves the asset class at the timeframe.
    public func supports(_ assetClass: AssetClass, _ timeframe: Timeframe) -> Bool { assetClass == .crypto }

    private func interval(_ tf: Timeframe) -> String { tf.rawValue }   // 1m 5m 15m 30m 1h 4h 1d 1w

    /// The HTTP requests covering the range (several windows where the provider caps a call).
    public func makeRequests(_ request: ProviderBarsRequest, apiKey: String?, baseURL: String) -> [HTTPClientRequest] {
        guard supports(request.assetClass, request.timeframe) else { return [] }
        // At most 1000 klines per call: one window per 1000 bars.
        let window = request.timeframe.seconds * 1000
        var out: [HTTPClientRequest] = []
        var start = request.from
        while start <= request.to {
            let end = min(request.to, start + window - 1)
            out.append(HTTPClientRequest(url: ProviderSupport.url(baseURL, "/api/v3/klines", [
                ("symbol", request.symbol.uppercased()), ("interval", interval(request.timeframe)),
                ("startTime", String(start * 1000)), ("endTime", String(end * 1000 + 999)), ("limit", "1000"),
            ])))
            start = end + 1
        }
        return out
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
        if let obj = root as? [String: Any] {
            let code = ProviderSupport.int64(obj["code"]) ?? 0
            let msg = "\(code) \(obj["msg"] as? String ?? "")"
            if code == -1121 {
                throw ProviderError(kind: .notFound, provider: name, message: msg, httpStatus: response.status)
            }
            if code == -1003 || code == -1015 {
                throw ProviderError(kind: .rateLimited, provider: name, message: msg,
                                    retryAfter: ProviderSupport.retryAfter(response), httpStatus: response.status)
            }
            throw ProviderSupport.statusError(response, provider: name, detail: msg) ?? ProviderSupport.bad(name, msg, response)
        }
        if let s = ProviderSupport.statusError(response, provider: name) { throw s }
        guard let rows = root as? [Any] else { throw ProviderSupport.bad(name, "body is not an array", response) }
        let nowMs = Int64(saturating: now() * 1000)
        var bars: [Bar] = []
        bars.reserveCapacity(rows.count)
        for (i, item) in rows.enumerated() {
            guard let row = item as? [Any], row.count >= 7, let openMs = ProviderSupport.int64(row[0]),
                  let o = ProviderSupport.double(row[1]), let h = ProviderSupport.double(row[2]),
                  let l = ProviderSupport.double(row[3]), let c = ProviderSupport.double(row[4]),
                  let v = ProviderSupport.double(row[5]), let closeMs = ProviderSupport.int64(row[6]) else {
                throw ProviderSupport.bad(name, "kline \(i) malformed", response)
            }
            if closeMs > nowMs { continue }   // still forming
            bars.append(try ProviderSupport.bar(openMs / 1000, o, h, l, c, v, provider: name, response: response))
        }
        if bars.isEmpty {
            throw ProviderError(kind: .noData, provider: name, message: "no closed klines for \(request.symbol)", httpStatus: response.status)
        }
        return ProviderPage(bars: Bar.sortedLastWins(bars).bars)
    }
}
