CREATE TABLE audit_entries (
    id bigserial,
    at timestamptz NOT NULL,
    actor_type varchar(16) NOT NULL,
    actor_id varchar(200) NOT NULL,
    actor_name varchar(320) NOT NULL,
    action varchar(32) NOT NULL,
    entity_type varchar(32) NOT NULL,
    entity_id varchar(200) NOT NULL,
    summary varchar(500) NOT NULL,
    request_id varchar(64) NOT NULL,
    PRIMARY KEY (id)
);
CREATE INDEX idx_audit_entity ON audit_entries (entity_type, entity_id);
CREATE INDEX idx_audit_actor ON audit_entries (actor_id);
