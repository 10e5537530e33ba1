-- Bars partitioned by time (issue 16), with PostgreSQL's declarative partitioning.
--
--   bars                      PARTITION BY LIST (timeframe)
--   ├── bars_daily            ('1d', '1w')                       PARTITION BY RANGE (ts): one partition per decade
--   │   ├── bars_daily_d1960 … [1960-01-01, 1970-01-01) UTC
--   │   └── bars_daily_default  anything no yearly partition covers yet
--   └── bars_intraday         ('1m', '5m', '15m', '30m', '1h', '4h') PARTITION BY RANGE (ts): one partition per month
--       ├── bars_intraday_m2019_11 … [2019-11-01, 2019-12-01) UTC
--       └── bars_intraday_default
--
-- Why two levels: daily history reaches back to 1962 but is small (2,000 symbols × 252 bars a year is half a
-- million rows a year, five million a decade), while minute bars of the same symbols are 200 times as many. One
-- monthly scheme would cut daily history into 780 tiny partitions that every whole-series read opens; one yearly
-- scheme would make minute partitions of hundreds of millions of rows. Every query names one timeframe, so the
-- list level always prunes to one branch, and the range level prunes to the partitions a time window touches.
-- Daily partitions are decades, not years: a page without a time window (the newest or oldest bars of a
-- series) is planned over every partition of the branch, and 45 yearly partitions cost ~5 ms of planning each
-- time against ~0.6 ms for one table; seven decades keep that small.
--
-- Rows outside every partition land in the branch's DEFAULT partition (an insert never fails for want of a
-- partition); `bars_ensure_partitions` creates the partitions a time range needs and moves such rows out of
-- the default partition into them. The import path calls it before it writes, and the partition-maintenance
-- job (leader-elected by advisory lock) calls it for the months/years ahead and for what sits in the defaults.
--
-- The primary key stays (symbol_id, timeframe, ts): symbol_id first, so the table can be distributed by it.

ALTER TABLE bars RENAME TO bars_unpartitioned;
ALTER INDEX bars_pkey RENAME TO bars_unpartitioned_pkey;

CREATE TABLE bars (
    symbol_id   bigint           NOT NULL,
    timeframe   text             NOT NULL
                CHECK (timeframe IN ('1m', '5m', '15m', '30m', '1h', '4h', '1d', '1w')),
    ts          timestamptz      NOT NULL,
    open        double precision NOT NULL,
    high        double precision NOT NULL,
    low         double precision NOT NULL,
    close       double precision NOT NULL,
    volume      double precision NOT NULL,
    source      text             NOT NULL,
    ingested_at timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (symbol_id, timeframe, ts)
) PARTITION BY LIST (timeframe);

CREATE TABLE bars_daily PARTITION OF bars FOR VALUES IN ('1d', '1w') PARTITION BY RANGE (ts);
CREATE TABLE bars_intraday PARTITION OF bars FOR VALUES IN ('1m', '5m', '15m', '30m', '1h', '4h') PARTITION BY RANGE (ts);
CREATE TABLE bars_daily_default PARTITION OF bars_daily DEFAULT;
CREATE TABLE bars_intraday_default PARTITION OF bars_intraday DEFAULT;

