-- `seq` orders what is sent out: the stream, its resume, webhooks. Only published signals are sent, and they are a
-- quarter of the candidates, so the unique index on `seq` keeps only them: generation stops paying an index entry for
-- each filtered candidate. `seq` stays unique for every row: it is an identity column, its values taken from its
-- sequence (`nextval`), never given by a client. The readers of `max(seq)` that decide how far the stream may read
-- ask for published signals (SignalStore.registerWriter, visibleThrough).
DROP INDEX signals_seq_idx;
CREATE UNIQUE INDEX signals_published_seq_idx ON signals (seq) WHERE published;
