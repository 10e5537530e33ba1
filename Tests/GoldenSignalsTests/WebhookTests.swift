import Foundation
@testable import GoldenSignals
import HTTPClient
import HTTPServer
import Logging
import Market
import Testing

/// A webhook receiver on our own HTTP server: records every request, answers with the statuses
/// queued in `statuses` (then 200), after `delay` seconds for the first `delayed` requests.
final class WebhookReceiver: @unchecked Sendable {
    struct Received: Sendable { let headers: [String: String]; let body: [UInt8] }
    private let lock = NSLock()
    private var items: [Received] = []
    private var statuses: [Int] = []
    private var delay: Double = 0
    private var delayed = 0

    /// Answers the next requests with these statuses (then 200).
    func respond(with statuses: [Int]) { lock.withLock { self.statuses = statuses } }
    /// Answers the first `count` requests after `seconds`.
    func delay(first count: Int, by seconds: Double) { lock.withLock { delayed = count; delay = seconds } }
    let server: HTTPServer
    var port: Int { server.localPort }
    var url: String { "http://127.0.0.1:\(port)/hook" }

    init() throws {
        let router = Router()
        var config = HTTPServerConfiguration()
        config.host = "127.0.0.1"
        config.port = 0
        server = HTTPServer(configuration: config, router: router, logger: .quiet("receiver"))
        router.post("/hook") { [unowned self] request in
            var headers: [String: String] = [:]
            for (name, value) in request.headers { headers[name.lowercased()] = value }
            let (status, wait) = self.lock.withLock { () -> (Int, Double) in
                self.items.append(Received(headers: headers, body: request.body))
                let wait = self.items.count <= self.delayed ? self.delay : 0
                return (self.statuses.isEmpty ? 200 : self.statuses.removeFirst(), wait)
            }
            if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            return Response(status: HTTPStatus(status), headers: HTTPHeaders(), body: .empty)
        }
        try server.start()
    }

    deinit { server.shutdown() }

    var all: [Received] { lock.withLock { items } }
    var distinctIDs: Set<String> { Set(all.compactMap { $0.headers["webhook-id"] }) }

    /// Waits until `done` holds (at most `timeout` seconds).
    @discardableResult
    func wait(timeout: Double = 30, _ done: ([Received]) -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if done(all) { return true }
            usleep(50_000)
        }
        return done(all)
    }
}

