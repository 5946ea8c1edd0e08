-- Service clients (identity_core::clients): other services calling this one with a secret
-- (HTTP Basic) or a client_credentials token. Secrets are stored as SHA-256 digests of 256-bit
-- random values, newest first: [{"id", "digest" (hex), "created_at", "expires_at"}].
CREATE TABLE service_clients (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    scopes      text[] NOT NULL,
    secrets     jsonb NOT NULL DEFAULT '[]',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
