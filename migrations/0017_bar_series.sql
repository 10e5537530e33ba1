-- The series that have bars, with their first and last bar time. Generation and its sweep used to find them with
-- `SELECT DISTINCT symbol_id, timeframe FROM bars`, which reads every bar (PostgreSQL has no skip scan): at ten
-- million bars, seconds for every sweep. `BarStore.upsert`, the only writer of `bars`, keeps this table in the
-- transaction that writes the bars. Bars are never deleted.
CREATE TABLE bar_series (
    symbol_id bigint      NOT NULL,
    timeframe text        NOT NULL,
    first_ts  timestamptz NOT NULL,
    last_ts   timestamptz NOT NULL,
    PRIMARY KEY (symbol_id, timeframe)
);
INSERT INTO bar_series (symbol_id, timeframe, first_ts, last_ts)
SELECT symbol_id, timeframe, min(ts), max(ts) FROM bars GROUP BY symbol_id, timeframe;
