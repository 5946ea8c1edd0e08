ALTER TABLE outbox
  DROP COLUMN traceparent,
  DROP COLUMN tracestate;
