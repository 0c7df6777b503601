-- Scheduled events (maintenance the operator announces for a server, the
-- tenant authorises): one row per event. server_name and server_model_name
-- are the server's at the announcement, shown once the server is gone.
-- request_id names the phone restarts of an executing event (its jobs);
-- refused_phones counts the phones the execution could not restart. Times
-- are Unix microseconds, 0 when not reached; duration_us is the planned
-- duration (not_after - not_before).
CREATE TABLE scheduled_events (
    id                  TEXT PRIMARY KEY,
    project_id          TEXT NOT NULL,
    server_id           TEXT NOT NULL,
    server_name         TEXT NOT NULL,
    server_model_name   TEXT NOT NULL,
    type                TEXT NOT NULL,
    description         TEXT NOT NULL,
    state               TEXT NOT NULL,
    authorization_type  TEXT NOT NULL,
    publish_time        BIGINT NOT NULL,
    not_before          BIGINT NOT NULL,
    not_after           BIGINT NOT NULL,
    not_before_deadline BIGINT NOT NULL,
    duration_us         BIGINT NOT NULL,
    start_time          BIGINT NOT NULL,
    finish_time         BIGINT NOT NULL,
    request_id          TEXT NOT NULL,
    refused_phones      INTEGER NOT NULL
);
CREATE INDEX scheduled_events_project ON scheduled_events (project_id, publish_time, id);
CREATE INDEX scheduled_events_server ON scheduled_events (server_id);
CREATE INDEX scheduled_events_open ON scheduled_events (state, not_before);
