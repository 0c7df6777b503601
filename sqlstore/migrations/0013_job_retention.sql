-- Retention of finished jobs: the pruner finds final jobs by their end
-- time, and deletes their operations by job. The second index also serves
-- the foreign-key check of operations.job_id when a job is deleted.
CREATE INDEX jobs_ended ON jobs (end_at) WHERE end_at > 0;
CREATE INDEX operations_job ON operations (job_id);
