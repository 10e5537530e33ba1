// The reference server for the HTTP benchmark: Hummingbird 2 serving the same routes as
// HTTPBenchServer (`GET /plaintext`, `GET /json`), encoded with Foundation's JSONEncoder.
import BenchSignals
import Foundation
import Hummingbird

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