@Suite(.serialized) struct WebhookTests {
    static let env = ["GS_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "GS_WEBHOOK_POLL_INTERVAL": "0.1"]

    static func importMSFT(_ s: TestService) throws {
        _ = try s.app.imports.importFile(path: Paths.data("bluefin_MSFT.csv"), symbol: NewSymbol(symbol: "MSFT", assetClass: .equity),
                                         timeframe: .d1, timeZone: .utc)
    }

    static func publishedCount(_ s: TestService) throws -> Int {
        Int(try s.app.pool.withConnection { try $0.query("SELECT count(*)::int8 FROM signals WHERE published", [])[0].decode(0, as: Int64.self) })
    }

    @Test func newSignalsAreDeliveredSignedAndVerifiedByTheStandardWebhooksLibrary() throws {
        let receiver = try WebhookReceiver()
        let s = try TestService(label: "hooks", environment: Self.env)
        let created = try s.postJSON("/api/v1/webhooks", #"{"url":"\#(receiver.url)","events":["signal.created"],"filters":{"symbols":["msft"],"min_confidence":0}}"#)
        #expect(created.status == 201)
        let secret = try #require(created.json["secret"] as? String)
        let id = try #require(created.json["id"] as? String)
        #expect(secret.hasPrefix("whsec_"))
        let other = try s.postJSON("/api/v1/webhooks", #"{"url":"\#(receiver.url)","events":["signal.created"],"filters":{"symbols":["AAPL"]}}"#)
        #expect(other.status == 201)
        #expect(!(try s.get("/api/v1/webhooks").text.contains(secret)))

        try Self.importMSFT(s)
        let expected = try Self.publishedCount(s)
        #expect(expected > 0)
        #expect(receiver.wait { $0.count >= expected })
        usleep(300_000)
        let got = receiver.all
        #expect(got.count == expected, "one delivery per published signal, none for the AAPL subscription")
        #expect(receiver.distinctIDs.count == expected)

        // Our own check of the signature, then the reference library's.
        for r in got.prefix(5) {
            let msgID = try #require(r.headers["webhook-id"]), ts = try #require(r.headers["webhook-timestamp"])
            #expect(r.headers["webhook-signature"] == StandardWebhooks.signature(secret: secret, id: msgID, timestamp: Int64(ts)!, body: r.body))
            let json = try #require(try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
            #expect(json["type"] as? String == "signal.created")
            #expect(json["timestamp"] is String)
            let data = try #require(json["data"] as? [String: Any])
            #expect(data["symbol"] as? String == "MSFT" && data["id"] is String)
        }
        try Self.verifyWithReferenceLibrary(secret: secret, deliveries: Array(got.prefix(20)))

        // The delivery log and a test message.
        let log = try s.get("/api/v1/webhooks/\(id)/deliveries?limit=500")
        #expect(log.status == 200)
        let entries = log.json["deliveries"] as? [[String: Any]] ?? []
        #expect(entries.count == min(expected, 500))
        if expected > 500, let cursor = log.json["next_cursor"] as? String {
            let rest = try s.get("/api/v1/webhooks/\(id)/deliveries?limit=500&cursor=\(cursor)").json["deliveries"] as? [[String: Any]] ?? []
            #expect(entries.count + rest.count == expected)
        }
        #expect(entries.allSatisfy { $0["status"] as? Int == 200 && $0["attempt"] as? Int == 1 && $0["latency_ms"] is Double })
        let test = try s.request("POST", "/api/v1/webhooks/\(id)/test")
        #expect(test.status == 202)
        #expect(receiver.wait(timeout: 10) { $0.contains { r in r.headers["webhook-id"] == test.json["message_id"] as? String } })
        #expect(receiver.all.last.map { String(decoding: $0.body, as: UTF8.self).contains("\"webhook.test\"") } == true)
    }

    /// Runs the Standard Webhooks Python library over the deliveries (`scripts/python-deps.sh` installs it).
    static func verifyWithReferenceLibrary(secret: String, deliveries: [WebhookReceiver.Received]) throws {
        let python = Paths.repository + "/.build/pyenv/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            Issue.record("no \(python): run scripts/python-deps.sh")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gs-hooks-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let items = deliveries.map { ["headers": $0.headers, "body": String(decoding: $0.body, as: UTF8.self)] as [String: Any] }
        try JSONSerialization.data(withJSONObject: ["secret": secret, "deliveries": items]).write(to: dir.appendingPathComponent("in.json"))
        let script = """
            import json, sys
            from standardwebhooks.webhooks import Webhook
            spec = json.load(open(sys.argv[1]))
            wh = Webhook(spec["secret"])
            for d in spec["deliveries"]:
                wh.verify(d["body"], d["headers"])
            try:
                d = spec["deliveries"][0]
                wh.verify(d["body"] + " ", d["headers"])
                print("TAMPERED BODY ACCEPTED"); sys.exit(2)
            except Exception:
                pass
            print("verified", len(spec["deliveries"]))
            """
        try script.write(to: dir.appendingPathComponent("verify.py"), atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [dir.appendingPathComponent("verify.py").path, dir.appendingPathComponent("in.json").path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        p.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0, "standardwebhooks: \(text)")
        #expect(text.contains("verified \(deliveries.count)"))
    }

    @Test func failuresAreRetriedWithBackoffAndSustainedFailureDisables() throws {
        let receiver = try WebhookReceiver()
        receiver.respond(with: [500, 503])
        var env = Self.env
        env["GS_WEBHOOK_RETRY_SCHEDULE"] = "0.2,0.2,0.2"
        let s = try TestService(label: "hooks_retry", environment: env)
        let id = try #require(try s.postJSON("/api/v1/webhooks", #"{"url":"\#(receiver.url)","events":["signal.created"]}"#).json["id"] as? String)
        #expect(try s.request("POST", "/api/v1/webhooks/\(id)/test").status == 202)
        #expect(receiver.wait(timeout: 15) { $0.count >= 3 })
        usleep(300_000)
        let ids = receiver.all.compactMap { $0.headers["webhook-id"] }
        #expect(ids.count == 3 && Set(ids).count == 1, "the same message id on every attempt")
        let log = (try s.get("/api/v1/webhooks/\(id)/deliveries").json["deliveries"] as? [[String: Any]]) ?? []
        #expect(log.map { $0["status"] as? Int } == [200, 503, 500])
        #expect(log.map { $0["attempt"] as? Int } == [3, 2, 1])
        #expect(try s.get("/api/v1/webhooks/\(id)").json["failing_since"] is NSNull)

        // A receiver that keeps failing: given up after the schedule, and the subscription disabled.
        receiver.respond(with: Array(repeating: 500, count: 10))
        let patched = try s.request("PATCH", "/api/v1/webhooks/\(id)", body: #"{"filters":{"symbols":["MSFT"]}}"#,
                                    headers: [("Content-Type", "application/json")])
        #expect(patched.status == 200)
        #expect((patched.json["filters"] as? [String: Any])?["symbols"] as? [String] == ["MSFT"])
        var strict = env
        strict["GS_WEBHOOK_DISABLE_AFTER"] = "0.3"
        s.app.webhookDispatcher.stop()
        try withExtendedLifetime(s) {
        let t = try TestService(label: "hooks_disable", databaseURL: s.app.configuration.databaseURL, environment: strict)
        #expect(try t.request("POST", "/api/v1/webhooks/\(id)/test").status == 202)
        var hook: [String: Any] = [:]
        for _ in 0..<100 {
            hook = try t.get("/api/v1/webhooks/\(id)").json
            if hook["enabled"] as? Bool == false { break }
            usleep(100_000)
        }
        #expect(hook["enabled"] as? Bool == false)
        #expect((hook["disabled_reason"] as? String)?.contains("failing since") == true)
        // Enabling again clears the record.
        let enabled = try t.request("PATCH", "/api/v1/webhooks/\(id)", body: #"{"enabled":true}"#, headers: [("Content-Type", "application/json")])
        #expect(enabled.json["enabled"] as? Bool == true && enabled.json["disabled_reason"] is NSNull)
        }
    }

    @Test func privateDestinationsAreRefusedUnlessAllowListed() throws {
        let s = try TestService(label: "hooks_ssrf")
        for url in ["http://127.0.0.1:9/x", "http://169.254.169.254/latest/meta-data", "http://10.0.0.1/", "http://[::1]:80/",
                    "http://localhost/", "ftp://example.com/", "http://user:pw@example.com/", "not a url"] {
            let r = try s.postJSON("/api/v1/webhooks", #"{"url":"\#(url)","events":["signal.created"]}"#)
            #expect(r.status == 422, "\(url)")
            #expect((r.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "url")
        }
        let bad = try s.postJSON("/api/v1/webhooks", #"{"url":"http://127.0.0.1/","events":["signal.maybe"],"filters":{"min_confidence":2}}"#)
        #expect(Set(((bad.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String }) == ["url", "events", "filters.min_confidence"])
        // Filters name real tickers and strategies: text that is neither (control characters and quotes once
        // reached the database in an array and could answer 500) is refused, naming the filter.
        let junk = try s.postJSON("/api/v1/webhooks", #"{"url":"http://127.0.0.1/","events":["signal.created"],"filters":{"symbols":["A\u0007\"{B,}"],"strategies":["sma_crossover","nope"]}}"#)
        #expect(junk.status == 422)
        #expect(Set(((junk.json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String }).isSuperset(of: ["filters.symbols", "filters.strategies"]))
        let policy = DestinationPolicy(allowedHosts: [])
        #expect(throws: DestinationPolicy.Refusal.self) { try policy.check("http://192.168.1.10/") }
        #expect(throws: DestinationPolicy.Refusal.self) { try policy.check("http://100.64.0.1/") }
        #expect(throws: DestinationPolicy.Refusal.self) { try policy.check("http://[fe80::1]/") }
        #expect(throws: DestinationPolicy.Refusal.self) { try policy.check("http://[::ffff:127.0.0.1]/") }
        #expect((try? policy.check("http://93.184.215.14/")) != nil)
        #expect((try? DestinationPolicy(allowedHosts: ["127.0.0.1"]).check("http://127.0.0.1:8080/x")) != nil)
    }

    /// A published signal whose outcome becomes final is pushed as `signal.closed`, with its outcome, to the
    /// subscriptions whose filters it meets (its latest confidence against `min_confidence`), once.
    @Test func closedSignalsAreDeliveredWithTheirOutcome() throws {
        let receiver = try WebhookReceiver()
        let s = try TestService(label: "hooks_closed", environment: Self.env)
        let created = try s.postJSON("/api/v1/webhooks", #"{"url":"\#(receiver.url)","events":["signal.closed"],"filters":{"min_confidence":0.6}}"#)
        #expect(created.status == 201)
        try Self.importMSFT(s)   // generates, then scores outcomes from the later bars
        let expected = Int(try s.app.pool.withConnection {
            try $0.query("""
                SELECT count(*)::int8 FROM signals g JOIN signal_outcomes o ON o.signal_id = g.id AND o.final
                WHERE g.published AND coalesce((SELECT new_confidence FROM signal_confidence_history h WHERE h.signal_id = g.id
                                                ORDER BY at DESC LIMIT 1), g.confidence) >= 0.6
                """, [])[0].decode(0, as: Int64.self)
        })
        let published = try Self.publishedCount(s)
        #expect(expected > 0 && expected < published)
        #expect(receiver.wait(timeout: 60) { $0.count >= expected })
        Thread.sleep(forTimeInterval: 0.5)   // nothing more comes
        let bodies = receiver.all.compactMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] }
        #expect(bodies.count == expected)
        #expect(bodies.allSatisfy { $0["type"] as? String == "signal.closed" })
        let data = bodies.compactMap { $0["data"] as? [String: Any] }
        #expect(Set(data.compactMap { $0["id"] as? String }).count == expected)
        #expect(data.allSatisfy { ["closed", "expired"].contains($0["status"] as? String ?? "") })
        #expect(data.allSatisfy { ($0["outcome"] as? [String: Any])?["provisional"] as? Bool == false })
        #expect(data.allSatisfy { ($0["confidence"] as? Double ?? 0) >= 0.6 })
    }

    @Test func aRestartMidDeliveryLosesNothing() throws {
        let receiver = try WebhookReceiver()
        receiver.delay(first: 3, by: 0.3)
        var env = Self.env
        env["GS_WEBHOOK_LEASE"] = "2"
        env["GS_WEBHOOK_TIMEOUT"] = "1"
        let a = try TestService(label: "hooks_restart", environment: env)
        let url = try #require(a.app.configuration.databaseURL)
        _ = try a.postJSON("/api/v1/webhooks", #"{"url":"\#(receiver.url)","events":["signal.created"]}"#)
        try Self.importMSFT(a)
        let expected = try Self.publishedCount(a)
        #expect(receiver.wait(timeout: 10) { $0.count >= 1 })
        // Stop mid-way: the dispatcher finishes the message in flight and leaves the rest in the outbox.
        a.app.webhookDispatcher.stop()
        #expect(receiver.all.count < expected)
        // As if a replica had claimed a message and died before sending it: the row stays leased.
        #expect(try a.app.webhooks.claim(limit: 1, lease: 1).count == 1)
        a.app.close()  // the service is gone; its database stays until `a` goes away
        try withExtendedLifetime(a) {
            let b = try TestService(label: "hooks_restart_b", databaseURL: url, environment: env)
            #expect(receiver.wait(timeout: 60) { _ in receiver.distinctIDs.count >= expected })
            #expect(receiver.distinctIDs.count == expected)
            // The receiver answers before the dispatcher records the delivery: wait for the record.
            var undelivered: Int64 = -1
            let deadline = Date().addingTimeInterval(10)
            repeat {
                undelivered = try b.app.pool.withConnection {
                    try $0.query("SELECT count(*)::int8 FROM webhook_outbox WHERE delivered_at IS NULL", [])[0].decode(0, as: Int64.self)
                }
                if undelivered != 0 { Thread.sleep(forTimeInterval: 0.05) }
            } while undelivered != 0 && Date() < deadline
            #expect(undelivered == 0)
        }
    }
}
