-- Each replica's HTTP traffic between its last two anomaly rounds, so that the elected detector judges latency
-- and 5xx spikes over every replica, not only over its own metrics. One row per running process, replaced each
-- round; rows of replicas that stopped are left out by age and deleted after a day.
CREATE TABLE replica_http_windows (
    instance      text               PRIMARY KEY,
    ended_at      timestamptz        NOT NULL DEFAULT now(),
    requests      double precision   NOT NULL,
    server_errors double precision   NOT NULL,
    -- The latency histogram over the window: upper bounds (seconds, ascending, 'Infinity' last) and the
    -- cumulative count at each.
    bucket_bounds double precision[] NOT NULL,
    bucket_counts double precision[] NOT NULL,
    CHECK (cardinality(bucket_bounds) = cardinality(bucket_counts))
);
