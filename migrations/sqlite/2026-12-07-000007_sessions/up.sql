-- Sessions live on the server: the cookie holds a random id, this table its SHA-256, so a copy
-- of the database (or an export) cannot be turned back into a cookie. Signing out deletes the
-- row; revoking the token deletes its sessions.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    token_id TEXT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_token_id ON sessions (token_id);
-- The cookie key no longer protects anything a stolen copy could use; it is renewed anyway.
DELETE FROM app_secrets WHERE name = 'session_key';
