-- One run per schedule tick across instances.
CREATE TABLE schedule_ticks (
    flow_id text,
    node_id text,
    tick datetime,
    version integer NOT NULL,
    run_id text,
    created_at datetime NOT NULL,
    PRIMARY KEY (flow_id, node_id, tick)
);
