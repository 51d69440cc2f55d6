-- The messages outbox and vendor credentials, and the lookup of a wait by
-- its timeout job (several waits may share one timeout when a step waits
-- for any of several event types).
CREATE TABLE messages (
    id text,
    idem_key text NOT NULL,
    channel text NOT NULL,
    provider text NOT NULL,
    credential_id text,
    status text NOT NULL,
    reason text,
    provider_id text,
    to_address text,
    subject text,
    body_text text,
    body_html text,
    contact_id text,
    run_id text,
    node_id text,
    flow_id text,
    events text,
    sent_at datetime,
    created_at datetime NOT NULL,
    updated_at datetime NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX idx_messages_run_id ON messages (run_id);
CREATE INDEX idx_messages_provider_id ON messages (provider_id);
CREATE INDEX idx_messages_status ON messages (status);
CREATE INDEX idx_message_contact_channel ON messages (contact_id, channel, created_at);
CREATE UNIQUE INDEX idx_messages_idem_key ON messages (idem_key);

CREATE TABLE credentials (
    id text,
    name text NOT NULL,
    kind text NOT NULL,
    fields text,
    secrets text,
    created_at datetime NOT NULL,
    updated_at datetime NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX idx_credentials_kind ON credentials (kind);

CREATE INDEX idx_waits_timeout_job ON waits (timeout_job_id);
