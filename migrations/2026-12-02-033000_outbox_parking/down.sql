DROP INDEX outbox_parked_idx;
DROP INDEX outbox_relay_idx;
CREATE INDEX outbox_unpublished_idx ON outbox (seq) WHERE published_at IS NULL;
ALTER TABLE outbox
  DROP COLUMN next_attempt_at,
  DROP COLUMN parked_at;
