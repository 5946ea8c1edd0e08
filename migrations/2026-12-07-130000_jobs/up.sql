-- Durable background jobs (issue 19): mails, instance provisioning, retention. Every rule of a
-- job's life (leases, retries, dead jobs, what an admin may do) is core's
-- (identity_core::jobs); this table only stores jobs. Workers claim them with
-- FOR UPDATE SKIP LOCKED and write back what core made of each. The shared database has the
-- same table (migrations-shared/), so one adapter serves both. Ids come from the application
-- (UUIDv7: they sort by creation, which listings page by).
CREATE TABLE jobs (
  id           uuid PRIMARY KEY,
  -- `JobKind::as_str`: not checked here, so a new kind needs no migration (the adapter reads
  -- only the kinds it knows).
  kind         text NOT NULL,
  -- What the handler needs, shown to admins; `sealed` is the secret part, sealed by core.
  payload      jsonb NOT NULL,
  sealed       text,
  -- A job enqueued again under a taken key is not enqueued (`jobs_unique_key_idx`).
  unique_key   text,
  priority     smallint NOT NULL,
  state        text NOT NULL
               CHECK (state IN ('queued', 'running', 'succeeded', 'dead', 'cancelled')),
  attempts     integer NOT NULL CHECK (attempts >= 0),
  max_attempts integer NOT NULL CHECK (max_attempts >= 1),
  run_at       timestamptz NOT NULL,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  started_at   timestamptz,
  finished_at  timestamptz,
  -- The lease of a running job: its worker, and until when.
  locked_until timestamptz,
  locked_by    text,
  last_error   text,
  result       jsonb
);
CREATE UNIQUE INDEX jobs_unique_key_idx ON jobs (unique_key) WHERE unique_key IS NOT NULL;
-- What the claim reads: due queued jobs in the order they are claimed, ...
CREATE INDEX jobs_queued_idx ON jobs (priority DESC, run_at, id) WHERE state = 'queued';
-- ... and running jobs whose lease expired (their worker died).
CREATE INDEX jobs_running_idx ON jobs (locked_until) WHERE state = 'running';
-- Admins' listings of one kind, newest first (without a kind: the primary key).
CREATE INDEX jobs_kind_idx ON jobs (kind, id DESC);
-- What retention deletes: finished jobs, by when they finished.
CREATE INDEX jobs_finished_idx ON jobs (finished_at) WHERE state IN ('succeeded', 'dead', 'cancelled');
