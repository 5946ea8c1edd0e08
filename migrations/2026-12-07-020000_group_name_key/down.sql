ALTER TABLE groups ALTER COLUMN name TYPE citext;
ALTER TABLE groups DROP CONSTRAINT groups_name_key;
ALTER TABLE groups DROP COLUMN name_key;
ALTER TABLE groups ADD CONSTRAINT groups_name_key UNIQUE (name);
