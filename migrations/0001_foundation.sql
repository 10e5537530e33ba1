-- GoldenSignals foundation.
-- schema_migrations itself is created by the migrator before this file runs.

-- Background jobs (ingestion, quality, later outcome scoring) record each run here, so an
-- operator can see which replica ran what, when, and how it ended.
CREATE TABLE job_runs (
    id          bigserial   PRIMARY KEY,
    job         text        NOT NULL,
    instance    text        NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text        NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'ok', 'failed', 'skipped')),
    detail      jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX job_runs_job_started_idx ON job_runs (job, started_at DESC);
