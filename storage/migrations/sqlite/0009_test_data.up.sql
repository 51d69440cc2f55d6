-- Test data is marked, and contact identifiers are unique per kind (real
-- or test) instead of across both. (The Go migration this replaces
-- declared the test columns BOOLEAN on the databases that existed before
-- it, and databases made after it got numeric from GORM; numeric, as GORM
-- declares every boolean on SQLite, keeps its AutoMigrate from rebuilding
-- these tables. Both have NUMERIC affinity and hold 0 and 1.)
ALTER TABLE contacts ADD COLUMN test numeric NOT NULL DEFAULT false;
ALTER TABLE contact_tags ADD COLUMN test numeric NOT NULL DEFAULT false;
ALTER TABLE list_members ADD COLUMN test numeric NOT NULL DEFAULT false;
ALTER TABLE deals ADD COLUMN test numeric NOT NULL DEFAULT false;
ALTER TABLE tasks ADD COLUMN test numeric NOT NULL DEFAULT false;
ALTER TABLE notes ADD COLUMN test numeric NOT NULL DEFAULT false;
ALTER TABLE events ADD COLUMN test numeric NOT NULL DEFAULT false;
ALTER TABLE messages ADD COLUMN test numeric NOT NULL DEFAULT false;

DROP INDEX idx_contacts_email;
DROP INDEX idx_contacts_phone;
DROP INDEX idx_contacts_external_id;
CREATE UNIQUE INDEX idx_contacts_email_test ON contacts (email, test);
CREATE UNIQUE INDEX idx_contacts_phone_test ON contacts (phone, test);
CREATE UNIQUE INDEX idx_contacts_external_id_test ON contacts (external_id, test);

-- The sweeper finds old test runs and test contacts by age.
CREATE INDEX idx_contacts_test_created ON contacts (test, created_at);
CREATE INDEX idx_runs_test_started ON runs (test, started_at);
