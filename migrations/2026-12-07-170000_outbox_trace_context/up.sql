-- The W3C trace context (traceparent, tracestate) of the request that recorded an event: the
-- relay carries it into the message's headers, so a trace goes on from the request to the
-- event's consumers (docs/operations.md, traces). NULL when traces are not exported.
ALTER TABLE outbox
  ADD COLUMN traceparent text,
  ADD COLUMN tracestate  text;
