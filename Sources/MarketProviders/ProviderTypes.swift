public import HTTPClient
public import Market
import Foundation
import Primitives

/// A request for bars of one symbol and timeframe over an inclusive Unix-seconds range.
public struct ProviderBarsRequest: Sendable {
    /// The provider-facing symbol (e.g. `AAPL`, `BTCUSDT`).
    public var symbol: String
    /// Decides the provider chain and, for some providers, the endpoint.
    public var assetClass: AssetClass
    /// Bar interval wanted.
    public var timeframe: Timeframe
    /// First second of the range (Unix seconds, inclusive).
    public var from: Int64
    /// Last second of the range (Unix seconds, inclusive).
    public var to: Int64

    /// Makes a request.
    public init(symbol: String, assetClass: AssetClass, timeframe: Timeframe, from: Int64, to: Int64) {
        self.symbol = symbol
        self.assetClass = assetClass
        self.timeframe = timeframe
        self.from = from
        self.to = to
    }
}

/// A provider call that did not yield bars.
public struct ProviderError: Error, CustomStringConvertible, Sendable {
    /// Failure class; decides retry, failover and circuit-breaker accounting.
    public enum Kind: Sendable, Hashable {
        case rateLimited, unauthorized, notFound, noData, badResponse, server, transport, unsupported, circuitOpen
    }
    /// The failure class.
    public var kind: Kind
    /// Provider name (`yahoo`, …) or `chain`.
    public var provider: String
    /// Human-readable detail (never contains an API key).
    public var message: String
    /// Seconds the provider asked us to wait (from `Retry-After`), if any.
    public var retryAfter: Double?
    /// HTTP status of the response, when there was one.
    public var httpStatus: Int?

    /// Makes an error.
    public init(kind: Kind, provider: String, message: String, retryAfter: Double? = nil, httpStatus: Int? = nil) {
        self.kind = kind
        self.provider = provider
        self.message = message
        self.retryAfter = retryAfter
        self.httpStatus = httpStatus
    }

    /// `provider: kind (HTTP status): message`.
    public var description: String {
        var s = "\(provider): \(kind)"
        if let httpStatus { s += " (HTTP \(httpStatus))" }
        return s + ": " + message
    }
}

/// A documented request budget: `requests` per `perSeconds` (per API key, or per IP for keyless providers).
public struct RateLimit: Sendable, Hashable {
    /// Requests allowed per window.
    public var requests: Int
    /// Window length in seconds.
    public var perSeconds: Double

    /// Makes a rate limit.
    public init(requests: Int, perSeconds: Double) {
        self.requests = requests
        self.perSeconds = perSeconds
    }

    /// Parses `N/S` (e.g. `5/60`), or nil.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/").map { $0.trimmingCharacters(in: .whitespaces) }
        // Bounded: an infinite or vanishing window would make every wait infinite.
        guard parts.count == 2, let n = Int(parts[0]), let s = Double(parts[1]), n > 0, n <= 1_000_000,
              s.isFinite, s >= 0.001, s <= 366 * 86_400 else { return nil }
        self.init(requests: n, perSeconds: s)
    }
}

/// One parsed response page: its bars (normalised, sorted) and the next page's URL if the provider paginates.
public struct ProviderPage: Sendable {
    /// Bars on this page.
    public var bars: [Bar]
    /// The provider's next-page URL (Polygon `next_url`), if any.
    public var nextURL: String?

    /// Makes a page.
    public init(bars: [Bar], nextURL: String? = nil) {
        self.bars = bars
        self.nextURL = nextURL
    }
}

/// One market-data provider's wire format: how to ask and how to read the answer. Pure: no I/O.
public protocol MarketDataProvider: Sendable {
    /// Stable lower-case name: "yahoo", "alphavantage", "polygon", "finnhub", "binance", "stooq".
    var name: String { get }
    /// Whether calls need an API key.
    var requiresKey: Bool { get }
    /// The documented per-key (or per-IP) request limit.
    var defaultRateLimit: RateLimit { get }
    /// The production base URL (overridable with `GS_<PROVIDER>_BASE_URL`).
    var defaultBaseURL: String { get }
    /// Whether this provider can deliver this asset class at this timeframe.
    func supports(_ assetClass: AssetClass, _ timeframe: Timeframe) -> Bool
    /// The HTTP requests (one or more pages/windows) that together cover `request`.
    func makeRequests(_ request: ProviderBarsRequest, apiKey: String?, baseURL: String) -> [HTTPClientRequest]
    /// The request for a follow-up page the provider announced with `nextURL`.
    func makeNextPageRequest(_ nextURL: String, apiKey: String?, baseURL: String) -> HTTPClientRequest
    /// Reads one response into bars; throws `ProviderError` for errors, empty answers and malformed bodies.
    func parse(_ response: HTTPClientResponse, for request: ProviderBarsRequest) throws -> ProviderPage
}

extension MarketDataProvider {
    /// Default: no pagination by URL; a plain GET of `nextURL`.
    public func makeNextPageRequest(_ nextURL: String, apiKey: String?, baseURL: String) -> HTTPClientRequest {
        HTTPClientRequest(url: nextURL)
    }
}

/// The registry of built-in providers.
public enum Providers {
    /// Every built-in provider, in default preference order.
    public static let all: [any MarketDataProvider] = [
        YahooProvider(), AlphaVantageProvider(), PolygonProvider(), FinnhubProvider(), BinanceProvider(), StooqProvider(),
    ]

    /// The built-in provider with this name (case-insensitive), or nil.
    public static func named(_ name: String) -> (any MarketDataProvider)? {
        let n = name.lowercased()
        return all.first { $0.name == n }
    }
}

/// Seconds since the Unix epoch from the system clock.
public func wallClock() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Blocks the calling thread for `seconds` (no-op for ≤ 0).
public func defaultSleep(_ seconds: Double) {
    guard seconds > 0 else { return }   // also NaN
    let s = min(seconds, 1e9)            // infinity or 1e300 would trap in Int(_:)
    var ts = timespec(tv_sec: Int(s), tv_nsec: Int((s - s.rounded(.down)) * 1e9))
    var rem = timespec()
    while nanosleep(&ts, &rem) != 0 && errno == EINTR { ts = rem }
}
