-- Anomalies (issue 11): what the detector found, with when it was first and last seen and when it cleared.
-- At most one open row per (kind, subject): a re-detection updates that row (last_seen, severity,
-- details, occurrences) instead of adding another; once resolved, a new detection opens a new row.
CREATE TABLE anomalies (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text        NOT NULL,
    severity     text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    subject      text        NOT NULL,
    details      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz,
    occurrences  integer     NOT NULL DEFAULT 1,
    CHECK (resolved_at IS NULL OR resolved_at >= first_seen)
);
CREATE UNIQUE INDEX anomalies_open_idx ON anomalies (kind, subject) WHERE resolved_at IS NULL;
-- Listing newest first (the API's order and cursor).
CREATE INDEX anomalies_recent_idx ON anomalies (last_seen DESC, id DESC);
