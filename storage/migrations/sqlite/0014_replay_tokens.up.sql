-- One-time webhook tokens and signatures, shared by the instances.
CREATE TABLE replay_tokens (
    "key" text,
    expires_at datetime NOT NULL,
    PRIMARY KEY ("key")
);
CREATE INDEX idx_replay_tokens_expires_at ON replay_tokens (expires_at);
