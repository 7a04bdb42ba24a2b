-- Notifications out (issue 21). Additive: a previous release ignores all of it.
--
-- What each outbox row announces, so the notification fan-out knows what happened: created,
-- updated, resolved, spike, link, postmortem, or imported (never notified). Rows written before
-- this migration, or by code that does not say, count as updated.
ALTER TABLE outbox ADD COLUMN event TEXT NOT NULL DEFAULT 'updated';

-- Who hears what. A webhook's secret is kept (it signs every delivery); after a rotation the
-- previous one stays valid until previous_secret_until. An email subscription sends nothing but
-- its confirmation until confirmed_at is set; link_key makes its confirm and unsubscribe links.
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY NOT NULL,
    owner_token_id TEXT NOT NULL,
    owner_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    format TEXT NOT NULL,
    filter TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT,
    previous_secret TEXT,
    previous_secret_until TIMESTAMP,
    link_key TEXT NOT NULL,
    confirmed_at TIMESTAMP,
    failing_since TIMESTAMP,
    paused_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX subscriptions_owner ON subscriptions (owner_token_id);

-- One message to one subscription, sent at least once. seq is the order deliveries were made
-- in: per (subscription, incident_key) a delivery is sent only when none before it is pending.
-- The body is rendered when the delivery is made, so every attempt sends the same bytes.
CREATE TABLE deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    incident_key TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_order ON deliveries (subscription_id, incident_key, state, seq);

-- Every attempt: its HTTP status (or none), how long it took, and what went wrong.
CREATE TABLE delivery_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempted_at TIMESTAMP NOT NULL,
    status_code INTEGER,
    latency_ms BIGINT NOT NULL,
    error TEXT
);
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id);
