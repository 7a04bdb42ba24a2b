-- Every change to what an incident's JSON shows increments its version (db::outbox::append), so
-- HTTP can send it as an ETag and refuse a stale If-Match. Existing incidents start at 1.
ALTER TABLE incidents ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
