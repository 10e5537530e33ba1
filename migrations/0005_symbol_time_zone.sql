-- Every symbol names the IANA time zone its exchange keeps (for reading local timestamps and for
-- people). Exchange-traded US symbols follow New York; crypto and FX trade on UTC days.
ALTER TABLE symbols ADD COLUMN time_zone text NOT NULL DEFAULT 'America/New_York';
UPDATE symbols SET time_zone = 'UTC' WHERE calendar <> 'XNYS';
