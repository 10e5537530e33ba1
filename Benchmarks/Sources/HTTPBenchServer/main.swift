// Our server for the HTTP benchmark: the same routes as HTTPBenchHummingbird
// (`GET /plaintext`, `GET /json`). /json is encoded on every request with JSONWriter (no page
// cache), so the figure measures the server and the writer, not a memcpy.
import BenchSignals
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

/// The writer for our server: keys prepared once, fields in the same order as the Codable encoding.
extension Signal {
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
