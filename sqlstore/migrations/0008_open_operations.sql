-- Operations stay in their table when they are done, for the record; the
-- queue's indexes hold only open ones (pending or claimed), so they stay
-- as small as the queue and finishing an operation removes its entries.
-- Queries on the queue repeat the indexes' condition, state <> 'done',
-- word for word, which is how SQLite knows it may use them.
DROP INDEX operations_server_state;
DROP INDEX operations_state_lease;
CREATE INDEX operations_open_server ON operations (server_id, state, created_at) WHERE state <> 'done';
CREATE INDEX operations_open_lease ON operations (state, lease_until) WHERE state <> 'done';
CREATE INDEX operations_open_job ON operations (job_id) WHERE state <> 'done';
