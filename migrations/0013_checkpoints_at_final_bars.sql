-- Ingestion checkpoints stop at the newest final bar stored.
-- Before this, a scheduled round set its checkpoint to the wall-clock time of the round: past a daily bar that was
-- still forming, which then stayed partial (or, from Binance, which leaves forming klines out, was never stored).
-- A checkpoint beyond the end of its series' newest stored bar moves back to that end, so the next round fetches
-- the newer bars again and replaces a partial one; a checkpoint of a series without bars is removed (the next
-- round starts over). Running this again changes nothing.
WITH newest AS (
    SELECT c.symbol_id, c.timeframe,
           n.ts + (CASE c.timeframe
                       WHEN '1m' THEN 60 WHEN '5m' THEN 300 WHEN '15m' THEN 900 WHEN '30m' THEN 1800
                       WHEN '1h' THEN 3600 WHEN '4h' THEN 14400 WHEN '1d' THEN 86400 ELSE 604800
                   END - 1) * interval '1 second' AS bar_end
    FROM ingest_checkpoints c
    CROSS JOIN LATERAL (SELECT max(b.ts) AS ts FROM bars b WHERE b.symbol_id = c.symbol_id AND b.timeframe = c.timeframe) n
    WHERE n.ts IS NOT NULL
)
UPDATE ingest_checkpoints c SET through_ts = n.bar_end, updated_at = now()
FROM newest n
WHERE n.symbol_id = c.symbol_id AND n.timeframe = c.timeframe AND c.through_ts > n.bar_end;

DELETE FROM ingest_checkpoints c
WHERE NOT EXISTS (SELECT 1 FROM bars b WHERE b.symbol_id = c.symbol_id AND b.timeframe = c.timeframe);
