-- Leases on due sources, so that several instances on one database fetch each due source once:
-- a poller claims a source by setting these, and recording the fetch's outcome clears
-- lease_until. A crashed instance's lease simply runs out. Additive: a previous release ignores
-- these columns and keeps working.
ALTER TABLE sources ADD COLUMN lease_owner TEXT;
ALTER TABLE sources ADD COLUMN lease_until TIMESTAMP;
