// Our server for the HTTP benchmark: the same routes as HTTPBenchHummingbird
// (`GET /plaintext`, `GET /json`). /json is encoded on every request with JSONWriter (no page
// cache), so the figure measures the server and the writer, not a memcpy.
import HTTPServer
import Logging

/// Keys encoded once.
enum Keys {
    static let id = JSONKey("id")
    static let symbol = JSONKey("symbol")
    static let assetClass = JSONKey("assetClass")
    static let timeframe = JSONKey("timeframe")
    static let side = JSONKey("side")
    static let strategy = JSONKey("strategy")
    static let score = JSONKey("score")
    static let confidence = JSONKey("confidence")
    static let entryPrice = JSONKey("entryPrice")
    static let stopLoss = JSONKey("stopLoss")
    static let takeProfit = JSONKey("takeProfit")
    static let riskReward = JSONKey("riskReward")
    static let generatedAt = JSONKey("generatedAt")
    static let expiresAt = JSONKey("expiresAt")
    static let active = JSONKey("active")
    static let tags = JSONKey("tags")
}

/// One trading signal as the API returns it (identical fields and values in HTTPBenchHummingbird).
struct Signal: Sendable {
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

    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key(Keys.id); w.string(id)
        w.key(Keys.symbol); w.string(symbol)
        w.key(Keys.assetClass); w.string(assetClass)
        w.key(Keys.timeframe); w.string(timeframe)
        w.key(Keys.side); w.string(side)
        w.key(Keys.strategy); w.string(strategy)
        w.key(Keys.score); w.number(score)
        w.key(Keys.confidence); w.number(confidence)
        w.key(Keys.entryPrice); w.number(entryPrice)
        w.key(Keys.stopLoss); w.number(stopLoss)
        w.key(Keys.takeProfit); w.number(takeProfit)
        w.key(Keys.riskReward); w.number(riskReward)
        w.key(Keys.generatedAt); w.string(generatedAt)
        w.key(Keys.expiresAt); w.string(expiresAt)
        w.key(Keys.active); w.bool(active)
        w.key(Keys.tags)
        w.beginArray()
        for t in tags { w.string(t) }
        w.endArray()
        w.endObject()
    }
}

/// The 50 signals, generated deterministically (same generator as HTTPBenchHummingbird).
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

var configuration = HTTPServerConfiguration()
let args = CommandLine.arguments
configuration.port = 8080
if let i = args.firstIndex(of: "--port"), i + 1 < args.count, let p = Int(args[i + 1]) { configuration.port = p }
if let i = args.firstIndex(of: "--loops"), i + 1 < args.count, let n = Int(args[i + 1]) { configuration.eventLoops = n }

var logger = Logger(label: "bench")
logger.logLevel = .warning
let signals = makeSignals()
let plaintext = Array("Hello, World!".utf8)
let router = Router()
router.get("/plaintext", options: RouteOptions(runsOnLoop: true)) { _ in
    .bytes(plaintext, contentType: "text/plain; charset=utf-8")
}
router.get("/json", options: RouteOptions(runsOnLoop: true)) { _ in
    var w = JSONWriter(capacity: 16 * 1024)
    w.beginArray()
    // Borrow the shared signals instead of copying each (no reference counting across loops).
    signals.withUnsafeBufferPointer { all in
        for i in all.indices { all[i].write(to: &w) }
    }
    w.endArray()
    return .bytes(w.bytes, contentType: "application/json")
}

let server = HTTPServer(configuration: configuration, router: router, logger: logger)
server.installSignalHandlers()
try server.start()
print("HTTPBenchServer listening on \(server.localPort)")
server.wait()
