-- Outbound webhooks (issue 15): subscriptions, a durable outbox filled by triggers in the same
-- transaction as the signals, and a delivery log.

-- A subscription. `owner_key_id` is the API key that created it (NULL when made without a key).
-- The signing secret (`whsec_…`) must be kept to sign; it is shown once and never served again.
-- NULL filters match everything. `failing_since` is the first failure after the last success;
-- a subscription failing longer than the configured span is disabled (`disabled_at`, `disabled_reason`).
CREATE TABLE webhooks (
    id              uuid             PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_key_id    text             REFERENCES api_keys (id) ON DELETE SET NULL,
    url             text             NOT NULL,
    events          text[]           NOT NULL
                    CHECK (cardinality(events) > 0 AND events <@ ARRAY['signal.created', 'signal.rescored', 'signal.closed']),
    symbols         text[],
    strategies      text[],
    min_confidence  double precision CHECK (min_confidence >= 0 AND min_confidence <= 1),
    secret          text             NOT NULL,
    enabled         boolean          NOT NULL DEFAULT true,
    failing_since   timestamptz,
    disabled_at     timestamptz,
    disabled_reason text,
    created_at      timestamptz      NOT NULL DEFAULT now(),
    updated_at      timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_owner_idx ON webhooks (owner_key_id);

-- One message for one subscription. `signal_id` messages are rendered when sent; `payload` holds
-- the `data` of other messages (test events). The webhook-id of a message is `msg_<id>`, the same on
-- every attempt. A worker claims due rows with FOR UPDATE SKIP LOCKED and moves `next_attempt_at`
-- past a lease before sending, so a replica that dies mid-send leaves the row due again.
CREATE TABLE webhook_outbox (
    id              bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id      uuid             NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event           text             NOT NULL,
    signal_id       uuid,
    payload         text,
    attempts        integer          NOT NULL DEFAULT 0,
    next_attempt_at timestamptz      NOT NULL DEFAULT now(),
    created_at      timestamptz      NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    failed_at       timestamptz
);
CREATE INDEX webhook_outbox_due_idx ON webhook_outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_outbox_webhook_idx ON webhook_outbox (webhook_id);

-- Every attempt: HTTP status (NULL when the request failed before one), error, latency.
CREATE TABLE webhook_deliveries (
    id          bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id  uuid             NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    outbox_id   bigint           NOT NULL,
    event       text             NOT NULL,
    attempt     integer          NOT NULL,
    status      integer,
    error       text,
    latency_ms  double precision NOT NULL,
    at          timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id DESC);

-- signal.created: one outbox row per matching enabled subscription for each new published signal,
-- in the inserting statement's transaction (COPY and INSERT … SELECT alike).
CREATE FUNCTION webhook_outbox_signals_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhooks WHERE enabled AND 'signal.created' = ANY (events)) THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_outbox (webhook_id, event, signal_id)
    SELECT w.id, 'signal.created', n.id
    FROM new_rows n
    JOIN symbols s ON s.id = n.symbol_id
    JOIN webhooks w ON w.enabled AND 'signal.created' = ANY (w.events)
        AND (w.symbols IS NULL OR s.symbol = ANY (w.symbols))
        AND (w.strategies IS NULL OR n.strategy = ANY (w.strategies))
        AND (w.min_confidence IS NULL OR n.confidence >= w.min_confidence)
    WHERE n.published
    ORDER BY n.seq, w.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER signals_webhook_outbox AFTER INSERT ON signals
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_outbox_signals_created();

-- signal.rescored: a new row in the confidence history of a published signal.
CREATE FUNCTION webhook_outbox_signals_rescored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhooks WHERE enabled AND 'signal.rescored' = ANY (events)) THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_outbox (webhook_id, event, signal_id)
    SELECT w.id, 'signal.rescored', g.id
    FROM new_rows h
    JOIN signals g ON g.id = h.signal_id AND g.published
    JOIN symbols s ON s.id = g.symbol_id
    JOIN webhooks w ON w.enabled AND 'signal.rescored' = ANY (w.events)
        AND (w.symbols IS NULL OR s.symbol = ANY (w.symbols))
        AND (w.strategies IS NULL OR g.strategy = ANY (w.strategies))
        AND (w.min_confidence IS NULL OR h.new_confidence >= w.min_confidence);
    RETURN NULL;
END
$$;
CREATE TRIGGER signal_confidence_history_webhook_outbox AFTER INSERT ON signal_confidence_history
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION webhook_outbox_signals_rescored();
