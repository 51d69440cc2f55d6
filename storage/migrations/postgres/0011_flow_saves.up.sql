-- The last saves of each draft, with who saved them.
CREATE TABLE flow_saves (
    flow_id varchar(100) NOT NULL,
    revision bigint NOT NULL,
    definition text NOT NULL,
    saved_at timestamptz NOT NULL,
    saved_by varchar(200) NOT NULL DEFAULT '',
    PRIMARY KEY (flow_id, revision)
);
