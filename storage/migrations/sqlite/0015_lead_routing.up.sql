-- Lead routing: users as salespeople, the owner of each contact, and the
-- round-robin position of each "Assign owner" step.
ALTER TABLE users ADD COLUMN name text;
ALTER TABLE users ADD COLUMN away_until datetime;
ALTER TABLE users ADD COLUMN time_zone text;
ALTER TABLE users ADD COLUMN work_days text;
ALTER TABLE users ADD COLUMN work_start text;
ALTER TABLE users ADD COLUMN work_end text;
ALTER TABLE users ADD COLUMN owner_ids text;
ALTER TABLE users ADD COLUMN slack_id text;
ALTER TABLE contacts ADD COLUMN owner_id text;
CREATE INDEX idx_contacts_owner_id ON contacts (owner_id);
CREATE TABLE routing_counters (
    "key" text,
    position integer NOT NULL DEFAULT 0,
    updated_at datetime NOT NULL,
    PRIMARY KEY ("key")
);
