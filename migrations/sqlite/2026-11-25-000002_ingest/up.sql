-- Ingest: provenance of every observation, earlier versions of edited posts, poller state.

-- One row per distinct raw item seen from a source: the same bytes twice are stored once.
CREATE TABLE observations (
    id TEXT PRIMARY KEY NOT NULL,
    source_id TEXT NOT NULL REFERENCES sources(id),
    incident_id TEXT REFERENCES incidents(id) ON DELETE CASCADE,
    format TEXT NOT NULL,
    origin TEXT NOT NULL,
    fetched_at TIMESTAMP NOT NULL,
    content_hash TEXT NOT NULL,
    raw TEXT NOT NULL,
    UNIQUE (source_id, content_hash)
);
CREATE INDEX observations_incident ON observations (incident_id);

-- The text a status post had before the source edited it.
CREATE TABLE entry_versions (
    id TEXT PRIMARY KEY NOT NULL,
    entry_id TEXT NOT NULL REFERENCES timeline_entries(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    replaced_at TIMESTAMP NOT NULL
);
CREATE INDEX entry_versions_entry ON entry_versions (entry_id);

ALTER TABLE timeline_entries ADD COLUMN edited_at TIMESTAMP;

-- Components of a service as its status page lists them, with their latest status.
CREATE TABLE service_components (
    service_slug TEXT NOT NULL REFERENCES services(slug),
    external_id TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (service_slug, external_id)
);

ALTER TABLE sources ADD COLUMN format TEXT;
ALTER TABLE sources ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN next_poll_at TIMESTAMP;
