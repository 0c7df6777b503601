-- The recent-jobs list and the fleet summary at fleet scale.
--
-- Recent jobs are listed newest first, the jobs of one request in their
-- order: begin_at DESC, request_id DESC, position. Each index below holds
-- that order after the columns a list filters by, so that a page (and the
-- job a marker names) is found by reading index entries in order only:
-- all of a project's jobs, or those of one status, phone or server.
-- Screenshot jobs are left out of the list by a condition on each row
-- read: each capture prunes the earlier ones of its phone, so they are few.
CREATE INDEX jobs_project_recent ON jobs (project_id, begin_at DESC, request_id DESC, position);
CREATE INDEX jobs_project_status ON jobs (project_id, status, begin_at DESC, request_id DESC, position);
CREATE INDEX jobs_project_phone ON jobs (project_id, phone_id, begin_at DESC, request_id DESC, position);
CREATE INDEX jobs_project_server ON jobs (project_id, server_id, begin_at DESC, request_id DESC, position);

-- Failed jobs by end time, for "failed in the last hour"; screenshot jobs
-- are not shown to users, so not counted. Queries repeat the condition
-- word for word, which is how SQLite knows it may use the index.
CREATE INDEX jobs_project_failed ON jobs (project_id, end_at) WHERE status = -1 AND kind <> 'screenshot';

-- Phones and servers of a project counted by status (GROUP BY status)
-- from the index alone.
CREATE INDEX phones_project_status ON phones (project_id, status);
CREATE INDEX servers_project_status ON servers (project_id, status);
