-- Backtests (issue 13): each run with its full configuration and the code version that ran it, so a
-- result can be reproduced; status and progress while it runs; the result document when done.
-- `seq` orders the list (newest first) and is the paging cursor. `cancel_requested` is set by DELETE;
-- the worker running the job (in any replica) sees it at its next progress report and stops.
-- `heartbeat_at` moves with every progress report: a run `running` without one for 10 minutes was left
-- by a process that stopped, and a worker claims it again (runs are deterministic, so rerunning is safe).
CREATE TABLE backtests (
    id               uuid             PRIMARY KEY DEFAULT gen_random_uuid(),
    seq              bigint           GENERATED ALWAYS AS IDENTITY UNIQUE,
    owner_key_id     text             REFERENCES api_keys (id) ON DELETE SET NULL,
    status           text             NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    progress         double precision NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    config           jsonb            NOT NULL,
    code_version     text             NOT NULL,
    result           jsonb,
    error            text,
    cancel_requested boolean          NOT NULL DEFAULT false,
    created_at       timestamptz      NOT NULL DEFAULT now(),
    started_at       timestamptz,
    heartbeat_at     timestamptz,
    finished_at      timestamptz
);
-- Workers claim the oldest queued (or abandoned) run.
CREATE INDEX backtests_open_idx ON backtests (seq) WHERE status IN ('queued', 'running');
