DROP INDEX outbox_created_at;
DROP INDEX outbox_txid_seq;
