import Glibc
import Testing
@testable import HTTPServer

extension TestConnection {
    /// Sends `byte` every `interval` seconds until the server answers (or `limit` seconds pass), waiting
    /// on the socket between bytes; returns the response and how long it took.
    func trickle(_ byte: UInt8 = 0x61, every interval: Double, limit: Double) -> (TestResponse?, Double) {
        let start = monotonicNow()
        while monotonicNow() - start < limit {
            send([byte])
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, Int32(interval * 1000)) > 0 { break }
        }
        return (readResponse(), monotonicNow() - start)
    }
}

@Suite(.serialized) struct HardeningTests {
    // MARK: Expect

    @Test func expectContinueGetsNo100ForAMissingRouteOrMethod() throws {
        let live = try LiveServer(router: makeLiveRouter())
        defer { live.stop() }
        for (raw, status) in [("POST /missing HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", 404),
                              ("PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n", 405)] {
            let c = try live.connect()
            c.send(raw)
            let r = c.readResponse()
            #expect(r?.status == status, "the first answer is the final status, not 100 Continue")
            #expect(r?.headers["Connection"] == "close")
            #expect(c.isClosedByPeer())
        }
        // A served route still gets its 100 Continue.
        let c = try live.connect()
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        #expect(c.readResponse()?.status == 100)
        c.send("ok")
        #expect(c.readResponse()?.text == "ok")
    }

    @Test func unknownExpectationGets417() throws {
        let live = try LiveServer(router: makeLiveRouter())
        defer { live.stop() }
        let c = try live.connect()
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 103-early-hints\r\n\r\n")
        let r = c.readResponse()
        #expect(r?.status == 417)
        #expect(r?.headers["Content-Type"] == "application/problem+json")
        #expect(c.isClosedByPeer())
    }

    // MARK: Bodies

