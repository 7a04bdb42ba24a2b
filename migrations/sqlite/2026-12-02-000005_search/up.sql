-- SQLite's seq is already in commit order (one writer), so the indexer needs no txid index;
-- pruning old rows goes by age.
CREATE INDEX outbox_created_at ON outbox (created_at);
-- Cascade links are recomputed around the incidents an ingest changed, found by updated_at.
CREATE INDEX incidents_updated_at ON incidents (updated_at);
-- When a component was first seen, for Statuspage's `created_at` in /api/v2/summary.json.
ALTER TABLE service_components ADD COLUMN created_at TIMESTAMP;
