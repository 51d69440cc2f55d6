-- Lead routing: users as salespeople, the owner of each contact, and the
-- round-robin position of each "Assign owner" step.
ALTER TABLE users ADD COLUMN name varchar(200);
ALTER TABLE users ADD COLUMN away_until timestamptz;
ALTER TABLE users ADD COLUMN time_zone varchar(64);
ALTER TABLE users ADD COLUMN work_days varchar(64);
ALTER TABLE users ADD COLUMN work_start varchar(5);
ALTER TABLE users ADD COLUMN work_end varchar(5);
ALTER TABLE users ADD COLUMN owner_ids text;
ALTER TABLE users ADD COLUMN slack_id varchar(40);
ALTER TABLE contacts ADD COLUMN owner_id varchar(36);
CREATE INDEX idx_contacts_owner_id ON contacts (owner_id);
CREATE TABLE routing_counters (
    "key" varchar(200) NOT NULL,
    position bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY ("key")
);