    @Test func bodiesBeyondTheServerBudgetGet503BeforeBeingRead() throws {
        let rejected = Trace()
        let live = try LiveServer(router: makeLiveRouter()) {
            $0.maxBufferedBodyBytes = 1_500
            $0.onRejectedRequest = { rejected.add(String($0)) }
        }
        defer { live.stop() }
        // The first body holds 1,000 bytes of the budget while it arrives (100 Continue: its head is in).
        let holder = try live.connect()
        holder.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n")
        #expect(holder.readResponse()?.status == 100)
        let refused = try live.connect()
        refused.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n")
        let r = refused.readResponse()
        #expect(r?.status == 503)
        #expect(r?.headers["Retry-After"] == "1")
        #expect(r?.headers["Content-Type"] == "application/problem+json")
        #expect(refused.isClosedByPeer())
        #expect(rejected.all == ["503"])
        // Once the first body is answered its bytes are free again.
        holder.send(String(repeating: "x", count: 1000))
        #expect(holder.readResponse()?.body.count == 1000)
        let next = try live.connect()
        next.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "y", count: 1000))
        #expect(next.readResponse()?.status == 200)
    }

    @Test func chunkedBodiesTakeFromTheBudgetAsTheyGrow() throws {
        let router = Router()
        router.post("/big", options: RouteOptions(maxBodyBytes: 1 << 20)) { req in .text(String(req.body.count)) }
        let live = try LiveServer(router: router) { $0.maxBufferedBodyBytes = 200_000 }
        defer { live.stop() }
        let c = try live.connect()
        let chunk = String(repeating: "z", count: 50_000)
        var raw = "POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        for _ in 0..<6 { raw += "c350\r\n" + chunk + "\r\n" }
        c.send(raw + "0\r\n\r\n")
        #expect(c.readResponse()?.status == 503)
        let small = try live.connect()
        small.send("POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nc350\r\n" + chunk + "\r\n0\r\n\r\n")
        #expect(small.readResponse()?.text == "50000")
    }

    @Test func aTricklingBodyIsCutOff() throws {
        let live = try LiveServer(router: makeLiveRouter()) {
            $0.headerTimeout = 10          // each byte comes well within the stall timeout
            $0.minBodyBytesPerSecond = 100
            $0.bodyRateGracePeriod = 0.3
        }
        defer { live.stop() }
        let c = try live.connect(timeout: 10)
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
        let (r, elapsed) = c.trickle(every: 0.1, limit: 8)
        #expect(r?.status == 408)
        #expect(r?.text.contains("too slowly") == true)
        #expect(elapsed >= 0.3)
        #expect(c.isClosedByPeer())
    }

    @Test func aBodyHasATotalDeadline() throws {
        let live = try LiveServer(router: makeLiveRouter()) {
            $0.headerTimeout = 10
            $0.minBodyBytesPerSecond = 0
            $0.bodyTimeout = 0.5
        }
        defer { live.stop() }
        let c = try live.connect(timeout: 10)
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
        let (r, elapsed) = c.trickle(every: 0.05, limit: 8)
        #expect(r?.status == 408)
        #expect(r?.text.contains("not received in time") == true)
        #expect(elapsed >= 0.5)
    }

    // MARK: Handler deadline

    @Test func aHandlerPastItsDeadlineIsAnswered503() throws {
        let gate = Gate()
        let live = try LiveServer(router: makeLiveRouter(gate: gate)) { $0.handlerTimeout = 0.3 }
        defer { live.stop() }
        let c = try live.connect()
        c.send("GET /block HTTP/1.1\r\nHost: t\r\n\r\n")
        let r = c.readResponse()
        #expect(r?.status == 503)
        #expect(r?.headers["Content-Type"] == "application/problem+json")
        #expect(r?.headers["Retry-After"] == "1")
        #expect(c.isClosedByPeer())
        gate.release()
        // The server is fine afterwards.
        #expect(try live.get("/hello")?.text == "hello")
    }

    // MARK: Paths and parameters

    @Test func anEncodedSlashStaysInItsSegmentAndNULIs400() throws {
        let router = Router()
        router.get("/items/{name}") { req in .text(req.pathParameters["name"] ?? "") }
        router.get("/find") { req in .text(req.query["q"] ?? "") }
        let live = try LiveServer(router: router)
        defer { live.stop() }
        #expect(try live.get("/items/BRK%2FB")?.text == "BRK/B")
        #expect(try live.get("/items/a/b")?.status == 404)
        for (target, field) in [("/items/a%00b", "name"), ("/find?q=a%00b", "q")] {
            let r = try live.get(target)
            #expect(r?.status == 400, "\(target)")
            #expect(r?.headers["Content-Type"] == "application/problem+json")
            #expect(r?.text.contains(#""field":"\#(field)""#) == true, "\(r?.text ?? "")")
        }
        #expect(try live.get("/find?q=a%20b")?.text == "a b")
    }

    @Test func anEncodedLineBreakNeverStartsALogLine() throws {
        let log = LogRecords()
        let router = Router()
        router.use(AccessLogMiddleware(logger: log.logger))
        router.get("/items/{name}") { _ in throw HTTPError(.internalServerError) }
        let live = try LiveServer(router: router)
        defer { live.stop() }
        _ = try live.get("/x%0D%0Ay%0A")
        _ = try live.get("/items/a%0Afake%20line")
        // Every record as a text handler would write it: message, then metadata values.
        let lines = log.all.map { r in ([r.message] + r.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: " ") }
        #expect(lines.count >= 3)
        for line in lines {
            #expect(!line.contains("\n") && !line.contains("\r"), "\(line)")
        }
        #expect(lines.contains { $0.contains("/x%0D%0Ay%0A") })
    }

    // MARK: Descriptors

    @Test func descriptorPlan() {
        #expect(DescriptorLimit.plan(soft: 20_000, hard: 20_000, connections: 16_384, headroom: 256).action == .sufficient)
        let raised = DescriptorLimit.plan(soft: 1_024, hard: 1_048_576, connections: 16_384, headroom: 256)
        #expect(raised.newSoft == 16_640 && raised.connections == 16_384 && raised.action == .raised(from: 1_024, to: 16_640))
        let lowered = DescriptorLimit.plan(soft: 1_024, hard: 4_096, connections: 16_384, headroom: 256)
        #expect(lowered.newSoft == 4_096 && lowered.connections == 3_840)
        #expect(lowered.action == .loweredConnections(to: 3_840, softLimit: 4_096))
    }

    @Test func startRaisesTheSoftLimitForTheConnectionCap() throws {
        let (soft, hard) = DescriptorLimit.current()
        try #require(hard >= 6_000, "the hard limit (\(hard)) leaves no room to test")
        // A soft limit below what the cap needs (but enough for the other tests in this process).
        #expect(DescriptorLimit.setSoft(4_096))
        defer { DescriptorLimit.setSoft(max(soft, DescriptorLimit.current().soft)) }
        let live = try LiveServer(router: makeLiveRouter()) {
            $0.maxConnections = 5_000
            $0.descriptorHeadroom = 256
        }
        defer { live.stop() }
        #expect(DescriptorLimit.current().soft >= 5_256)
        #expect(live.server.connectionLimit.maxConnections == 5_000)
        #expect(live.server.connectionLimit.descriptors == .raised(from: 4_096, to: 5_256))
    }
}
