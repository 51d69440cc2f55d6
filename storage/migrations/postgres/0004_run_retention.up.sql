-- The retention sweeper finds ended runs by age.
CREATE INDEX idx_runs_ended_at ON runs (ended_at) WHERE ended_at IS NOT NULL;
