-- A draft's revision (saves counted) and who saved it last.
ALTER TABLE flows ADD COLUMN revision bigint NOT NULL DEFAULT 0;
ALTER TABLE flows ADD COLUMN updated_by varchar(200) NOT NULL DEFAULT '';
