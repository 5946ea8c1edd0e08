-- Group names are unique by the key core folds them to (`GroupName::key`, lower case),
-- stored next to the name, instead of by citext's own folding: one rule, decided in core.
-- Existing rows get lower(name), the fold citext applied to them until now.
ALTER TABLE groups ADD COLUMN name_key text;
UPDATE groups SET name_key = lower(name::text);
ALTER TABLE groups ALTER COLUMN name_key SET NOT NULL;
ALTER TABLE groups DROP CONSTRAINT groups_name_key;
ALTER TABLE groups ADD CONSTRAINT groups_name_key UNIQUE (name_key);
ALTER TABLE groups ALTER COLUMN name TYPE text;
