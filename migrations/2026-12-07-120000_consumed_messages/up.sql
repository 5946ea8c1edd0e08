-- The messages of other services (their `instance.updated` events) this service handled,
-- recorded in the transaction that applies each: a redelivery or a duplicate finds its id here
-- and changes nothing again. Rows are small; retention may delete old ones.
CREATE TABLE consumed_messages (
  id          uuid PRIMARY KEY,
  consumed_at timestamptz NOT NULL
);
CREATE INDEX consumed_messages_time_idx ON consumed_messages (consumed_at);
