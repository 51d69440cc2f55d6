-- Every write of a run adds one to its revision, and SaveRun writes only
-- the revision it read: a run changed by another transaction meanwhile
-- (another instance's worker, a cancellation, an erasure) is a conflict to
-- decide again, not an update to overwrite.
ALTER TABLE runs ADD COLUMN revision bigint NOT NULL DEFAULT 0;
