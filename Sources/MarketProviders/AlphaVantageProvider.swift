public import HTTPClient
public import Market
import Foundation

/// Alpha Vantage `TIME_SERIES_DAILY` and `TIME_SERIES_INTRADAY`; keyed (`apikey` query parameter — the API
/// accepts no header).
///
/// Time normalisation: keys are exchange-local wall times without offset (`Time Zone`, normally US/Eastern).
/// Daily keys are dates → midnight UTC of that date. Intraday keys are read as bar starts in the meta time
/// zone and converted to UTC. Errors arrive as HTTP 200 with a single key: `Note`/`Information` (throttle →
/// `.rateLimited`; premium/demo-key notices → `.unauthorized`), `Error Message` (→ `.notFound`), `{}` (→ `.noData`).
public struct AlphaVantageProvider: MarketDataProvider {
    /// Provider name used in configuration and call records.
    public let name = "alphavantage"
    /// Whether calls need an API key.
    public let requiresKey = true
    /// Free tier: 25 requests per day per key.
    public let defaultRateLimit = RateLimit(requests: 25, perSeconds: 86_400)
    /// Production base URL.
    public let defaultBaseURL = "https://www.alphavantage.co"

    /// Makes the adapter.
    public init() {}

    /// Whether this adapter serves the asset class at the timeframe.
    public func supports(_ assetClass: AssetClass, _ timeframe: Timeframe) -> Bool {
        (assetClass == .equity || assetClass == .etf) && interval(timeframe) != nil
    }

    private func interval(_ tf: Timeframe) -> String? {
        switch tf {
        case .m1: "1min"
        case .m5: "5min"
        case .m15: "15min"
        case .m30: "30min"
        case .h1: "60min"
        case .d1: "daily"
        case .h4, .w1: nil
        }
    }

    /// The HTTP requests covering the range (several windows where the provider caps a call).
    public func makeRequests(_ request: ProviderBarsRequest, apiKey: String?, baseURL: String) -> [HTTPClientRequest] {
        guard let iv = interval(request.timeframe) else { return [] }
        let key = apiKey ?? ""
        if request.timeframe == .d1 {
            // `compact` holds the latest 100 sessions (~140 days); older ranges need `full`.
            let size = request.from < Int64(wallClock()) - 140 * 86_400 ? "full" : "compact"
            return [HTTPClientRequest(url: ProviderSupport.url(baseURL, "/query", [
                ("function", "TIME_SERIES_DAILY"), ("symbol", request.symbol), ("outputsize", size), ("apikey", key),
            ]))]
        }
        // Intraday history is served one calendar month per call.
        var out: [HTTPClientRequest] = []
        var d = CivilDate(unixSeconds: request.from)
        var month = CivilDate(year: d.year, month: d.month, day: 1)
        let last = CivilDate(unixSeconds: request.to)
        while month <= last {
            let m = month.month < 10 ? "0\(month.month)" : "\(month.month)"
            out.append(HTTPClientRequest(url: ProviderSupport.url(baseURL, "/query", [
                ("function", "TIME_SERIES_INTRADAY"), ("symbol", request.symbol), ("interval", iv),
                ("month", "\(month.year)-\(m)"), ("outputsize", "full"), ("extended_hours", "false"), ("apikey", key),
            ])))
            d = month.adding(days: 32)
            month = CivilDate(year: d.year, month: d.month, day: 1)
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
        if let s = ProviderSupport.statusError(response, provider: name) { throw s }
        guard let obj = root as? [String: Any] else { throw ProviderSupport.bad(name, "body is not a JSON object", response) }
        if obj.isEmpty {
            throw ProviderError(kind: .noData, provider: name, message: "empty object {} for \(request.symbol)", httpStatus: response.status)
        }
        if let msg = obj["Error Message"] as? String {
            throw ProviderError(kind: .notFound, provider: name, message: msg, httpStatus: response.status)
        }
        if let msg = obj["Note"] as? String {
            throw ProviderError(kind: .rateLimited, provider: name, message: msg, httpStatus: response.status)
        }
        if let msg = obj["Information"] as? String {
            let lower = msg.lowercased()
            let throttled = lower.contains("rate limit") || lower.contains("requests per") || lower.contains("call frequency")
                || lower.contains("spread out")
            throw ProviderError(kind: throttled ? .rateLimited : .unauthorized, provider: name, message: msg, httpStatus: response.status)
        }
        guard let seriesKey = obj.keys.first(where: { $0.hasPrefix("Time Series") }),
              let series = obj[seriesKey] as? [String: Any] else {
            throw ProviderSupport.bad(name, "no `Time Series` object; keys: \(obj.keys.sorted().joined(separator: ", "))", response)
        }
        if series.isEmpty {
            throw ProviderError(kind: .noData, provider: name, message: "empty series for \(request.symbol)", httpStatus: response.status)
        }
        let meta = obj["Meta Data"] as? [String: Any] ?? [:]
        let zoneName = meta.first(where: { $0.key.hasSuffix("Time Zone") })?.value as? String ?? "US/Eastern"
        let zone = ProviderSupport.zone(zoneName) ?? .newYork
        let daily = !request.timeframe.isIntraday
        var bars: [Bar] = []
        bars.reserveCapacity(series.count)
        for (key, value) in series {
            guard let local = ProviderSupport.parseLocalDateTime(key), let fields = value as? [String: Any] else {
                throw ProviderSupport.bad(name, "bad series entry `\(key)`", response)
            }
            func field(_ suffix: String) throws -> Double {
                guard let v = fields.first(where: { $0.key.hasSuffix(suffix) }).flatMap({ ProviderSupport.double($0.value) }) else {
                    throw ProviderSupport.bad(name, "`\(suffix)` missing or not numeric at \(key)", response)
                }
                return v
            }
            let ts = daily ? CivilDate(unixSeconds: local).unixSeconds : ProviderSupport.utc(fromLocal: local, zone: zone)
            bars.append(try ProviderSupport.bar(ts, try field(". open"), try field(". high"), try field(". low"),
                                                try field(". close"), try field(". volume"), provider: name, response: response))
        }
        return ProviderPage(bars: Bar.sortedLastWins(bars).bars)
    }
}
