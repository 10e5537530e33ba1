import Foundation
import Postgres

/// The events a subscription may ask for.
public enum WebhookEvent: String, Sendable, CaseIterable {
    case signalCreated = "signal.created"
    case signalRescored = "signal.rescored"
    case signalClosed = "signal.closed"
}

/// A row of `webhooks` (the secret is read only by the dispatcher).
public struct WebhookRecord: Sendable {
    public var id: String
    public var ownerKeyID: String?
    public var url: String
    public var events: [String]
    public var symbols: [String]?
    public var strategies: [String]?
    public var minConfidence: Double?
    public var enabled: Bool
    public var failingSince: Int64?
    public var disabledAt: Int64?
    public var disabledReason: String?
    public var createdAt: Int64
    public var updatedAt: Int64
}

/// Settings of a subscription, as created or changed.
public struct WebhookSpec: Sendable {
    public var url: String
    public var events: [String]
    public var symbols: [String]?
    public var strategies: [String]?
    public var minConfidence: Double?
    public var enabled: Bool = true

    public init(url: String, events: [String], symbols: [String]? = nil, strategies: [String]? = nil, minConfidence: Double? = nil) {
        self.url = url
        self.events = events
        self.symbols = symbols
        self.strategies = strategies
        self.minConfidence = minConfidence
    }
}

/// One attempt to deliver a message.
public struct WebhookDelivery: Sendable {
    public var id: Int64
    public var outboxID: Int64
    public var event: String
    public var attempt: Int
    public var status: Int?
    public var error: String?
    public var latencyMs: Double
    public var at: Int64
}

/// A message claimed for sending.
struct OutboxMessage: Sendable {
    var id: Int64
    var webhookID: String
    var event: String
    var signalID: String?
    var payload: String?
    var attempts: Int
    var createdAt: Int64
    var url: String
    var secret: String
}

