CREATE TABLE api_tokens (
    id character varying(36) NOT NULL,
    name character varying(200) NOT NULL,
    token_hash character varying(64) NOT NULL,
    role character varying(16) DEFAULT 'admin'::character varying NOT NULL,
    last_used_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL
);
CREATE TABLE contact_tags (
    contact_id character varying(36) NOT NULL,
    tag character varying(100) NOT NULL,
    created_at timestamp with time zone NOT NULL
);
CREATE TABLE contacts (
    id character varying(36) NOT NULL,
    email character varying(320),
    phone character varying(32),
    external_id character varying(200),
    first_name character varying(200),
    last_name character varying(200),
    company character varying(200),
    score bigint DEFAULT 0 NOT NULL,
    time_zone character varying(64),
    fields text,
    consent text,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
CREATE TABLE deals (
    id character varying(36) NOT NULL,
    contact_id character varying(36) NOT NULL,
    title character varying(300) NOT NULL,
    stage character varying(100) NOT NULL,
    value numeric DEFAULT 0 NOT NULL,
    currency character varying(3),
    owner character varying(200),
    idem_key character varying(200),
    created_at timestamp with time zone NOT NULL
);
CREATE TABLE effects (
    key character varying(200) NOT NULL,
    result text,
    created_at timestamp with time zone NOT NULL
);
CREATE TABLE events (
    id character varying(36) NOT NULL,
    contact_id character varying(36),
    type character varying(100) NOT NULL,
    data text,
    source character varying(100),
    at timestamp with time zone NOT NULL,
    dedup_key character varying(200),
    received_at timestamp with time zone NOT NULL
);
CREATE TABLE flow_versions (
    flow_id character varying(100) NOT NULL,
    version bigint NOT NULL,
    definition text NOT NULL,
    published_at timestamp with time zone NOT NULL
);
CREATE TABLE flows (
    id character varying(100) NOT NULL,
    name character varying(200) NOT NULL,
    description text,
    draft text NOT NULL,
    status character varying(16) NOT NULL,
    version bigint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL
);
CREATE TABLE jobs (
    id bigint NOT NULL,
    run_id character varying(36),
    node_id character varying(100) NOT NULL,
    kind character varying(16) NOT NULL,
    port character varying(100),
    payload text,
    due_at timestamp with time zone NOT NULL,
    attempts bigint DEFAULT 0 NOT NULL,
    lease_owner character varying(64),
    lease_until timestamp with time zone,
    dedup_key character varying(200),
    last_error text,
    created_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE jobs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE jobs_id_seq OWNED BY jobs.id;
CREATE TABLE list_members (
    list_id character varying(36) NOT NULL,
    contact_id character varying(36) NOT NULL,
    added_at timestamp with time zone NOT NULL
);
CREATE TABLE lists (
    id character varying(36) NOT NULL,
    name character varying(200) NOT NULL,
    created_at timestamp with time zone NOT NULL
);
CREATE TABLE notes (
    id character varying(36) NOT NULL,
    contact_id character varying(36) NOT NULL,
    body text NOT NULL,
    source character varying(100),
    idem_key character varying(200),
    created_at timestamp with time zone NOT NULL
);
CREATE TABLE runs (
    id character varying(36) NOT NULL,
    flow_id character varying(100) NOT NULL,
    version bigint NOT NULL,
    contact_id character varying(36),
    status character varying(16) NOT NULL,
    outcome character varying(16),
    trigger text,
    event text,
    vars text,
    visits text,
    tokens bigint DEFAULT 0 NOT NULL,
    test boolean DEFAULT false NOT NULL,
    error text,
    started_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    ended_at timestamp with time zone
);
CREATE TABLE schema_migrations (
    id character varying(100) NOT NULL,
    applied_at timestamp with time zone NOT NULL
);
CREATE TABLE sessions (
    token_hash character varying(64) NOT NULL,
    user_id character varying(36) NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone NOT NULL
);
CREATE TABLE steps (
    id bigint NOT NULL,
    run_id character varying(36) NOT NULL,
    node_id character varying(100) NOT NULL,
    node_type character varying(100) NOT NULL,
    visit bigint NOT NULL,
    attempt bigint NOT NULL,
    status character varying(16) NOT NULL,
    port character varying(100),
    input text,
    output text,
    error text,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE steps_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE steps_id_seq OWNED BY steps.id;
CREATE TABLE tasks (
    id character varying(36) NOT NULL,
    contact_id character varying(36),
    title character varying(300) NOT NULL,
    notes text,
    owner character varying(200),
    due_at timestamp with time zone,
    done boolean DEFAULT false NOT NULL,
    idem_key character varying(200),
    created_at timestamp with time zone NOT NULL
);
CREATE TABLE triggers (
    id bigint NOT NULL,
    flow_id character varying(100) NOT NULL,
    version bigint NOT NULL,
    node_id character varying(100) NOT NULL,
    kind character varying(16) NOT NULL,
    key character varying(200) NOT NULL
);
CREATE SEQUENCE triggers_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE triggers_id_seq OWNED BY triggers.id;
CREATE TABLE users (
    id character varying(36) NOT NULL,
    email character varying(320) NOT NULL,
    password_hash character varying(200) NOT NULL,
    role character varying(16) DEFAULT 'admin'::character varying NOT NULL,
    created_at timestamp with time zone NOT NULL
);
CREATE TABLE waits (
    id bigint NOT NULL,
    run_id character varying(36) NOT NULL,
    node_id character varying(100) NOT NULL,
    visit bigint NOT NULL,
    contact_id character varying(36) NOT NULL,
    event_type character varying(100) NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    event_port character varying(100) NOT NULL,
    match_param character varying(100),
    timeout_job_id bigint,
    created_at timestamp with time zone NOT NULL
);
CREATE SEQUENCE waits_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE waits_id_seq OWNED BY waits.id;
ALTER TABLE ONLY jobs ALTER COLUMN id SET DEFAULT nextval('jobs_id_seq'::regclass);
ALTER TABLE ONLY steps ALTER COLUMN id SET DEFAULT nextval('steps_id_seq'::regclass);
ALTER TABLE ONLY triggers ALTER COLUMN id SET DEFAULT nextval('triggers_id_seq'::regclass);
ALTER TABLE ONLY waits ALTER COLUMN id SET DEFAULT nextval('waits_id_seq'::regclass);
ALTER TABLE ONLY api_tokens
    ADD CONSTRAINT api_tokens_pkey PRIMARY KEY (id);
ALTER TABLE ONLY contact_tags
    ADD CONSTRAINT contact_tags_pkey PRIMARY KEY (contact_id, tag);
ALTER TABLE ONLY contacts
    ADD CONSTRAINT contacts_pkey PRIMARY KEY (id);
ALTER TABLE ONLY deals
    ADD CONSTRAINT deals_pkey PRIMARY KEY (id);
ALTER TABLE ONLY effects
    ADD CONSTRAINT effects_pkey PRIMARY KEY (key);
ALTER TABLE ONLY events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id);
ALTER TABLE ONLY flow_versions
    ADD CONSTRAINT flow_versions_pkey PRIMARY KEY (flow_id, version);
ALTER TABLE ONLY flows
    ADD CONSTRAINT flows_pkey PRIMARY KEY (id);
ALTER TABLE ONLY jobs
    ADD CONSTRAINT jobs_pkey PRIMARY KEY (id);
ALTER TABLE ONLY list_members
    ADD CONSTRAINT list_members_pkey PRIMARY KEY (list_id, contact_id);
ALTER TABLE ONLY lists
    ADD CONSTRAINT lists_pkey PRIMARY KEY (id);
ALTER TABLE ONLY notes
    ADD CONSTRAINT notes_pkey PRIMARY KEY (id);
ALTER TABLE ONLY runs
    ADD CONSTRAINT runs_pkey PRIMARY KEY (id);
ALTER TABLE ONLY schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (id);
ALTER TABLE ONLY sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (token_hash);
ALTER TABLE ONLY steps
    ADD CONSTRAINT steps_pkey PRIMARY KEY (id);
ALTER TABLE ONLY tasks
    ADD CONSTRAINT tasks_pkey PRIMARY KEY (id);
ALTER TABLE ONLY triggers
    ADD CONSTRAINT triggers_pkey PRIMARY KEY (id);
ALTER TABLE ONLY users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);
ALTER TABLE ONLY waits
    ADD CONSTRAINT waits_pkey PRIMARY KEY (id);
CREATE UNIQUE INDEX idx_api_tokens_token_hash ON api_tokens USING btree (token_hash);
CREATE UNIQUE INDEX idx_contacts_email ON contacts USING btree (email);
CREATE UNIQUE INDEX idx_contacts_external_id ON contacts USING btree (external_id);
CREATE UNIQUE INDEX idx_contacts_phone ON contacts USING btree (phone);
CREATE INDEX idx_deals_contact_id ON deals USING btree (contact_id);
CREATE UNIQUE INDEX idx_deals_idem_key ON deals USING btree (idem_key);
CREATE INDEX idx_event_contact ON events USING btree (contact_id, type, at);
CREATE UNIQUE INDEX idx_events_dedup_key ON events USING btree (dedup_key);
CREATE INDEX idx_flows_status ON flows USING btree (status);
CREATE INDEX idx_job_due ON jobs USING btree (due_at);
CREATE UNIQUE INDEX idx_jobs_dedup_key ON jobs USING btree (dedup_key);
CREATE INDEX idx_jobs_free_due ON jobs USING btree (due_at, id) WHERE (lease_until IS NULL);
CREATE INDEX idx_jobs_run_id ON jobs USING btree (run_id);
CREATE INDEX idx_list_members_contact_id ON list_members USING btree (contact_id);
CREATE UNIQUE INDEX idx_lists_name ON lists USING btree (name);
CREATE INDEX idx_notes_contact_id ON notes USING btree (contact_id);
CREATE UNIQUE INDEX idx_notes_idem_key ON notes USING btree (idem_key);
CREATE INDEX idx_run_flow_contact ON runs USING btree (flow_id, contact_id, started_at);
CREATE INDEX idx_runs_contact_id ON runs USING btree (contact_id);
CREATE INDEX idx_runs_status ON runs USING btree (status);
CREATE INDEX idx_sessions_user_id ON sessions USING btree (user_id);
CREATE INDEX idx_steps_run_id ON steps USING btree (run_id);
CREATE INDEX idx_tasks_contact_id ON tasks USING btree (contact_id);
CREATE UNIQUE INDEX idx_tasks_idem_key ON tasks USING btree (idem_key);
CREATE INDEX idx_trigger_match ON triggers USING btree (kind, key);
CREATE INDEX idx_triggers_flow_id ON triggers USING btree (flow_id);
CREATE UNIQUE INDEX idx_users_email ON users USING btree (email);
CREATE INDEX idx_wait_match ON waits USING btree (contact_id, event_type);
CREATE INDEX idx_waits_run_id ON waits USING btree (run_id);
