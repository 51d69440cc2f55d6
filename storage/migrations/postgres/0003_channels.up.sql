-- The messages outbox and vendor credentials, and the lookup of a wait by
-- its timeout job (several waits may share one timeout when a step waits
-- for any of several event types).
CREATE TABLE messages (
    id varchar(36) NOT NULL,
    idem_key varchar(250) NOT NULL,
    channel varchar(16) NOT NULL,
    provider varchar(32) NOT NULL,
    credential_id varchar(36),
    status varchar(16) NOT NULL,
    reason text,
    provider_id varchar(200),
    to_address varchar(320),
    subject varchar(500),
    body_text text,
    body_html text,
    contact_id varchar(36),
    run_id varchar(36),
    node_id varchar(100),
    flow_id varchar(100),
    events text,
    sent_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX idx_messages_run_id ON messages (run_id);
CREATE INDEX idx_messages_provider_id ON messages (provider_id);
CREATE INDEX idx_messages_status ON messages (status);
CREATE INDEX idx_message_contact_channel ON messages (contact_id, channel, created_at);
CREATE UNIQUE INDEX idx_messages_idem_key ON messages (idem_key);

CREATE TABLE credentials (
    id varchar(36) NOT NULL,
    name varchar(200) NOT NULL,
    kind varchar(32) NOT NULL,
    fields text,
    secrets text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX idx_credentials_kind ON credentials (kind);

CREATE INDEX idx_waits_timeout_job ON waits (timeout_job_id);
