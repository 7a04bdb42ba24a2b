DROP TABLE data_rewrites;
ALTER TABLE timeline_entries DROP COLUMN changes;
