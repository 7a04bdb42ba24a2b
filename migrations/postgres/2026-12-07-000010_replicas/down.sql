DROP TABLE outbox_pruned;
DROP TABLE index_replicas;
