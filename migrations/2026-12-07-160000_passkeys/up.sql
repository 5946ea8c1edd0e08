-- Passkeys live in mfa_methods (type 'webauthn', no secret, webauthn_credential = {"id", "credential"}).
-- A credential id is one authenticator's key: it belongs to one account.
CREATE UNIQUE INDEX mfa_methods_passkey_id_key
  ON mfa_methods ((webauthn_credential ->> 'id')) WHERE type = 'webauthn';
