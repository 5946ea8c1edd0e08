-- Keyed create requests (Idempotency-Key), recorded by the transaction that creates the
-- resource: a retry whose answer was lost (the replica died after the commit) finds the
-- resource here instead of being told that its address or name is taken. Kept 24 hours.
CREATE TABLE request_keys (
  key         text PRIMARY KEY CHECK (length(key) <= 512),
  fingerprint text NOT NULL CHECK (length(fingerprint) <= 128),
  resource_id uuid NOT NULL,
  created_at  timestamptz NOT NULL
);
CREATE INDEX request_keys_created_idx ON request_keys (created_at);
