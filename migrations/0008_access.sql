-- API keys (issue 15). A key is `gs_<id>_<secret>`: `id` is public (listed, logged, named in
-- revocations), only the SHA-256 of the secret is kept. Scopes are a comma-separated subset of
-- read, write, admin (admin implies write, write implies read). `rate` (tokens per second) and
-- `burst` (bucket size) drive the per-key token bucket.
CREATE TABLE api_keys (
    id             text             PRIMARY KEY CHECK (id ~ '^[0-9a-f]{12}$'),
    name           text             NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    prefix         text             NOT NULL,
    secret_sha256  text             NOT NULL CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
    scopes         text             NOT NULL CHECK (scopes ~ '^(read|write|admin)(,(read|write|admin))*$'),
    rate           double precision NOT NULL CHECK (rate > 0),
    burst          integer          NOT NULL CHECK (burst >= 1),
    expires_at     timestamptz,
    revoked_at     timestamptz,
    last_used_at   timestamptz,
    created_at     timestamptz      NOT NULL DEFAULT now()
);
