-- The audit trail: one row per mutating API call and per login, success
-- or refusal. Rows keep no foreign keys, so that they outlive the users,
-- projects and resources they name. Ids are time-ordered (UUID v7), so
-- that ordering by id is ordering by time. project_id is empty for an
-- account-level event (a login not scoped to a project); domain_id is
-- empty when the account could not be told (a login naming no known one).
-- target_ids is a JSON array of at most 100 ids.
CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    at          BIGINT NOT NULL,
    domain_id   TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    source      TEXT NOT NULL,
    operation   TEXT NOT NULL,
    target_ids  TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    status      INTEGER NOT NULL,
    error_code  TEXT NOT NULL
);
CREATE INDEX audit_events_project ON audit_events (project_id, id);
CREATE INDEX audit_events_domain ON audit_events (domain_id, project_id, id);
CREATE INDEX audit_events_at ON audit_events (at);
