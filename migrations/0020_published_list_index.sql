-- Lists across symbols read signals newest first by bar time. Since 0014 one index held every candidate for that;
-- generation paid an entry in it for each, and three quarters of the candidates are filtered. It now holds only
-- published signals, what the lists by default (`active`) and by outcome (`closed`, `expired`) show. A list that
-- includes filtered candidates (`status=filtered|all`) takes each series' newest from `signals_series_idx` and
-- merges them (SignalStore.listAcrossSeriesSQL), for one symbol too (its timeframes are series of their own).
DROP INDEX signals_ts_idx;
CREATE INDEX signals_published_ts_idx ON signals (ts DESC, id DESC) WHERE published;
