public import HTTPClient
public import Market
import Foundation

/// Stooq daily CSV (`/q/d/l/?s=…&i=d`); keyed since 2026 (`apikey` query parameter).
///
/// Time normalisation: the `Date` column is the trading date → midnight UTC. Anything that is not the
/// expected CSV (an HTML page, a quota text) is refused whatever the HTTP status.
public struct StooqProvider: MarketDataProvider {
    /// Provider name used in configuration and call records.
    public let name = "stooq"
    /// Whether calls need an API key.
    public let requiresKey = true
    /// Undocumented; a conservative budget.
    public let defaultRateLimit = RateLimit(requests: 30, perSeconds: 60)
    /// Production base URL.
    public let defaultBaseURL = "https://stooq.com"

    /// Makes the adapter.
    public init() {}

    /// Whether this adapter serves the asset class at the timeframe.
    public func supports(_ assetClass: AssetClass, _ timeframe: Timeframe) -> Bool {
        timeframe == .d1 && assetClass != .crypto
    }

    private func compactDate(_ unix: Int64) -> String {
        ProviderSupport.isoDate(unix).replacingOccurrences(of: "-", with: "")
    }

    /// The HTTP requests covering the range (several windows where the provider caps a call).
    public func makeRequests(_ request: ProviderBarsRequest, apiKey: String?, baseURL: String) -> [HTTPClientRequest] {
        guard supports(request.assetClass, request.timeframe) else { return [] }
        var sym = request.symbol.lowercased()
        if (request.assetClass == .equity || request.assetClass == .etf) && !sym.contains(".") { sym += ".us" }
        var q = [("s", sym), ("i", "d"), ("d1", compactDate(request.from)), ("d2", compactDate(request.to))]
        if let apiKey, !apiKey.isEmpty { q.append(("apikey", apiKey)) }
        return [HTTPClientRequest(url: ProviderSupport.url(baseURL, "/q/d/l/", q))]
    }

    /// Reads one response into normalised bars or throws a `ProviderError`.
    public func parse(_ response: HTTPClientResponse, for request: ProviderBarsRequest) throws -> ProviderPage {
        let text = String(decoding: response.body, as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let lower = trimmed.prefix(512).lowercased()
        if lower.hasPrefix("<") || lower.contains("<html") || lower.contains("<!doctype") {
            throw ProviderSupport.statusError(response, provider: name, detail: "HTML page instead of CSV")
                ?? ProviderSupport.bad(name, "HTML page instead of CSV: \(ProviderSupport.snippet(response.body))", response)
        }
        if lower.contains("exceeded") || lower.contains("limit") {
            throw ProviderError(kind: .rateLimited, provider: name, message: String(trimmed.prefix(200)),
                                retryAfter: ProviderSupport.retryAfter(response), httpStatus: response.status)
        }
        if let s = ProviderSupport.statusError(response, provider: name) { throw s }
        if lower == "no data" || lower.hasPrefix("no data") {
            throw ProviderError(kind: .noData, provider: name, message: "No data for \(request.symbol)", httpStatus: response.status)
        }
        var lines = trimmed.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
        guard let header = lines.first?.lowercased().split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }),
              header.count >= 5, Array(header.prefix(5)) == ["date", "open", "high", "low", "close"] else {
            throw ProviderSupport.bad(name, "not the expected CSV (Date,Open,High,Low,Close[,Volume]): \(ProviderSupport.snippet(response.body))", response)
        }
        let volumeIndex = header.firstIndex(of: "volume")
        lines.removeFirst()
        if lines.isEmpty { throw ProviderError(kind: .noData, provider: name, message: "CSV has no rows", httpStatus: response.status) }
        var bars: [Bar] = []
        bars.reserveCapacity(lines.count)
        for (i, line) in lines.enumerated() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count == header.count, f[0].count == 10, let day = ProviderSupport.parseLocalDateTime(f[0]),
                  let o = Double(f[1]), let h = Double(f[2]), let l = Double(f[3]), let c = Double(f[4]) else {
                throw ProviderSupport.bad(name, "malformed or truncated CSV row \(i + 1): \(line.prefix(80))", response)
            }
            var v = 0.0
            if let vi = volumeIndex {
                guard let vv = Double(f[vi]) else { throw ProviderSupport.bad(name, "bad volume in row \(i + 1)", response) }
                v = vv
            }
            bars.append(try ProviderSupport.bar(day, o, h, l, c, v, provider: name, response: response))
        }
        return ProviderPage(bars: Bar.sortedLastWins(bars).bars)
    }
}
