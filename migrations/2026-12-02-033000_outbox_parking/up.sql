-- Outbox rows the relay cannot decode are parked (set aside with attempts and last_error)
-- instead of blocking every row after them; rows the broker refused wait for their own
-- retry time so they cannot block the head of the queue either.
ALTER TABLE outbox
  ADD COLUMN parked_at       timestamptz,
  ADD COLUMN next_attempt_at timestamptz;

-- What the relay claims: unpublished, unparked rows in seq order.
DROP INDEX outbox_unpublished_idx;
CREATE INDEX outbox_relay_idx ON outbox (seq) WHERE published_at IS NULL AND parked_at IS NULL;
-- What operators look at: parked rows.
CREATE INDEX outbox_parked_idx ON outbox (seq) WHERE published_at IS NULL AND parked_at IS NOT NULL;
