import Market
import MarketProviders
import Postgres

/// Backfill checkpoints in `ingest_checkpoints`, keyed by symbol and timeframe.
public struct PostgresCheckpointStore: CheckpointStore {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    public func checkpoint(symbol: String, timeframe: Timeframe) throws -> Int64? {
        try pool.withConnection { conn in
            try conn.query("""
                SELECT extract(epoch FROM c.through_ts)::int8 FROM ingest_checkpoints c
                JOIN symbols s ON s.id = c.symbol_id WHERE s.symbol = $1 AND c.timeframe = $2
                """, [symbol, timeframe.rawValue]).first?.decode(0, as: Int64?.self)
        }
    }

    public func saveCheckpoint(symbol: String, timeframe: Timeframe, through: Int64) throws {
        _ = try pool.withConnection { conn in
            try conn.query("""
                INSERT INTO ingest_checkpoints (symbol_id, timeframe, through_ts)
                SELECT id, $2, to_timestamp($3) FROM symbols WHERE symbol = $1
                ON CONFLICT (symbol_id, timeframe) DO UPDATE SET through_ts = EXCLUDED.through_ts, updated_at = now()
                """, [symbol, timeframe.rawValue, through])
        }
    }
}

/// Records provider calls in `provider_calls` (never the key, only its slot).
public struct ProviderCallStore: Sendable {
    let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    public func record(_ call: ProviderCall) throws {
        _ = try pool.withConnection { conn in
            try conn.query("""
                INSERT INTO provider_calls (provider, key_slot, symbol, timeframe, http_status, latency_ms, bars, error, called_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, to_timestamp($9))
                """, [call.provider, call.keySlot, call.symbol, call.timeframe.rawValue, call.httpStatus, call.latencyMs,
                      call.bars, call.error, call.at])
        }
    }
}
