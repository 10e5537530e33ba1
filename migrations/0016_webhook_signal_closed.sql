-- One definition of "this subscription wants this signal", used by every webhook event: signal.created
-- (SignalStore, in the transaction that stores the signals), signal.rescored (the trigger below) and
-- signal.closed (OutcomeStore, in the transaction that makes an outcome final). `confidence` is the
-- signal's confidence at the event: as generated, as rescored, or the latest when it closed.
CREATE FUNCTION webhook_wants(w webhooks, event text, symbol text, strategy text, confidence double precision)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT w.enabled AND event = ANY (w.events)
       AND (w.symbols IS NULL OR symbol = ANY (w.symbols))
       AND (w.strategies IS NULL OR strategy = ANY (w.strategies))
       AND (w.min_confidence IS NULL OR confidence >= w.min_confidence)
$$;

CREATE OR REPLACE FUNCTION webhook_outbox_signals_rescored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM webhooks WHERE enabled AND 'signal.rescored' = ANY (events)) THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_outbox (webhook_id, event, signal_id)
    SELECT w.id, 'signal.rescored', g.id
    FROM new_rows h
    JOIN signals g ON g.id = h.signal_id AND g.published
    JOIN symbols s ON s.id = g.symbol_id
    JOIN webhooks w ON webhook_wants(w, 'signal.rescored', s.symbol, g.strategy, h.new_confidence);
    RETURN NULL;
END
$$;
