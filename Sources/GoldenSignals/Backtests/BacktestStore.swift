import Foundation
import Postgres

/// A row of `backtests` (the result document only when asked for).
public struct BacktestRecord: Sendable {
    public var id: String
    public var seq: Int64
    public var ownerKeyID: String?
    public var status: String
    public var progress: Double
    public var config: String
    public var codeVersion: String
    public var result: String?
    public var error: String?
    public var cancelRequested: Bool
    public var createdAt: Int64
    public var startedAt: Int64?
    public var finishedAt: Int64?
}

/// Reads and writes `backtests`.
public struct BacktestStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    static func columns(result: Bool) -> String {
        """
        id::text, seq, owner_key_id, status, progress, config::text, code_version, \(result ? "result::text" : "NULL::text"), error,
        cancel_requested, extract(epoch FROM created_at)::int8, extract(epoch FROM started_at)::int8, extract(epoch FROM finished_at)::int8
        """
    }

    static func decode(_ row: PostgresRow) throws -> BacktestRecord {
        BacktestRecord(id: try row.decode(0), seq: try row.decode(1), ownerKeyID: try row.decode(2), status: try row.decode(3),
                       progress: try row.decode(4), config: try row.decode(5), codeVersion: try row.decode(6), result: try row.decode(7),
                       error: try row.decode(8), cancelRequested: try row.decode(9), createdAt: try row.decode(10),
                       startedAt: try row.decode(11), finishedAt: try row.decode(12))
    }

    /// Queues a run.
    public func create(config: String, codeVersion: String, owner: String?) throws -> BacktestRecord {
        try pool.withConnection { conn in
            try Self.decode(try conn.query("""
                INSERT INTO backtests (config, code_version, owner_key_id) VALUES ($1::jsonb, $2, $3) RETURNING \(Self.columns(result: false))
                """, [config, codeVersion, owner])[0])
        }
    }

    /// One run, or nil (also for an id that is not a UUID).
    public func find(id: String, result: Bool = true) throws -> BacktestRecord? {
        guard UUID(uuidString: id) != nil else { return nil }
        return try pool.withConnection { conn in
            try conn.query("SELECT \(Self.columns(result: result)) FROM backtests WHERE id = $1::uuid", [id]).first.map(Self.decode)
        }
    }

    /// Runs newest first, before the cursor `before` (a `seq`), without their results.
    public func list(before: Int64?, limit: Int, owner: String?, all: Bool) throws -> [BacktestRecord] {
        try pool.withConnection { conn in
            try conn.query("""
                SELECT \(Self.columns(result: false)) FROM backtests
                WHERE ($1::int8 IS NULL OR seq < $1) AND ($3 OR owner_key_id = $4)
                ORDER BY seq DESC LIMIT $2
                """, [before, limit, all, owner]).map(Self.decode)
        }
    }

    /// Seconds without a progress report after which a running run counts as abandoned.
    static let abandonedAfter = 600.0

    /// Claims the oldest queued run for this worker (`running`), or one whose process stopped (no progress
    /// report for `abandonedAfter` seconds), or nil.
    func claim() throws -> BacktestRecord? {
        try pool.withConnection { conn in
            try conn.query("""
                UPDATE backtests SET status = 'running', started_at = now(), heartbeat_at = now(), progress = 0
                WHERE id = (SELECT id FROM backtests
                            WHERE status = 'queued' OR (status = 'running' AND heartbeat_at < now() - make_interval(secs => $1))
                            ORDER BY seq FOR UPDATE SKIP LOCKED LIMIT 1)
                RETURNING \(Self.columns(result: false))
                """, [Self.abandonedAfter]).first.map(Self.decode)
        }
    }

    /// Claims one queued run by id (the CLI runs its own), or nil when it is not queued.
    func claim(id: String) throws -> BacktestRecord? {
        try pool.withConnection { conn in
            try conn.query("""
                UPDATE backtests SET status = 'running', started_at = now(), heartbeat_at = now() WHERE id = $1::uuid AND status = 'queued'
                RETURNING \(Self.columns(result: false))
                """, [id]).first.map(Self.decode)
        }
    }

    /// Records progress; answers whether a cancel was requested.
    func progress(id: String, _ p: Double) throws -> Bool {
        try pool.withConnection { conn in
            let rows = try conn.query("UPDATE backtests SET progress = $2, heartbeat_at = now() WHERE id = $1::uuid AND status = 'running' RETURNING cancel_requested",
                                      [id, min(1, max(0, p))])
            return try rows.first.map { try $0.decode(0) as Bool } ?? true
        }
    }

    /// Ends a run: `done` with its result, `failed` with an error, or `cancelled`.
    func finish(id: String, status: String, result: String? = nil, error: String? = nil) throws {
        try pool.withConnection { conn in
            _ = try conn.query("""
                UPDATE backtests SET status = $2, result = $3::jsonb, error = $4, finished_at = now(),
                    progress = CASE WHEN $2 = 'done' THEN 1 ELSE progress END
                WHERE id = $1::uuid
                """, [id, status, result, error])
        }
    }

    /// Asks a run to stop: a queued one is cancelled at once, a running one when its worker next reports.
    /// Returns the run as it stands, or nil when there is none.
    public func cancel(id: String) throws -> BacktestRecord? {
        guard UUID(uuidString: id) != nil else { return nil }
        return try pool.withConnection { conn in
            try conn.query("""
                UPDATE backtests SET cancel_requested = status IN ('queued', 'running'),
                    status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
                    finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END
                WHERE id = $1::uuid RETURNING \(Self.columns(result: false))
                """, [id]).first.map(Self.decode)
        }
    }
}
