DROP TABLE consumed_messages;
