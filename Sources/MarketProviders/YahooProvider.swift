public import HTTPClient
public import Market
import Foundation

/// Yahoo Finance chart API v8 (`/v8/finance/chart/{symbol}`); keyless.
///
/// Time normalisation: Yahoo stamps a daily bar with the session *open* (13:30Z for New York) and the latest
/// session's bar with the last trade time, so a daily bar's timestamp is mapped to the trading date in
/// `meta.exchangeTimezoneName` (fallback `meta.gmtoffset`) and stored as midnight UTC of that date.
/// Intraday bars are Unix-second bar starts; a live bar stamped with the last trade time is floored onto the
/// response's bar grid. Bars whose prices are `null` (halts, gaps) are skipped, never filled.
public struct YahooProvider: MarketDataProvider {
    /// Provider name used in configuration and call records.
    public let name = "yahoo"
    /// Whether calls need an API key.
    public let requiresKey = false
    /// Undocumented; a conservative per-IP budget.
    public let defaultRateLimit = RateLimit(requests: 60, perSeconds: 60)
    /// Production base URL.
    public let defaultBaseURL = "https://query2.finance.yahoo.com"

    /// Makes the adapter.
    public init() {}

    /// Whether this adapter serves the asset class at the timeframe.
    public func supports(_ assetClass: AssetClass, _ timeframe: Timeframe) -> Bool {
        interval(timeframe) != nil
    }

    private func interval(_ tf: Timeframe) -> String? {
        switch tf {
        case .m1: "1m"
        case .m5: "5m"
        case .m15: "15m"
        case .m30: "30m"
        case .h1: "60m"
        case .d1: "1d"
        case .h4, .w1: nil
        }
    }

    /// Longest range Yahoo serves per request for each interval.
    private func window(_ tf: Timeframe) -> Int64? {
        switch tf {
        case .m1: 7 * 86_400
        case .m5, .m15, .m30: 59 * 86_400
        case .h1: 729 * 86_400
        default: nil
        }
    }

    /// The HTTP requests covering the range (several windows where the provider caps a call).
    public func makeRequests(_ request: ProviderBarsRequest, apiKey: String?, baseURL: String) -> [HTTPClientRequest] {
        guard let iv = interval(request.timeframe) else { return [] }
        var windows: [(Int64, Int64)] = []
        if let w = window(request.timeframe) {
            var start = request.from
            while start <= request.to {
                let end = min(request.to, start + w - 1)
                windows.append((start, end))
                start = end + 1
            }
        } else {
            windows = [(request.from, request.to)]
        }
        return windows.map { (a, b) in
            var r = HTTPClientRequest(url: ProviderSupport.url(baseURL, "/v8/finance/chart/" + ProviderSupport.encode(request.symbol), [
                ("period1", String(a)), ("period2", String(b + 1)), ("interval", iv),
                ("includePrePost", "false"), ("events", "div|split"),
            ]))
            r.headers = [("Accept", "application/json"), ("User-Agent", "Mozilla/5.0 (compatible; GoldenSignals/0.1)")]
            return r
        }
    }

    /// Reads one response into normalised bars or throws a `ProviderError`.
    public func parse(_ response: HTTPClientResponse, for request: ProviderBarsRequest) throws -> ProviderPage {
        let root: Any
        do {
            root = try ProviderSupport.json(response, provider: name)
        } catch let e as ProviderError {
            // Yahoo's 429 is plain text ("Edge: Too Many Requests"): report the status, not the JSON failure.
            if let s = ProviderSupport.statusError(response, provider: name) { throw s }
            throw e
        }
        guard let chart = (root as? [String: Any])?["chart"] as? [String: Any] else {
            throw ProviderSupport.statusError(response, provider: name)
                ?? ProviderSupport.bad(name, "no `chart` object", response)
        }
        if let err = chart["error"] as? [String: Any] {
            let code = err["code"] as? String ?? ""
            let text = "\(code): \(err["description"] as? String ?? "")"
            if code == "Not Found" || response.status == 404 {
                throw ProviderError(kind: .notFound, provider: name, message: text, httpStatus: response.status)
            }
            if text.contains("Data doesn't exist") || text.contains("No data found") {
                throw ProviderError(kind: .noData, provider: name, message: text, httpStatus: response.status)
            }
            throw ProviderSupport.statusError(response, provider: name, detail: text)
                ?? ProviderSupport.bad(name, text, response)
        }
        if let s = ProviderSupport.statusError(response, provider: name) { throw s }
        guard let results = chart["result"] as? [Any], let result = results.first as? [String: Any] else {
            throw ProviderSupport.bad(name, "`chart.result` missing", response)
        }
        let meta = result["meta"] as? [String: Any] ?? [:]
        guard let rawTimes = result["timestamp"] else {
            throw ProviderError(kind: .noData, provider: name, message: "no bars for \(request.symbol) in range", httpStatus: response.status)
        }
        guard let times = rawTimes as? [Any] else { throw ProviderSupport.bad(name, "`timestamp` is not an array", response) }
        if times.isEmpty {
            throw ProviderError(kind: .noData, provider: name, message: "no bars for \(request.symbol) in range", httpStatus: response.status)
        }
        guard let indicators = result["indicators"] as? [String: Any],
              let quotes = indicators["quote"] as? [Any], let quote = quotes.first as? [String: Any] else {
            throw ProviderSupport.bad(name, "`indicators.quote` missing", response)
        }
        func column(_ key: String) throws -> [Any] {
            guard let a = quote[key] as? [Any], a.count == times.count else {
                throw ProviderSupport.bad(name, "`\(key)` missing or not \(times.count) long", response)
            }
            return a
        }
        let o = try column("open"), h = try column("high"), l = try column("low"), c = try column("close")
        let v = try column("volume")

        let zone: ProviderZone? = (meta["exchangeTimezoneName"] as? String).flatMap(ProviderSupport.zone)
            ?? ProviderSupport.int64(meta["gmtoffset"]).flatMap { TimeZone(secondsFromGMT: Int($0)) }.map(ProviderZone.other)
        let daily = !request.timeframe.isIntraday
        let step = request.timeframe.seconds
        // The bar grid: the first whole-minute stamp (a regular bar start); the UTC grid if there is none.
        let anchor: Int64 = times.lazy.compactMap { ProviderSupport.int64($0) }.first { $0 % 60 == 0 }
            .map { (($0 % step) + step) % step } ?? 0
        var bars: [Bar] = []
        bars.reserveCapacity(times.count)
        for i in times.indices {
            guard let t = ProviderSupport.int64(times[i]) else { throw ProviderSupport.bad(name, "bad timestamp at \(i)", response) }
            // A null price means no bar (halt/missing): skip it rather than invent one.
            guard let oo = ProviderSupport.double(o[i]), let hh = ProviderSupport.double(h[i]),
                  let ll = ProviderSupport.double(l[i]), let cc = ProviderSupport.double(c[i]) else { continue }
            let vol = ProviderSupport.double(v[i]) ?? 0
            let ts: Int64
            if daily {
                ts = ProviderSupport.localDateMidnightUTC(t, zone: zone)
            } else {
                ts = t - (((t - anchor) % step) + step) % step
            }
            bars.append(try ProviderSupport.bar(ts, oo, hh, ll, cc, vol, provider: name, response: response))
        }
        if bars.isEmpty {
            throw ProviderError(kind: .noData, provider: name, message: "only null bars for \(request.symbol)", httpStatus: response.status)
        }
        return ProviderPage(bars: Bar.sortedLastWins(bars).bars)
    }
}
