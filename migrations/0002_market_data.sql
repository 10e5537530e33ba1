-- Market data: symbols, OHLCV bars, provider calls and backfill checkpoints.
-- Every table that grows with data is keyed by symbol_id first, so that it can be distributed
-- by symbol_id (Citus) without schema changes.

CREATE TABLE symbols (
    id          bigserial   PRIMARY KEY,
    symbol      text        NOT NULL UNIQUE
                CHECK (symbol ~ '^[A-Z0-9^][A-Z0-9.^=_/-]{0,31}$'),
    name        text        NOT NULL DEFAULT '',
    asset_class text        NOT NULL
                CHECK (asset_class IN ('equity', 'etf', 'crypto', 'fx', 'index')),
    exchange    text        NOT NULL DEFAULT '',
    currency    text        NOT NULL DEFAULT 'USD',
    calendar    text        NOT NULL DEFAULT 'XNYS',
    active      boolean     NOT NULL DEFAULT true,
    is_demo     boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per (symbol, timeframe, bar start). `source` is where the bar came from:
-- a provider name, 'upload', 'file' or 'demo'.
CREATE TABLE bars (
    symbol_id   bigint           NOT NULL REFERENCES symbols (id) ON DELETE CASCADE,
    timeframe   text             NOT NULL
                CHECK (timeframe IN ('1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w')),
    ts          timestamptz      NOT NULL,
    open        double precision NOT NULL,
    high        double precision NOT NULL,
    low         double precision NOT NULL,
    close       double precision NOT NULL,
    volume      double precision NOT NULL,
    source      text             NOT NULL,
    ingested_at timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (symbol_id, timeframe, ts)
);

-- Every outbound provider call, for monitoring (the key itself is never stored: only its slot).
CREATE TABLE provider_calls (
    id          bigserial   PRIMARY KEY,
    provider    text        NOT NULL,
    key_slot    integer,
    symbol      text        NOT NULL,
    timeframe   text        NOT NULL,
    http_status integer,
    latency_ms  double precision NOT NULL,
    bars        integer     NOT NULL DEFAULT 0,
    error       text,
    called_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provider_calls_provider_time_idx ON provider_calls (provider, called_at DESC);

-- How far a backfill got, so an interrupted one resumes where it stopped.
CREATE TABLE ingest_checkpoints (
    symbol_id   bigint      NOT NULL REFERENCES symbols (id) ON DELETE CASCADE,
    timeframe   text        NOT NULL,
    through_ts  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (symbol_id, timeframe)
);
