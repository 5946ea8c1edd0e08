DROP INDEX IF EXISTS mfa_methods_passkey_id_key;
