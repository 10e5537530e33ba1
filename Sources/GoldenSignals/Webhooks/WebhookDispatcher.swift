import Foundation
import HTTPClient
import HTTPServer
import Logging
import Primitives

/// The delivery worker: one thread per replica that claims due outbox messages (SKIP LOCKED, so each
/// message is sent by one replica at a time), renders and signs them, posts them through libcurl and
/// records the outcome (delivered; retried with backoff and jitter; given up; the subscription
/// disabled after sustained failure).
public final class WebhookDispatcher: @unchecked Sendable {
    let store: WebhookStore
    let signals: SignalStore
    let settings: WebhookSettings
    let policy: DestinationPolicy
    let client = HTTPClient(userAgent: "GoldenSignals-Webhooks/0.1")
    let logger: Logger
    let metrics: MetricsRegistry?

    private let condition = NSCondition()
    private var running = false
    private var stopping = false
    private var woken = false
    private var finished = true

    init(store: WebhookStore, signals: SignalStore, settings: WebhookSettings, logger: Logger, metrics: MetricsRegistry? = nil) {
        self.store = store
        self.signals = signals
        self.settings = settings
        self.policy = DestinationPolicy(allowedHosts: settings.allowedHosts)
        self.logger = logger
        self.metrics = metrics
    }

    public func start() {
        condition.lock()
        guard !running else { condition.unlock(); return }
        running = true
        finished = false
        condition.unlock()
        let thread = Thread { [self] in
            loop()
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "gs-webhooks"
        thread.start()
    }

    /// Looks for due messages now rather than at the next poll.
    public func wake() {
        condition.lock()
        woken = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops after the message being sent (waits at most the request timeout and a second).
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        let deadline = Date(timeIntervalSinceNow: settings.timeout + 1)
        while running, !finished, condition.wait(until: deadline) {}
        condition.unlock()
    }

    private var isStopping: Bool { condition.lock(); defer { condition.unlock() }; return stopping }

    private func loop() {
        while !isStopping {
            var sent = 0
            do { sent = try runOnce() } catch {
                logger.warning("webhook delivery round failed", metadata: ["error": "\(error)"])
            }
            if sent > 0 { continue }
            condition.lock()
            let deadline = Date(timeIntervalSinceNow: settings.pollInterval)
            while !stopping, !woken, condition.wait(until: deadline) {}
            woken = false
            condition.unlock()
        }
    }

    /// Claims one batch of due messages and sends them; returns how many were attempted.
    @discardableResult
    func runOnce() throws -> Int {
        // Claim no more than can be sent within the lease, so that no claimed message is still
        // waiting here when its lease ends and another replica takes it.
        let lease = max(settings.lease, settings.timeout + 1)
        let batch = max(1, min(settings.batch, Int(lease / (settings.timeout + 1))))
        let messages = try store.claim(limit: batch, lease: lease)
        for m in messages {
            if isStopping { break }  // the rest stay claimed until the lease ends, then any replica sends them
            try deliver(m)
        }
        return messages.count
    }

    /// The body of a message: `{"type","timestamp","data"}`; nil when its signal no longer exists.
    func body(_ m: OutboxMessage) throws -> [UInt8]? {
        var w = JSONWriter(capacity: 4096)
        w.beginObject()
        w.key("type"); w.string(m.event)
        w.key("timestamp"); w.string(RFC3339.format(m.createdAt))
        w.key("data")
        if let id = m.signalID {
            guard try signals.find(id: id, into: &w) else { return nil }
        } else {
            w.raw(Array((m.payload ?? "{}").utf8))
        }
        w.endObject()
        return w.bytes
    }

    func deliver(_ m: OutboxMessage) throws {
        let started = monotonicSeconds()
        var status: Int?
        var failure: String?
        var permanent = false
        let messageID = "msg_\(m.id)"
        if let body = try body(m) {
            do {
                let pins = try policy.check(m.url)
                let timestamp = Int64(Date().timeIntervalSince1970)
                guard let signature = StandardWebhooks.signature(secret: m.secret, id: messageID, timestamp: timestamp, body: body) else {
                    throw DestinationPolicy.Refusal(description: "the signing secret is malformed")
                }
                var request = HTTPClientRequest(url: m.url, method: "POST", headers: [
                    ("Content-Type", "application/json"),
                    ("webhook-id", messageID),
                    ("webhook-timestamp", String(timestamp)),
                    ("webhook-signature", signature),
                ], body: body)
                request.timeout = settings.timeout
                request.connectTimeout = settings.connectTimeout
                request.maxResponseBytes = 64 << 10
                request.resolve = pins
                let response = try client.send(request)
                status = response.status
                if !(200..<300).contains(response.status) { failure = "HTTP \(response.status)" }
            } catch let e as DestinationPolicy.Refusal {
                failure = "refused: \(e.description)"
            } catch let e as HTTPClientError {
                failure = "\(e.kind): \(e.message)"
            }
        } else {
            failure = "the signal no longer exists"
            permanent = true
        }
        let latency = (monotonicSeconds() - started) * 1000
        let retry = failure == nil || permanent ? nil : settings.retryDelay(afterAttempt: m.attempts)
        try store.record(m, status: status, error: failure, latencyMs: (latency * 1000).rounded() / 1000,
                         retryIn: retry, disableAfter: settings.disableAfter)
        metrics?.counter("gs_webhook_deliveries_total", [("outcome", failure == nil ? "delivered" : retry == nil ? "given_up" : "retry")]).increment()
        if let failure {
            logger.info("webhook delivery failed", metadata: ["webhook": "\(m.webhookID)", "message": "\(messageID)",
                                                              "attempt": "\(m.attempts)", "error": "\(failure)",
                                                              "retry_in_s": "\(retry.map { String(Int(saturating: $0)) } ?? "never")"])
        }
    }
}
