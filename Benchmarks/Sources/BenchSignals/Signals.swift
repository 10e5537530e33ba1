// The /json payload of the HTTP benchmark, shared by our server and the Hummingbird reference so
// that both encode exactly the same objects.

/// One trading signal as the API returns it; both benchmark servers serve these same values.
public struct Signal: Codable, Sendable {
    public var id: String
    public var symbol: String
    public var assetClass: String
    public var timeframe: String
    public var side: String
    public var strategy: String
    public var score: Double
    public var confidence: Double
    public var entryPrice: Double
    public var stopLoss: Double
    public var takeProfit: Double
    public var riskReward: Double
    public var generatedAt: String
    public var expiresAt: String
    public var active: Bool
    public var tags: [String]
}

/// The 50 signals, generated deterministically.
public func makeSignals() -> [Signal] {
    let symbols = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "BRK.B", "JPM", "XOM"]
    let classes = ["equity", "etf", "crypto", "fx", "future"]
    return (0..<50).map { i in
        let base = 50.0 + Double(i) * 7.25
        return Signal(
            id: "sig-2026-11-21-\(1000 + i)",
            symbol: symbols[i % symbols.count],
            assetClass: classes[i % classes.count],
            timeframe: i % 2 == 0 ? "1d" : "4h",
            side: i % 3 == 0 ? "short" : "long",
            strategy: "breakout-momentum-v\(i % 4 + 1)",
            score: Double(i * 37 % 100) / 100.0 + 0.005,
            confidence: 0.5 + Double(i % 50) / 101.0,
            entryPrice: base,
            stopLoss: base * 0.97,
            takeProfit: base * 1.06,
            riskReward: 2.0 + Double(i % 7) / 10.0,
            generatedAt: "2026-11-21T05:\(10 + i % 50):00Z",
            expiresAt: "2026-11-22T05:\(10 + i % 50):00Z",
            active: i % 5 != 0,
            tags: ["trend", "volume-confirmed", i % 2 == 0 ? "daily" : "intraday"])
    }
}
