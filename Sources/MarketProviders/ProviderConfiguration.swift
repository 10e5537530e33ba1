import Market

/// One configured provider: its adapter, API keys (empty for keyless), base URL and per-key rate limit.
public struct ProviderSettings: Sendable {
    /// The adapter.
    public var provider: any MarketDataProvider
    /// API keys, rotated round-robin; empty for keyless providers.
    public var keys: [String]
    /// Base URL (production default or `GS_<PROVIDER>_BASE_URL`).
    public var baseURL: String
    /// Budget per key (per IP when keyless).
    public var rateLimit: RateLimit

    /// Makes settings; `baseURL` and `rateLimit` default to the provider's own.
    public init(provider: any MarketDataProvider, keys: [String] = [], baseURL: String? = nil, rateLimit: RateLimit? = nil) {
        self.provider = provider
        self.keys = keys
        self.baseURL = baseURL ?? provider.defaultBaseURL
        self.rateLimit = rateLimit ?? provider.defaultRateLimit
    }
}

/// Which providers are usable and in what failover order per asset class.
public struct ProviderConfiguration: Sendable {
    /// Configured providers by name (keyless ones always; keyed ones only with keys).
    public var settings: [String: ProviderSettings]
    /// Failover order per asset class, restricted to configured providers.
    public var order: [AssetClass: [String]]
    /// Keyed providers that have no keys (reported by /health).
    public var unconfigured: [String]

    /// Makes a configuration directly (tests, embedding).
    public init(settings: [String: ProviderSettings], order: [AssetClass: [String]], unconfigured: [String] = []) {
        self.settings = settings
        self.order = order
        self.unconfigured = unconfigured
    }

    /// Default failover orders: free/keyless sources first, then keyed ones.
    public static let defaultOrder: [AssetClass: [String]] = [
        .equity: ["yahoo", "polygon", "alphavantage", "finnhub", "stooq"],
        .etf: ["yahoo", "polygon", "alphavantage", "finnhub", "stooq"],
        .index: ["yahoo", "polygon", "stooq"],
        .fx: ["yahoo", "polygon", "finnhub", "stooq"],
        .crypto: ["binance", "yahoo", "polygon", "finnhub"],
    ]

    /// Reads `GS_<PROVIDER>_KEYS=k1,k2` (or `GS_<PROVIDER>_KEY`), `GS_<PROVIDER>_BASE_URL`,
    /// `GS_<PROVIDER>_RATE_LIMIT=N/seconds` and `GS_PROVIDER_ORDER_<CLASS>=a,b,c`.
    public static func fromEnvironment(_ env: [String: String]) -> ProviderConfiguration {
        func list(_ v: String?) -> [String] {
            (v ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        var settings: [String: ProviderSettings] = [:]
        var unconfigured: [String] = []
        for p in Providers.all {
            let prefix = "GS_\(p.name.uppercased())_"
            var keys = list(env[prefix + "KEYS"])
            if keys.isEmpty { keys = list(env[prefix + "KEY"]) }
            if p.requiresKey && keys.isEmpty {
                unconfigured.append(p.name)
                continue
            }
            let base = env[prefix + "BASE_URL"].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
            let limit = env[prefix + "RATE_LIMIT"].flatMap { RateLimit(parsing: $0) }
            settings[p.name] = ProviderSettings(provider: p, keys: p.requiresKey ? keys : [], baseURL: base, rateLimit: limit)
        }
        var order: [AssetClass: [String]] = [:]
        for ac in AssetClass.allCases {
            let configuredOrder = list(env["GS_PROVIDER_ORDER_\(ac.rawValue.uppercased())"]).map { $0.lowercased() }
            let wanted = configuredOrder.isEmpty ? (defaultOrder[ac] ?? []) : configuredOrder
            var seen = Set<String>()
            order[ac] = wanted.filter { settings[$0] != nil && seen.insert($0).inserted }
        }
        return ProviderConfiguration(settings: settings, order: order, unconfigured: unconfigured)
    }
}
