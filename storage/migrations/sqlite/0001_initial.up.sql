-- The first release's schema. SQLite types are the ones GORM declared for
-- it: text, integer, real, numeric (booleans) and datetime.

CREATE TABLE flows (
    id text,
    name text NOT NULL,
    description text,
    draft text NOT NULL,
    status text NOT NULL,
    version integer NOT NULL DEFAULT 0,
    created_at datetime NOT NULL,
    updated_at datetime NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX idx_flows_status ON flows (status);

CREATE TABLE flow_versions (
    flow_id text,
    version integer,
    definition text NOT NULL,
    published_at datetime NOT NULL,
    PRIMARY KEY (flow_id, version)
);

CREATE TABLE triggers (
    id integer PRIMARY KEY AUTOINCREMENT,
    flow_id text NOT NULL,
    version integer NOT NULL,
    node_id text NOT NULL,
    kind text NOT NULL,
    "key" text NOT NULL
);
CREATE INDEX idx_trigger_match ON triggers (kind, "key");
CREATE INDEX idx_triggers_flow_id ON triggers (flow_id);

CREATE TABLE runs (
    id text,
    flow_id text NOT NULL,
    version integer NOT NULL,
    contact_id text,
    status text NOT NULL,
    outcome text,
    "trigger" text,
    event text,
    vars text,
    visits text,
    tokens integer NOT NULL DEFAULT 0,
    test numeric NOT NULL DEFAULT false,
    error text,
    started_at datetime NOT NULL,
    updated_at datetime NOT NULL,
    ended_at datetime,
    PRIMARY KEY (id)
);
CREATE INDEX idx_runs_status ON runs (status);
CREATE INDEX idx_runs_contact_id ON runs (contact_id);
CREATE INDEX idx_run_flow_contact ON runs (flow_id, contact_id, started_at);

CREATE TABLE steps (
    id integer PRIMARY KEY AUTOINCREMENT,
    run_id text NOT NULL,
    node_id text NOT NULL,
    node_type text NOT NULL,
    visit integer NOT NULL,
    attempt integer NOT NULL,
    status text NOT NULL,
    port text,
    input text,
    output text,
    error text,
    started_at datetime NOT NULL,
    finished_at datetime NOT NULL
);
CREATE INDEX idx_steps_run_id ON steps (run_id);

CREATE TABLE jobs (
    id integer PRIMARY KEY AUTOINCREMENT,
    run_id text,
    node_id text NOT NULL,
    kind text NOT NULL,
    port text,
    payload text,
    due_at datetime NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    lease_owner text,
    lease_until datetime,
    dedup_key text,
    last_error text,
    created_at datetime NOT NULL
);
CREATE UNIQUE INDEX idx_jobs_dedup_key ON jobs (dedup_key);
CREATE INDEX idx_job_due ON jobs (due_at);
CREATE INDEX idx_jobs_run_id ON jobs (run_id);
-- Unleased jobs ordered by due time: the claim query's main path.
-- (Jobs whose lease expired are found through lease_until.)
CREATE INDEX idx_jobs_free_due ON jobs (due_at, id) WHERE lease_until IS NULL;

CREATE TABLE waits (
    id integer PRIMARY KEY AUTOINCREMENT,
    run_id text NOT NULL,
    node_id text NOT NULL,
    visit integer NOT NULL,
    contact_id text NOT NULL,
    event_type text NOT NULL,
    expires_at datetime NOT NULL,
    event_port text NOT NULL,
    match_param text,
    timeout_job_id integer,
    created_at datetime NOT NULL
);
CREATE INDEX idx_wait_match ON waits (contact_id, event_type);
CREATE INDEX idx_waits_run_id ON waits (run_id);

CREATE TABLE events (
    id text,
    contact_id text,
    type text NOT NULL,
    data text,
    source text,
    at datetime NOT NULL,
    dedup_key text,
    received_at datetime NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_events_dedup_key ON events (dedup_key);
CREATE INDEX idx_event_contact ON events (contact_id, type, at);

CREATE TABLE contacts (
    id text,
    email text,
    phone text,
    external_id text,
    first_name text,
    last_name text,
    company text,
    score integer NOT NULL DEFAULT 0,
    time_zone text,
    fields text,
    consent text,
    created_at datetime NOT NULL,
    updated_at datetime NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_contacts_external_id ON contacts (external_id);
CREATE UNIQUE INDEX idx_contacts_phone ON contacts (phone);
CREATE UNIQUE INDEX idx_contacts_email ON contacts (email);

CREATE TABLE contact_tags (
    contact_id text,
    tag text,
    created_at datetime NOT NULL,
    PRIMARY KEY (contact_id, tag)
);

CREATE TABLE lists (
    id text,
    name text NOT NULL,
    created_at datetime NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_lists_name ON lists (name);

CREATE TABLE list_members (
    list_id text,
    contact_id text,
    added_at datetime NOT NULL,
    PRIMARY KEY (list_id, contact_id)
);
CREATE INDEX idx_list_members_contact_id ON list_members (contact_id);

CREATE TABLE deals (
    id text,
    contact_id text NOT NULL,
    title text NOT NULL,
    stage text NOT NULL,
    value real NOT NULL DEFAULT 0,
    currency text,
    owner text,
    idem_key text,
    created_at datetime NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_deals_idem_key ON deals (idem_key);
CREATE INDEX idx_deals_contact_id ON deals (contact_id);

CREATE TABLE tasks (
    id text,
    contact_id text,
    title text NOT NULL,
    notes text,
    owner text,
    due_at datetime,
    done numeric NOT NULL DEFAULT false,
    idem_key text,
    created_at datetime NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_tasks_idem_key ON tasks (idem_key);
CREATE INDEX idx_tasks_contact_id ON tasks (contact_id);

CREATE TABLE notes (
    id text,
    contact_id text NOT NULL,
    body text NOT NULL,
    source text,
    idem_key text,
    created_at datetime NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_notes_idem_key ON notes (idem_key);
CREATE INDEX idx_notes_contact_id ON notes (contact_id);

CREATE TABLE effects (
    "key" text,
    result text,
    created_at datetime NOT NULL,
    PRIMARY KEY ("key")
);

CREATE TABLE users (
    id text,
    email text NOT NULL,
    password_hash text NOT NULL,
    role text NOT NULL DEFAULT 'admin',
    created_at datetime NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_users_email ON users (email);

CREATE TABLE sessions (
    token_hash text,
    user_id text NOT NULL,
    expires_at datetime NOT NULL,
    created_at datetime NOT NULL,
    PRIMARY KEY (token_hash)
);
CREATE INDEX idx_sessions_user_id ON sessions (user_id);

CREATE TABLE api_tokens (
    id text,
    name text NOT NULL,
    token_hash text NOT NULL,
    role text NOT NULL DEFAULT 'admin',
    last_used_at datetime,
    created_at datetime NOT NULL,
    PRIMARY KEY (id)
);
CREATE UNIQUE INDEX idx_api_tokens_token_hash ON api_tokens (token_hash);
