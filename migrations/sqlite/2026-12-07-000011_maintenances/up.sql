-- A component change is stored as data: a JSON array of {"component", "from", "to"}, the
-- statuses by their names in domain::ComponentStatus. The body keeps the same changes in words
-- for search, feeds and exports; readers render the words from this column.
ALTER TABLE timeline_entries ADD COLUMN changes TEXT;
-- Rewrites of stored data that need the application's own rules (db::rewrites), run once after
-- the migrations by every process that connects, each row of work idempotent so that an
-- interrupted rewrite resumes. `done_at` is set when a rewrite has finished.
CREATE TABLE data_rewrites (
    name TEXT PRIMARY KEY NOT NULL,
    done_at TIMESTAMP
);
-- AWS and Google Cloud codes in words, and impacts that stay at their worst.
INSERT INTO data_rewrites (name) VALUES ('source_codes_in_words');
-- An incident is an `incident` or a scheduled `maintenance`, which has its window. Its status
-- stays in the incident vocabulary (completed is resolved, verifying monitoring, in progress
-- identified); domain::MaintenanceStatus reads the maintenance's own words from it and the window.
ALTER TABLE incidents ADD COLUMN kind TEXT NOT NULL DEFAULT 'incident';
ALTER TABLE incidents ADD COLUMN scheduled_for TIMESTAMP;
ALTER TABLE incidents ADD COLUMN scheduled_until TIMESTAMP;
-- Maintenances stored before were ingested as incidents; their posts carry the maintenance words.
UPDATE incidents SET kind = 'maintenance' WHERE id IN (
    SELECT incident_id FROM timeline_entries
    WHERE lower(replace(status, '_', ' ')) IN
        ('scheduled', 'in progress', 'verifying', 'completed', 'not started yet')
);
