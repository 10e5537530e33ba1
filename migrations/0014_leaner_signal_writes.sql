-- Generation writes tens of thousands of signals at a time, and every index and trigger on `signals` is paid per row.
-- 1. The identity key: `id` is the MD5 of (symbol, timeframe, bar, strategy, parameters) as a UUID, so a unique `id`
--    is a unique identity. It becomes the primary key; the five-column key it replaces (40+ bytes of text per entry)
--    gives way to a narrow index for reading one series' signals in bar order.
-- 2. The partial index of published signals by bar time goes: `signals_ts_idx` serves the same newest-first lists
--    (published signals are a quarter of the candidates, so a page reads a few more index entries).
-- 3. The statement trigger that wrote the signal.created outbox: its transition table kept a copy of every inserted
--    row, webhooks or not. SignalStore writes the outbox itself, in the same transaction as the signals
--    (only for published signals, only when an enabled subscription wants them).
-- 4. The foreign key to symbols, checked by a trigger query per inserted row (as `bars`' was until 0004): symbol_id
--    is always taken from `symbols` by the application, and symbols are never deleted. Should symbol deletion be
--    added, it must delete the symbol's signals (and bars) in the same transaction.
ALTER TABLE signals DROP CONSTRAINT signals_pkey;
ALTER TABLE signals ADD CONSTRAINT signals_pkey PRIMARY KEY USING INDEX signals_id_idx;
CREATE INDEX signals_series_idx ON signals (symbol_id, timeframe, ts);
DROP INDEX signals_published_ts_idx;
DROP TRIGGER signals_webhook_outbox ON signals;
DROP FUNCTION webhook_outbox_signals_created();
ALTER TABLE signals DROP CONSTRAINT IF EXISTS signals_symbol_id_fkey;
