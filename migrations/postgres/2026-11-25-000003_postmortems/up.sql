-- Postmortems: every save is a new revision; nothing is overwritten.
CREATE TABLE postmortems (
    id TEXT PRIMARY KEY NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    revision INTEGER NOT NULL,
    markdown TEXT NOT NULL,
    author TEXT NOT NULL,
    status TEXT NOT NULL,
    generated INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (incident_id, revision)
);
