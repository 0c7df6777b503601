-- PostgreSQL only. The planner picks the queue's index (operations_open_server)
-- from the statistics of operations.state, which autovacuum's ANALYZE takes
-- whenever it runs. Taken while every operation was done (between two bursts
-- of work), they say no operation is pending and the queue's partial indexes
-- are empty; the planner then chose any of them, and a claim walked every
-- open operation of every server (10,000 of them in a fan-out at a million
-- phones: 3 ms a claim alone, seconds under load). Without statistics for the
-- column the planner uses its default selectivity, under which the index on
-- (server_id, state, created_at) is the clear choice whatever the queue held
-- at the last ANALYZE.
ALTER TABLE operations ALTER COLUMN state SET STATISTICS 0;
-- Changing the column to its own type drops the statistics taken before;
-- the table is not rewritten, the indexes that name the column are rebuilt.
ALTER TABLE operations ALTER COLUMN state TYPE text;