/// Reads and writes `webhooks`, `webhook_outbox` and `webhook_deliveries`.
public struct WebhookStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// The signals an outbox write is for: by `seq` (just stored) or by id.
    enum OutboxSignals {
        case seqs([Int64])
        case ids([String])
    }

    /// Queues `event` in the caller's transaction: one outbox row per matching enabled subscription
    /// (`webhook_wants`) for each published signal given, in signal order. Whether any enabled subscription
    /// wants the event is checked first, once. `latestConfidence`: `min_confidence` filters on the signal's
    /// confidence after its latest rescoring, not on the one it was made with.
    static func queue(_ event: WebhookEvent, for signals: OutboxSignals, latestConfidence: Bool, on conn: PostgresConnection) throws {
        let (match, keys): (String, String)
        switch signals {
        case .seqs(let seqs):
            guard !seqs.isEmpty else { return }
            (match, keys) = ("g.seq = ANY ($1::int8[])", "{" + seqs.map(String.init).joined(separator: ",") + "}")
        case .ids(let ids):
            guard !ids.isEmpty else { return }
            (match, keys) = ("g.id = ANY ($1::uuid[])", "{" + ids.joined(separator: ",") + "}")
        }
        let confidence = latestConfidence
            ? "coalesce((SELECT new_confidence FROM signal_confidence_history WHERE signal_id = g.id ORDER BY at DESC LIMIT 1), g.confidence)"
            : "g.confidence"
        _ = try conn.query("""
            INSERT INTO webhook_outbox (webhook_id, event, signal_id)
            SELECT w.id, $2::text, g.id
            FROM signals g
            JOIN symbols s ON s.id = g.symbol_id
            JOIN webhooks w ON webhook_wants(w, $2, s.symbol, g.strategy, \(confidence))
            WHERE EXISTS (SELECT 1 FROM webhooks WHERE enabled AND $2 = ANY (events))   -- checked once, first
              AND \(match) AND g.published
            ORDER BY g.seq, w.id
            """, [keys, event.rawValue])
    }

    static let columns = """
        id::text, owner_key_id, url, events, symbols, strategies, min_confidence, enabled,
        extract(epoch FROM failing_since)::int8, extract(epoch FROM disabled_at)::int8, disabled_reason,
        extract(epoch FROM created_at)::int8, extract(epoch FROM updated_at)::int8
        """

    static func decode(_ row: PostgresRow) throws -> WebhookRecord {
        WebhookRecord(id: try row.decode(0), ownerKeyID: try row.decode(1), url: try row.decode(2), events: try row.decode(3),
                      symbols: try row.decode(4), strategies: try row.decode(5), minConfidence: try row.decode(6),
                      enabled: try row.decode(7), failingSince: try row.decode(8), disabledAt: try row.decode(9),
                      disabledReason: try row.decode(10), createdAt: try row.decode(11), updatedAt: try row.decode(12))
    }

    /// A new signing secret: `whsec_` and base64 of 24 random bytes (the Standard Webhooks form).
    static func newSecret() -> String { "whsec_" + Data(Crypto.randomBytes(24)).base64EncodedString() }

    /// Creates a subscription; returns it and its signing secret.
    public func create(_ spec: WebhookSpec, owner: String?) throws -> (WebhookRecord, secret: String) {
        let secret = Self.newSecret()
        let rows = try pool.withConnection { conn in
            try conn.query("""
                INSERT INTO webhooks (owner_key_id, url, events, symbols, strategies, min_confidence, secret)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING \(Self.columns)
                """, [owner, spec.url, spec.events, spec.symbols, spec.strategies, spec.minConfidence, secret])
        }
        return (try Self.decode(rows[0]), secret)
    }

    /// Subscriptions, all or of one owner, oldest first.
    public func list(owner: String?, all: Bool) throws -> [WebhookRecord] {
        try pool.withConnection { conn in
            try conn.query("SELECT \(Self.columns) FROM webhooks WHERE $1 OR owner_key_id = $2 ORDER BY created_at, id",
                           [all, owner]).map(Self.decode)
        }
    }

    /// One subscription, or nil (also for an id that is not a UUID).
    public func find(id: String) throws -> WebhookRecord? {
        guard UUID(uuidString: id) != nil else { return nil }
        return try pool.withConnection { conn in
            try conn.query("SELECT \(Self.columns) FROM webhooks WHERE id = $1::uuid", [id]).first.map(Self.decode)
        }
    }

    /// Replaces a subscription's settings; enabling clears the failure record.
    public func update(id: String, _ spec: WebhookSpec) throws -> WebhookRecord? {
        try pool.withConnection { conn in
            try conn.query("""
                UPDATE webhooks SET url = $2, events = $3, symbols = $4, strategies = $5, min_confidence = $6,
                    failing_since = CASE WHEN $7 AND NOT enabled THEN NULL ELSE failing_since END,
                    disabled_at = CASE WHEN $7 THEN NULL ELSE coalesce(disabled_at, now()) END,
                    disabled_reason = CASE WHEN $7 THEN NULL WHEN enabled THEN 'disabled by request' ELSE disabled_reason END,
                    enabled = $7, updated_at = now()
                WHERE id = $1::uuid RETURNING \(Self.columns)
                """, [id, spec.url, spec.events, spec.symbols, spec.strategies, spec.minConfidence, spec.enabled]).first.map(Self.decode)
        }
    }

    /// Deletes a subscription with its messages and log; false when there was none.
    public func delete(id: String) throws -> Bool {
        try pool.withConnection { conn in
            try conn.query("DELETE FROM webhooks WHERE id = $1::uuid", [id]).affectedRows == 1
        }
    }

    /// Queues a message with a ready `data` object (test events); returns its outbox id.
    public func enqueue(webhookID: String, event: String, data: String) throws -> Int64 {
        try pool.withConnection { conn in
            try conn.query("INSERT INTO webhook_outbox (webhook_id, event, payload) VALUES ($1::uuid, $2, $3) RETURNING id",
                           [webhookID, event, data])[0].decode(0)
        }
    }

    /// The delivery log of a subscription, newest first, before `before` (an id).
    public func deliveries(webhookID: String, before: Int64?, limit: Int) throws -> [WebhookDelivery] {
        try pool.withConnection { conn in
            try conn.query("""
                SELECT id, outbox_id, event, attempt, status, error, latency_ms, extract(epoch FROM at)::int8
                FROM webhook_deliveries WHERE webhook_id = $1::uuid AND ($2::int8 IS NULL OR id < $2)
                ORDER BY id DESC LIMIT $3
                """, [webhookID, before, limit]).map {
                WebhookDelivery(id: try $0.decode(0), outboxID: try $0.decode(1), event: try $0.decode(2), attempt: try $0.decode(3),
                                status: try $0.decode(4), error: try $0.decode(5), latencyMs: try $0.decode(6), at: try $0.decode(7))
            }
        }
    }

    /// Claims up to `limit` due messages of enabled subscriptions: each is locked (SKIP LOCKED, so
    /// replicas take different rows), its attempt counted and its next attempt moved `lease` seconds
    /// ahead, then committed. A process that dies before recording the outcome leaves it due again.
    func claim(limit: Int, lease: Double) throws -> [OutboxMessage] {
        try pool.withConnection { conn in
            try conn.query("""
                WITH due AS (
                    SELECT o.id FROM webhook_outbox o JOIN webhooks w ON w.id = o.webhook_id AND w.enabled
                    WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= now()
                    ORDER BY o.next_attempt_at, o.id LIMIT $1
                    FOR UPDATE OF o SKIP LOCKED
                )
                UPDATE webhook_outbox o SET attempts = o.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
                FROM due, webhooks w
                WHERE o.id = due.id AND w.id = o.webhook_id
                RETURNING o.id, o.webhook_id::text, o.event, o.signal_id::text, o.payload, o.attempts,
                          extract(epoch FROM o.created_at)::int8, w.url, w.secret
                """, [limit, lease]).map {
                OutboxMessage(id: try $0.decode(0), webhookID: try $0.decode(1), event: try $0.decode(2), signalID: try $0.decode(3),
                              payload: try $0.decode(4), attempts: try $0.decode(5), createdAt: try $0.decode(6),
                              url: try $0.decode(7), secret: try $0.decode(8))
            }.sorted { $0.id < $1.id }
        }
    }

    /// Records an attempt. Success marks the message delivered and clears the subscription's failure
    /// record; failure schedules the next attempt after `retryIn` seconds (nil: give up), and disables
    /// the subscription when it has been failing for more than `disableAfter` seconds.
    func record(_ m: OutboxMessage, status: Int?, error: String?, latencyMs: Double, retryIn: Double?, disableAfter: Double) throws {
        let ok = status.map { (200..<300).contains($0) } ?? false
        try pool.transaction { conn in
            _ = try conn.query("""
                INSERT INTO webhook_deliveries (webhook_id, outbox_id, event, attempt, status, error, latency_ms)
                VALUES ($1::uuid, $2, $3, $4, $5, $6, $7)
                """, [m.webhookID, m.id, m.event, m.attempts, status, error, latencyMs])
            if ok {
                _ = try conn.query("UPDATE webhook_outbox SET delivered_at = now() WHERE id = $1", [m.id])
                _ = try conn.query("UPDATE webhooks SET failing_since = NULL WHERE id = $1::uuid AND failing_since IS NOT NULL", [m.webhookID])
                return
            }
            if let retryIn {
                _ = try conn.query("UPDATE webhook_outbox SET next_attempt_at = now() + make_interval(secs => $2) WHERE id = $1", [m.id, retryIn])
            } else {
                _ = try conn.query("UPDATE webhook_outbox SET failed_at = now() WHERE id = $1", [m.id])
            }
            _ = try conn.query("""
                UPDATE webhooks SET failing_since = coalesce(failing_since, now()),
                    enabled = CASE WHEN failing_since < now() - make_interval(secs => $2) THEN false ELSE enabled END,
                    disabled_at = CASE WHEN failing_since < now() - make_interval(secs => $2) THEN now() ELSE disabled_at END,
                    disabled_reason = CASE WHEN failing_since < now() - make_interval(secs => $2)
                        THEN 'failing since ' || to_char(failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '; last: ' || $3
                        ELSE disabled_reason END
                WHERE id = $1::uuid AND enabled
                """, [m.webhookID, disableAfter, error ?? status.map { "HTTP \($0)" } ?? "error"])
        }
    }
}
