ALTER TABLE sources DROP COLUMN removed_at;
DROP INDEX audit_log_at;
DROP TABLE audit_log;
