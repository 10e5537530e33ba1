-- A signal's layer trace and bar, stored as values instead of the API's JSON.
-- `layers` held the eight layers as JSON: about 1 KB of a 1.6 KB row, half of it the same keys and layer names on every
-- row. `bar` held the bar as JSON, its time a copy of `ts`. Generation writes tens of thousands of rows at a time, and
-- both were formatted as text for every candidate. Now:
-- - `layer_details`: each layer's sentence, in the engine's layer order, one per line (a sentence has no line break);
-- - `layer_effects`: each layer's effect in the same order, NULL where a layer has none;
-- - `layers_passed` (0006) already has bit k set when layer k passed.
-- The layer at position k is the k-th of the engine's order (data_quality, liquidity, market_hours, trend_alignment,
-- volatility_risk, confluence, duplicate_suppression, confidence_threshold): a layer added later goes at the end.
-- - `bar_open` … `bar_volume`: the bar's values as the signal used them; the bar's time is `ts`.
-- The API renders the same JSON from these. Rows stored before keep what they said: their JSON is taken apart here.
ALTER TABLE signals
    ADD COLUMN layer_details text,
    ADD COLUMN layer_effects double precision[],
    ADD COLUMN bar_open      double precision,
    ADD COLUMN bar_high      double precision,
    ADD COLUMN bar_low       double precision,
    ADD COLUMN bar_close     double precision,
    ADD COLUMN bar_volume    double precision;

UPDATE signals g SET
    layer_details = coalesce((SELECT string_agg(replace(e ->> 'detail', E'\n', ' '), E'\n' ORDER BY n)
                              FROM json_array_elements(g.layers::json) WITH ORDINALITY AS x (e, n)), ''),
    layer_effects = coalesce((SELECT array_agg((e ->> 'effect')::double precision ORDER BY n)
                              FROM json_array_elements(g.layers::json) WITH ORDINALITY AS x (e, n)), '{}'),
    bar_open   = (g.bar::json ->> 'open')::double precision,
    bar_high   = (g.bar::json ->> 'high')::double precision,
    bar_low    = (g.bar::json ->> 'low')::double precision,
    bar_close  = (g.bar::json ->> 'close')::double precision,
    bar_volume = (g.bar::json ->> 'volume')::double precision;

ALTER TABLE signals
    ALTER COLUMN layer_details SET NOT NULL,
    ALTER COLUMN layer_effects SET NOT NULL,
    ALTER COLUMN bar_open SET NOT NULL,
    ALTER COLUMN bar_high SET NOT NULL,
    ALTER COLUMN bar_low SET NOT NULL,
    ALTER COLUMN bar_close SET NOT NULL,
    ALTER COLUMN bar_volume SET NOT NULL,
    DROP COLUMN layers,
    DROP COLUMN bar;
