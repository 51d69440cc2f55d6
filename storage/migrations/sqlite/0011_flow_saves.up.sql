-- The last saves of each draft, with who saved them.
CREATE TABLE flow_saves (
    flow_id text,
    revision integer,
    definition text NOT NULL,
    saved_at datetime NOT NULL,
    saved_by text NOT NULL DEFAULT '',
    PRIMARY KEY (flow_id, revision)
);
