-- The first release's schema, with the types GORM chose for it: varchar(n)
-- for sized strings, text, bigint, bigserial ids, numeric, boolean and
-- timestamptz.

CREATE TABLE flows (
    id varchar(100) NOT NULL,
    name varchar(200) NOT NULL,
    description text,
    draft text NOT NULL,
    status varchar(16) NOT NULL,
    version bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX idx_flows_status ON flows (status);

CREATE TABLE flow_versions (
    flow_id varchar(100) NOT NULL,
    version bigint NOT NULL,
    definition text NOT NULL,
    published_at timestamptz NOT NULL,
    PRIMARY KEY (flow_id, version)
);

CREATE TABLE triggers (
    id bigserial,
    flow_id varchar(100) NOT NULL,
    version bigint NOT NULL,
    node_id varchar(100) NOT NULL,
    kind varchar(16) NOT NULL,
    "key" varchar(200) NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX idx_trigger_match ON triggers (kind, "key");
CREATE INDEX idx_triggers_flow_id ON triggers (flow_id);

CREATE TABLE runs (
    id varchar(36) NOT NULL,
    flow_id varchar(100) NOT NULL,
    version bigint NOT NULL,
    contact_id varchar(36),
    status varchar(16) NOT NULL,
    outcome varchar(16),
    "trigger" text,
    event text,
    vars text,
    visits text,
    tokens bigint NOT NULL DEFAULT 0,
    test boolean NOT NULL DEFAULT false,
    error text,
    started_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    ended_at timestamptz,
    PRIMARY KEY (id)
);
CREATE INDEX idx_runs_status ON runs (status);
CREATE INDEX idx_runs_contact_id ON runs (contact_id);
CREATE INDEX idx_run_flow_contact ON runs (flow_id, contact_id, started_at);

CREATE TABLE steps (
    id bigserial,
    run_id varchar(36) NOT NULL,
    node_id varchar(100) NOT NULL,
    node_type varchar(100) NOT NULL,
    visit bigint NOT NULL,
    attempt bigint NOT NULL,
    status varchar(16) NOT NULL,
    port varchar(100),
    input text,
    output text,
    error text,
    started_at timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX idx_steps_run_id ON steps (run_id);

CREATE TABLE jobs (
    id bigserial,
    run_id varchar(36),
    node_id varchar(100) NOT NULL,
    kind varchar(16) NOT NULL,
    port varchar(100),
    payload text,
    due_at timestamptz NOT NULL,
    attempts bigint NOT NULL DEFAULT 0,
    lease_owner varchar(64),
    lease_until timestamptz,
    dedup_key varchar(200),
    last_error text,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_jobs_dedup_key ON jobs (dedup_key);
CREATE INDEX idx_job_due ON jobs (due_at);
CREATE INDEX idx_jobs_run_id ON jobs (run_id);
-- Unleased jobs ordered by due time: the claim query's main path.
-- (Jobs whose lease expired are found through lease_until.)
CREATE INDEX idx_jobs_free_due ON jobs (due_at, id) WHERE lease_until IS NULL;

CREATE TABLE waits (
    id bigserial,
    run_id varchar(36) NOT NULL,
    node_id varchar(100) NOT NULL,
    visit bigint NOT NULL,
    contact_id varchar(36) NOT NULL,
    event_type varchar(100) NOT NULL,
    expires_at timestamptz NOT NULL,
    event_port varchar(100) NOT NULL,
    match_param varchar(100),
    timeout_job_id bigint,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX idx_wait_match ON waits (contact_id, event_type);
CREATE INDEX idx_waits_run_id ON waits (run_id);

CREATE TABLE events (
    id varchar(36) NOT NULL,
    contact_id varchar(36),
    type varchar(100) NOT NULL,
    data text,
    source varchar(100),
    at timestamptz NOT NULL,
    dedup_key varchar(200),
    received_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_events_dedup_key ON events (dedup_key);
CREATE INDEX idx_event_contact ON events (contact_id, type, at);

CREATE TABLE contacts (
    id varchar(36) NOT NULL,
    email varchar(320),
    phone varchar(32),
    external_id varchar(200),
    first_name varchar(200),
    last_name varchar(200),
    company varchar(200),
    score bigint NOT NULL DEFAULT 0,
    time_zone varchar(64),
    fields text,
    consent text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_contacts_external_id ON contacts (external_id);
CREATE UNIQUE INDEX idx_contacts_phone ON contacts (phone);
CREATE UNIQUE INDEX idx_contacts_email ON contacts (email);

CREATE TABLE contact_tags (
    contact_id varchar(36) NOT NULL,
    tag varchar(100) NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (contact_id, tag)
);

CREATE TABLE lists (
    id varchar(36) NOT NULL,
    name varchar(200) NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_lists_name ON lists (name);

CREATE TABLE list_members (
    list_id varchar(36) NOT NULL,
    contact_id varchar(36) NOT NULL,
    added_at timestamptz NOT NULL,
    PRIMARY KEY (list_id, contact_id)
);
CREATE INDEX idx_list_members_contact_id ON list_members (contact_id);

CREATE TABLE deals (
    id varchar(36) NOT NULL,
    contact_id varchar(36) NOT NULL,
    title varchar(300) NOT NULL,
    stage varchar(100) NOT NULL,
    value numeric NOT NULL DEFAULT 0,
    currency varchar(3),
    owner varchar(200),
    idem_key varchar(200),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_deals_idem_key ON deals (idem_key);
CREATE INDEX idx_deals_contact_id ON deals (contact_id);

CREATE TABLE tasks (
    id varchar(36) NOT NULL,
    contact_id varchar(36),
    title varchar(300) NOT NULL,
    notes text,
    owner varchar(200),
    due_at timestamptz,
    done boolean NOT NULL DEFAULT false,
    idem_key varchar(200),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_tasks_idem_key ON tasks (idem_key);
CREATE INDEX idx_tasks_contact_id ON tasks (contact_id);

CREATE TABLE notes (
    id varchar(36) NOT NULL,
    contact_id varchar(36) NOT NULL,
    body text NOT NULL,
    source varchar(100),
    idem_key varchar(200),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_notes_idem_key ON notes (idem_key);
CREATE INDEX idx_notes_contact_id ON notes (contact_id);

CREATE TABLE effects (
    "key" varchar(200) NOT NULL,
    result text,
    created_at timestamptz NOT NULL,
    PRIMARY KEY ("key")
);

CREATE TABLE users (
    id varchar(36) NOT NULL,
    email varchar(320) NOT NULL,
    password_hash varchar(200) NOT NULL,
    role varchar(16) NOT NULL DEFAULT 'admin',
    created_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_users_email ON users (email);

CREATE TABLE sessions (
    token_hash varchar(64) NOT NULL,
    user_id varchar(36) NOT NULL,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (token_hash)
);
CREATE INDEX idx_sessions_user_id ON sessions (user_id);

CREATE TABLE api_tokens (
    id varchar(36) NOT NULL,
    name varchar(200) NOT NULL,
    token_hash varchar(64) NOT NULL,
    role varchar(16) NOT NULL DEFAULT 'admin',
    last_used_at timestamptz,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_api_tokens_token_hash ON api_tokens (token_hash);
