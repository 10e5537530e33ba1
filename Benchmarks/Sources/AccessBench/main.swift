// API keys in process: the service's router (every middleware as deployed: request ids, CORS, metrics,
// the access log written to /dev/null, keys) answering `GET /health/live` and the signal list
// revalidated with its ETag (304, from the page cache), keys off with no key against keys required
// with a valid key, in alternating rounds on one thread. No sockets and no parsing: what the key
// costs our code, apart from the bytes on the wire (`Benchmarks/access/run.sh` measures the service).
//   GS_TEST_DATABASE_URL=postgresql://… swift run -c release --package-path Benchmarks AccessBench
import BenchSupport
import Foundation
import GoldenSignals
import HTTPServer
import Logging
import Market

let rounds = benchRounds(9)
let perRound = Int(benchEnvironment["REQUESTS"] ?? "") ?? 100_000

do {
    let devNull = open("/dev/null", O_WRONLY)
    let buffer = LogBuffer(fd: devNull, flushInterval: 0)   // flushed by the appender past 1 MB
    let logger = Logger(label: "bench") { BufferedLogHandler(label: $0, format: .text, buffer: buffer) }
    let app = try benchApplication("access", logger: logger) {
        $0.access.openPaths = []   // the probe too needs a key when keys are required
    }
    defer { app.close() }
    _ = try app.imports.importFile(path: dataDir + "/bt_orcl-1995-2014.txt", symbol: NewSymbol(symbol: "ORCL", assetClass: .equity),
                                   timeframe: .d1, timeZone: .utc)
    let key = try app.keys.create(NewAPIKey(name: "bench", scopes: [.read], rate: 1e9, burst: 1_000_000_000)).key
    let open = app.makeRouter(authRequired: false), keyed = app.makeRouter(authRequired: true)
    // The signal list's page cache needs the hub that hears of new signals, as `serve` starts it.
    app.signalStream.start()
    for _ in 0..<200 where app.signalStream.version == nil { Thread.sleep(forTimeInterval: 0.05) }

    func request(_ target: String, _ extra: [(String, String)]) -> Request {
        Request(method: .GET, target: target, headers: HTTPHeaders([("Host", "127.0.0.1:8080")] + extra), remoteAddress: "127.0.0.1:50000")
    }
    let list = "/api/v1/signals?status=all&limit=50"
    let auth = ("Authorization", "Bearer \(key)")
    guard let etag = open.respond(to: request(list, [])).headers["ETag"],
          keyed.respond(to: request(list, [auth])).headers["ETag"] == etag,
          keyed.respond(to: request("/health/live", [])).status.code == 401 else {
        print("AccessBench: no ETag, different pages, or keys not required")
        exit(1)
    }
    let cases: [(String, Router, Request, Router, Request)] = [
        ("GET /health/live", open, request("/health/live", []), keyed, request("/health/live", [auth])),
        ("GET /api/v1/signals (304)", open, request(list, [("If-None-Match", etag)]), keyed, request(list, [auth, ("If-None-Match", etag)])),
    ]
    func nanos(_ router: Router, _ r: Request, expect: Int) -> Double {
        var status = 0
        let s = seconds { for _ in 0..<perRound { status = router.respond(to: r).status.code } }
        precondition(status == expect, "answered \(status)")
        return s * 1e9 / Double(perRound)
    }
    print("in process, one thread, \(perRound) requests a cell, \(rounds) rounds (median; keyed/keyless per round)")
    for (name, o, ro, k, rk) in cases {
        let expect = name.contains("304") ? 304 : 200
        _ = nanos(o, ro, expect: expect); _ = nanos(k, rk, expect: expect)
        var open: [Double] = [], withKey: [Double] = [], ratio: [Double] = []
        for r in 0..<rounds {
            let (a, b) = r % 2 == 0 ? (nanos(o, ro, expect: expect), nanos(k, rk, expect: expect))
                                    : { let b = nanos(k, rk, expect: expect); return (nanos(o, ro, expect: expect), b) }()
            open.append(a); withKey.append(b); ratio.append(b / a)
        }
        print(String(format: "  %-26@ keyless %6.0f ns  keyed %6.0f ns  keyed − keyless %5.0f ns  keyed/keyless time %.3f",
                     name as NSString, median(open), median(withKey), median(withKey) - median(open), median(ratio)))
    }
    buffer.flush()
    app.close()
    try dropBenchDatabase("access")
} catch {
    print("AccessBench failed: \(error)")
    exit(1)
}
