-- Each reader of the outbox (an instance's search index; later, notifications) says where it
-- is, so that outbox rows are pruned only once every live reader has passed them
-- (db::outbox::prune). A reader silent for longer than the retention is forgotten.
CREATE TABLE index_replicas (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    host TEXT NOT NULL,
    position_txid BIGINT NOT NULL,
    position_seq BIGINT NOT NULL,
    heartbeat_at TIMESTAMP NOT NULL,
    registered_at TIMESTAMP NOT NULL
);
-- One row: the highest outbox position pruned so far. A reader below it has lost rows it never
-- applied, and rebuilds instead of tailing.
CREATE TABLE outbox_pruned (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    through_txid BIGINT NOT NULL,
    through_seq BIGINT NOT NULL,
    pruned_at TIMESTAMP
);
INSERT INTO outbox_pruned (id, through_txid, through_seq) VALUES (1, 0, 0);
