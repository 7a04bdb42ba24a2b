ALTER TABLE sources DROP COLUMN lease_until;
ALTER TABLE sources DROP COLUMN lease_owner;
