DROP TABLE delivery_attempts;
DROP TABLE deliveries;
DROP TABLE subscriptions;
ALTER TABLE outbox DROP COLUMN event;
