-- The database shared with other services (SHARED_DATABASE_URL): the agents catalog and the
-- users' agent instances, the outbox their changes write their events to, and the keyed
-- create requests of instances. The same tables as in the main database (migrations/), so
-- one adapter serves both; nothing here references the main database (users live there).

CREATE TABLE agents (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  description text NOT NULL DEFAULT '',
  category    text NOT NULL,
  tags        text[] NOT NULL DEFAULT '{}',
  enabled     boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  deleted_at  timestamptz
);
CREATE INDEX agents_category_idx ON agents (category, id) WHERE deleted_at IS NULL;
CREATE INDEX agents_tags_idx ON agents USING gin (tags) WHERE deleted_at IS NULL;

CREATE TABLE instances (
  id         uuid PRIMARY KEY,
  user_id    uuid NOT NULL,
  agent_id   uuid NOT NULL REFERENCES agents (id),
  name       text NOT NULL,
  config     jsonb NOT NULL DEFAULT '{}'::jsonb,
  state      text NOT NULL
             CHECK (state IN ('provisioning', 'ready', 'failed', 'stopped', 'deleted')),
  version    bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz
);
CREATE INDEX instances_user_idx ON instances (user_id, id DESC) WHERE deleted_at IS NULL;

-- The outbox, as in the main database (initial schema + outbox_parking): another service that
-- changes an instance in its own transaction writes its event here the same way.
CREATE TABLE outbox (
  id              uuid PRIMARY KEY,
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  aggregate_type  text NOT NULL,
  aggregate_id    uuid NOT NULL,
  subject         uuid,
  type            text NOT NULL,
  payload         jsonb NOT NULL,
  occurred_at     timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  published_at    timestamptz,
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  parked_at       timestamptz,
  next_attempt_at timestamptz
);
CREATE INDEX outbox_relay_idx ON outbox (seq) WHERE published_at IS NULL AND parked_at IS NULL;
CREATE INDEX outbox_parked_idx ON outbox (seq) WHERE published_at IS NULL AND parked_at IS NOT NULL;

CREATE TABLE request_keys (
  key         text PRIMARY KEY CHECK (length(key) <= 512),
  fingerprint text NOT NULL CHECK (length(fingerprint) <= 128),
  resource_id uuid NOT NULL,
  created_at  timestamptz NOT NULL
);
CREATE INDEX request_keys_created_idx ON request_keys (created_at);

-- The messages of other services this service handled (see the main database's migration).
CREATE TABLE consumed_messages (
  id          uuid PRIMARY KEY,
  consumed_at timestamptz NOT NULL
);
CREATE INDEX consumed_messages_time_idx ON consumed_messages (consumed_at);
