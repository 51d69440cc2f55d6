-- Tasks are checked off: when one was completed, and the run whose step
-- created it (its first completed task counts as the run's first contact).
ALTER TABLE tasks ADD COLUMN completed_at timestamptz;
ALTER TABLE tasks ADD COLUMN run_id varchar(36);
CREATE INDEX idx_tasks_run_id ON tasks (run_id);
-- A step's key is "run:node:visit": the run is the part before the first
-- colon. Tasks without such a key keep no run; done tasks keep no
-- completion time (it was not recorded).
UPDATE tasks SET run_id = left(split_part(idem_key, ':', 1), 36)
    WHERE idem_key IS NOT NULL AND position(':' in idem_key) > 1;
