-- Signals: immutable facts about one bar of one series. What was said, when, on which bar values.
-- Status, outcomes and later confidence are recorded beside a signal, never by rewriting its row.
-- Identity: (symbol, timeframe, bar, strategy, parameter set); `id` is md5 of that identity as a UUID,
-- so regenerating the same history yields the same ids. Keyed by symbol_id first (distributable).
CREATE TABLE signals (
    symbol_id           bigint           NOT NULL REFERENCES symbols (id) ON DELETE CASCADE,
    timeframe           text             NOT NULL
                        CHECK (timeframe IN ('1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w')),
    ts                  timestamptz      NOT NULL,
    strategy            text             NOT NULL,
    params              text             NOT NULL,
    id                  uuid             NOT NULL,
    seq                 bigint           GENERATED ALWAYS AS IDENTITY,
    direction           text             NOT NULL CHECK (direction IN ('long', 'short')),
    published           boolean          NOT NULL,
    rejected_by         text,
    strength            double precision NOT NULL,
    entry_price         double precision NOT NULL,
    stop_loss           double precision,
    take_profit         double precision,
    reward_risk         double precision,
    risk_level          text             CHECK (risk_level IN ('low', 'medium', 'high')),
    horizon_bars        integer          NOT NULL,
    expires_at          timestamptz      NOT NULL,
    confidence_raw      double precision NOT NULL,
    quality             double precision NOT NULL,
    confidence          double precision NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
    calibration_version integer          NOT NULL,
    consensus_strength  double precision NOT NULL,
    position_size       double precision NOT NULL,
    reason              text             NOT NULL,
    -- JSON as the API serves it, written once and never parsed by the database (text, not jsonb:
    -- generation writes tens of thousands of rows at a time). `layers_passed` has bit k set when
    -- layer k (in the engine's order) passed, for queries over the layers.
    indicators          text             NOT NULL,
    layers              text             NOT NULL,
    layers_passed       integer          NOT NULL,
    bar                 text             NOT NULL,
    is_demo             boolean          NOT NULL DEFAULT false,
    created_at          timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (symbol_id, timeframe, ts, strategy, params),
    CHECK (published = (rejected_by IS NULL))
);
CREATE UNIQUE INDEX signals_id_idx ON signals (id);
CREATE UNIQUE INDEX signals_seq_idx ON signals (seq);
-- Newest first across the universe (the frontend's list), published ones only.
CREATE INDEX signals_published_ts_idx ON signals (ts DESC, id DESC) WHERE published;
CREATE INDEX signals_ts_idx ON signals (ts DESC, id DESC);

-- Later confidence of a signal (rescoring after a new calibration): one row per change.
CREATE TABLE signal_confidence_history (
    signal_id           uuid             NOT NULL REFERENCES signals (id) ON DELETE CASCADE,
    at                  timestamptz      NOT NULL DEFAULT now(),
    old_confidence      double precision NOT NULL,
    new_confidence      double precision NOT NULL,
    calibration_version integer          NOT NULL,
    reason              text             NOT NULL,
    PRIMARY KEY (signal_id, at)
);

-- How far generation has scanned each series: every bar up to `through_ts` has been looked at.
CREATE TABLE signal_scans (
    symbol_id   bigint      NOT NULL REFERENCES symbols (id) ON DELETE CASCADE,
    timeframe   text        NOT NULL,
    through_ts  timestamptz NOT NULL,
    scanned_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (symbol_id, timeframe)
);
