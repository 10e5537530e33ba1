// The reference server for the HTTP benchmark: Hummingbird 2 serving the same routes as
// HTTPBenchServer (`GET /plaintext`, `GET /json`), encoded with Foundation's JSONEncoder.
import Foundation
import Hummingbird

/// One trading signal as the API returns it (identical fields and values in HTTPBenchServer).
struct Signal: Codable, Sendable {
    var id: String
    var symbol: String
    var assetClass: String
    var timeframe: String
    var side: String
    var strategy: String
    var score: Double
    var confidence: Double
    var entryPrice: Double
    var stopLoss: Double
    var takeProfit: Double
    var riskReward: Double
    var generatedAt: String
    var expiresAt: String
    var active: Bool
    var tags: [String]
}

/// The 50 signals, generated deterministically (same generator as HTTPBenchServer).
func makeSignals() -> [Signal] {
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

var port = 8081
let args = CommandLine.arguments
if let i = args.firstIndex(of: "--port"), i + 1 < args.count, let p = Int(args[i + 1]) { port = p }

let signals = makeSignals()
let router = Router()
router.get("/plaintext") { _, _ -> Response in
    Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
             body: .init(byteBuffer: ByteBuffer(string: "Hello, World!")))
}
router.get("/json") { _, _ -> [Signal] in signals }

let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
