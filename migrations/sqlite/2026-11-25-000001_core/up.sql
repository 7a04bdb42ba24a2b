-- The core store. Ids are UUID v7 text; times are UTC, stored as diesel Timestamp text.
CREATE TABLE services (
    slug TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    provider TEXT,
    region TEXT,
    kind TEXT NOT NULL DEFAULT 'application',
    depends_on TEXT NOT NULL DEFAULT '[]',
    status_page_url TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE sources (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    url TEXT,
    service_slug TEXT REFERENCES services(slug),
    poll_interval_secs INTEGER,
    etag TEXT,
    last_modified TEXT,
    secret TEXT,
    last_success_at TIMESTAMP,
    last_error TEXT,
    last_error_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, name)
);

CREATE TABLE incidents (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    impact TEXT NOT NULL,
    origin TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    detected_at TIMESTAMP,
    acknowledged_at TIMESTAMP,
    mitigated_at TIMESTAMP,
    resolved_at TIMESTAMP,
    status_as_of TIMESTAMP NOT NULL,
    source_id TEXT REFERENCES sources(id),
    external_id TEXT,
    url TEXT,
    report_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX incidents_source_external ON incidents (source_id, external_id);
CREATE INDEX incidents_started_at ON incidents (started_at, id);
CREATE INDEX incidents_status ON incidents (status);

CREATE TABLE incident_services (
    incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    service_slug TEXT NOT NULL REFERENCES services(slug),
    component TEXT NOT NULL DEFAULT '',
    impact TEXT,
    PRIMARY KEY (incident_id, service_slug, component)
);
CREATE INDEX incident_services_service ON incident_services (service_slug, incident_id);

CREATE TABLE timeline_entries (
    id TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    occurred_at TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,
    source TEXT NOT NULL,
    source_id TEXT REFERENCES sources(id),
    external_id TEXT,
    status TEXT,
    impact TEXT,
    body TEXT NOT NULL,
    author TEXT,
    url TEXT,
    original_time TEXT,
    raw_ref TEXT
);
CREATE UNIQUE INDEX timeline_entries_source_external ON timeline_entries (source_id, external_id);
CREATE INDEX timeline_entries_incident ON timeline_entries (incident_id, occurred_at);

CREATE TABLE incident_links (
    id TEXT PRIMARY KEY NOT NULL,
    from_incident TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    to_incident TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    reason TEXT NOT NULL,
    set_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (from_incident, to_incident, kind)
);

-- SQLite has one writer, so AUTOINCREMENT hands out sequence numbers in commit order.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

-- Secrets every instance must share, such as the session cookie key.
CREATE TABLE app_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
