DROP TABLE consumed_messages;
DROP TABLE request_keys;
DROP TABLE outbox;
DROP TABLE instances;
DROP TABLE agents;
