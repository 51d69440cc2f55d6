CREATE TABLE audit_entries (
    id integer PRIMARY KEY AUTOINCREMENT,
    at datetime NOT NULL,
    actor_type text NOT NULL,
    actor_id text NOT NULL,
    actor_name text NOT NULL,
    action text NOT NULL,
    entity_type text NOT NULL,
    entity_id text NOT NULL,
    summary text NOT NULL,
    request_id text NOT NULL
);
CREATE INDEX idx_audit_entity ON audit_entries (entity_type, entity_id);
CREATE INDEX idx_audit_actor ON audit_entries (actor_id);
