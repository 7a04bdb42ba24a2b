ALTER TABLE sources DROP COLUMN next_poll_at;
ALTER TABLE sources DROP COLUMN failures;
ALTER TABLE sources DROP COLUMN format;
DROP TABLE service_components;
ALTER TABLE timeline_entries DROP COLUMN edited_at;
DROP TABLE entry_versions;
DROP TABLE observations;
