-- Roles (issue 17): who created or revoked a token, and who added or removed a source, with
-- the time. Rows are only ever added.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
-- A removed source keeps its row, because incidents, entries and observations name it as their
-- provenance; it is no longer listed, polled or delivered to.
ALTER TABLE sources ADD COLUMN removed_at TIMESTAMP;
