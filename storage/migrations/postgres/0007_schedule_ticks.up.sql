-- One run per schedule tick across instances.
CREATE TABLE schedule_ticks (
    flow_id varchar(100) NOT NULL,
    node_id varchar(100) NOT NULL,
    tick timestamptz NOT NULL,
    version bigint NOT NULL,
    run_id varchar(36),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (flow_id, node_id, tick)
);
