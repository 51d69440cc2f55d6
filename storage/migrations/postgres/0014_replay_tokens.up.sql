-- One-time webhook tokens and signatures, shared by the instances.
CREATE TABLE replay_tokens (
    "key" varchar(200) NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY ("key")
);
CREATE INDEX idx_replay_tokens_expires_at ON replay_tokens (expires_at);
