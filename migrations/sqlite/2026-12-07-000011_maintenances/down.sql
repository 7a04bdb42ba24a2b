ALTER TABLE incidents DROP COLUMN scheduled_until;
ALTER TABLE incidents DROP COLUMN scheduled_for;
ALTER TABLE incidents DROP COLUMN kind;
DROP TABLE data_rewrites;
ALTER TABLE timeline_entries DROP COLUMN changes;
