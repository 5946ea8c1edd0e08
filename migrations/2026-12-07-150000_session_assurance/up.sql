-- When the user last proved who they are (the sign-in, or the latest re-authentication):
-- what step-up ("sudo mode") freshness is measured from. Existing sessions take their sign-in.
ALTER TABLE sessions ADD COLUMN auth_time timestamptz;
UPDATE sessions SET auth_time = created_at;
ALTER TABLE sessions ALTER COLUMN auth_time SET NOT NULL, ALTER COLUMN auth_time SET DEFAULT now();
-- mfa_level follows amr: 1 for one factor, 2 with a second one.
UPDATE sessions SET mfa_level = 1 WHERE mfa_level = 0;

