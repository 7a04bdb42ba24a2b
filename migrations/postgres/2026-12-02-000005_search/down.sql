ALTER TABLE service_components DROP COLUMN created_at;
DROP INDEX incidents_updated_at;
DROP INDEX outbox_created_at;
DROP INDEX outbox_txid_seq;
