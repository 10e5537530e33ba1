-- Data-quality reports, kept with their history: one row per computed report.
CREATE TABLE quality_reports (
    id           bigserial        PRIMARY KEY,
    symbol_id    bigint           NOT NULL REFERENCES symbols (id) ON DELETE CASCADE,
    timeframe    text             NOT NULL,
    score        double precision NOT NULL CHECK (score >= 0 AND score <= 1),
    bars_checked integer          NOT NULL,
    issues_total integer          NOT NULL,
    checks       jsonb            NOT NULL,
    issues       jsonb            NOT NULL,
    first_ts     timestamptz,
    last_ts      timestamptz,
    trigger      text             NOT NULL,
    generated_at timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX quality_reports_latest_idx ON quality_reports (symbol_id, timeframe, generated_at DESC, id DESC);