-- The branch ('daily' or 'intraday') of a timeframe.
CREATE FUNCTION bars_branch(tf text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN tf IN ('1d', '1w') THEN 'daily' ELSE 'intraday' END
$$;

-- The start of the partition period holding `at` in a branch: the UTC decade (daily) or month (intraday).
CREATE FUNCTION bars_period_start(branch text, at timestamptz) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
    SELECT date_trunc(CASE WHEN branch = 'daily' THEN 'decade' ELSE 'month' END, at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
$$;

-- The name of the partition for the period starting at `lo`: bars_daily_d1960, bars_intraday_m2019_11.
CREATE FUNCTION bars_partition_name(branch text, lo timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT 'bars_' || branch || '_'
           || CASE WHEN branch = 'daily' THEN to_char(lo AT TIME ZONE 'UTC', '"d"YYYY')
                   ELSE to_char(lo AT TIME ZONE 'UTC', '"m"YYYY_MM') END
$$;

-- The partition for the period starting at `lo` in a branch; creates it when missing, moving the rows
-- of that period out of the branch's default partition. Returns the partition's name.
CREATE FUNCTION bars_ensure_partition(branch text, lo timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    step interval := CASE WHEN branch = 'daily' THEN interval '10 years' ELSE interval '1 month' END;
    hi   timestamptz := (lo AT TIME ZONE 'UTC' + step) AT TIME ZONE 'UTC';
    name text := bars_partition_name(branch, lo);
BEGIN
    IF branch NOT IN ('daily', 'intraday') THEN
        RAISE EXCEPTION 'unknown bars branch %', branch;
    END IF;
    IF lo <> bars_period_start(branch, lo) THEN
        RAISE EXCEPTION '% is not the start of a % partition period', lo, branch;
    END IF;
    IF to_regclass(name) IS NOT NULL THEN
        RETURN name;
    END IF;
    -- One creator at a time (the maintenance job of one replica, an import of another). Once the lock is
    -- ours, the catalog is read with a fresh snapshot (to_regclass reads a cache that taking an advisory lock
    -- does not refresh): a partition another transaction created while we waited is found here.
    PERFORM pg_advisory_xact_lock(hashtext('gs_bars_partitions'));
    IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relname = name AND n.nspname = current_schema()) THEN
        RETURN name;
    END IF;
    BEGIN
        EXECUTE format('CREATE TABLE %I (LIKE bars INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
    EXCEPTION WHEN duplicate_table THEN
        RETURN name;   -- created concurrently after all: it is there, which is all the caller needs
    END;
    -- The range as a constraint first, so that ATTACH need not scan the table to prove it.
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (ts >= %L AND ts < %L)', name, name || '_range', lo, hi);
    EXECUTE format('WITH moved AS (DELETE FROM %I WHERE ts >= %L AND ts < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
                   'bars_' || branch || '_default', lo, hi, name);
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', 'bars_' || branch, name, lo, hi);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', name, name || '_range');
    RETURN name;
END
$$;

-- Every partition a timeframe needs for [from, through]; returns how many were created.
CREATE FUNCTION bars_ensure_partitions(tf text, from_ts timestamptz, through_ts timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    branch text := bars_branch(tf);
    step interval := CASE WHEN bars_branch(tf) = 'daily' THEN interval '10 years' ELSE interval '1 month' END;
    p timestamptz := bars_period_start(bars_branch(tf), from_ts);
    created integer := 0;
BEGIN
    WHILE p <= through_ts LOOP
        IF to_regclass(bars_partition_name(branch, p)) IS NULL THEN
            PERFORM bars_ensure_partition(branch, p);
            created := created + 1;
        END IF;
        p := (p AT TIME ZONE 'UTC' + step) AT TIME ZONE 'UTC';
    END LOOP;
    RETURN created;
END
$$;

-- Partitions for the periods of the existing rows, then the rows themselves, then the periods ahead.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT DISTINCT bars_branch(timeframe) AS branch, bars_period_start(bars_branch(timeframe), ts) AS lo
             FROM bars_unpartitioned LOOP
        PERFORM bars_ensure_partition(r.branch, r.lo);
    END LOOP;
END
$$;

INSERT INTO bars (symbol_id, timeframe, ts, open, high, low, close, volume, source, ingested_at)
SELECT symbol_id, timeframe, ts, open, high, low, close, volume, source, ingested_at FROM bars_unpartitioned;

DROP TABLE bars_unpartitioned;

SELECT bars_ensure_partitions('1d', now(), now() + interval '1 year');
SELECT bars_ensure_partitions('1m', now(), now() + interval '3 months');
