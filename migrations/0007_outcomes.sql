-- Outcomes and calibration (issue 10). What every signal did, what clients report they did, the
-- calibrations fitted from finalized outcomes, and calibration drift.

-- The automatic outcome of a signal (published or filtered), scored from the bars after it. A row is
-- provisional (`final = false`) while the horizon is not covered by stored bars and may be rewritten
-- then; once final it is never updated (the UPDATE below refuses to touch final rows).
CREATE TABLE signal_outcomes (
    signal_id           uuid             PRIMARY KEY REFERENCES signals (id) ON DELETE CASCADE,
    symbol_id           bigint           NOT NULL,
    timeframe           text             NOT NULL,
    strategy            text             NOT NULL,
    signal_ts           timestamptz      NOT NULL,
    published           boolean          NOT NULL,
    final               boolean          NOT NULL,
    result              text             NOT NULL CHECK (result IN ('win', 'loss', 'expired', 'open')),
    hit                 boolean          NOT NULL,
    exit_price          double precision NOT NULL,
    gross_return        double precision NOT NULL,
    net_return          double precision NOT NULL,
    mfe                 double precision NOT NULL,
    mae                 double precision NOT NULL,
    bars_held           integer          NOT NULL,
    r_multiple          double precision,
    same_bar_ambiguous  boolean          NOT NULL,
    gap_fill            boolean          NOT NULL,
    -- Bar time of the bar that decided it (NULL while provisional).
    finalized_at        timestamptz,
    -- Uncalibrated confidence (raw × quality): what calibrations are fitted on. The out-of-sample
    -- calibrated confidence is derived when reported (the version in force at the signal's bar).
    confidence_input    double precision NOT NULL,
    -- The population calibrations are fitted on: every layer passed but perhaps the confidence threshold.
    calibration_sample  boolean          NOT NULL,
    scored_at           timestamptz      NOT NULL DEFAULT now(),
    CHECK (final = (result <> 'open')),
    CHECK (final = (finalized_at IS NOT NULL))
);
CREATE INDEX signal_outcomes_series_idx ON signal_outcomes (symbol_id, timeframe, signal_ts);
CREATE INDEX signal_outcomes_open_idx ON signal_outcomes (symbol_id, timeframe) WHERE NOT final;
CREATE INDEX signal_outcomes_finalized_idx ON signal_outcomes (finalized_at) WHERE final;

-- Outcomes reported by clients (a trade really taken), beside the automatic one and never replacing it.
-- Idempotent per (signal, source = the Idempotency-Key): the same key with the same body answers the
-- stored report; `body_hash` tells a different body apart.
CREATE TABLE signal_outcome_reports (
    signal_id       uuid             NOT NULL REFERENCES signals (id) ON DELETE CASCADE,
    source          text             NOT NULL,
    id              bigint           GENERATED ALWAYS AS IDENTITY,
    result          text             NOT NULL CHECK (result IN ('win', 'loss', 'breakeven')),
    exit_price      double precision,
    closed_at       timestamptz,
    notes           text,
    body_hash       text             NOT NULL,
    reported_at     timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (signal_id, source)
);

-- Calibration versions: one row per (version, strategy, timeframe). A version is fitted on the
-- outcomes finalized at or before `fitted_through` (bar time) and may calibrate only signals whose
-- bar time is after it. `params` is the curve ({"x":[…],"y":[…]}; empty arrays = identity).
CREATE TABLE calibrations (
    version          integer          NOT NULL,
    strategy         text             NOT NULL,
    timeframe        text             NOT NULL,
    method           text             NOT NULL,
    fitted_at        timestamptz      NOT NULL DEFAULT now(),
    fitted_through   timestamptz      NOT NULL,
    reason           text             NOT NULL,
    params           text             NOT NULL,
    n                integer          NOT NULL,
    base_rate        double precision NOT NULL,
    brier_raw        double precision NOT NULL,
    brier_calibrated double precision NOT NULL,
    ece_raw          double precision NOT NULL,
    ece_calibrated   double precision NOT NULL,
    PRIMARY KEY (version, strategy, timeframe)
);
CREATE INDEX calibrations_through_idx ON calibrations (fitted_through, version);

-- Calibration drift: the newest version's error on outcomes finalized after it, against its error at
-- fit time. A row past the threshold triggered a refit (`refit_version`). Read by monitoring.
CREATE TABLE calibration_drift (
    id              bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    detected_at     timestamptz      NOT NULL DEFAULT now(),
    version         integer          NOT NULL,
    n               integer          NOT NULL,
    ece_fit         double precision NOT NULL,
    ece_recent      double precision NOT NULL,
    threshold       double precision NOT NULL,
    refit_version   integer
);

-- Rescoring is announced on the stream in order.
ALTER TABLE signal_confidence_history ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX signal_confidence_history_seq_idx ON signal_confidence_history (seq);
