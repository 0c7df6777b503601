-- Fault-injection rules (docs/faults.md): per project, each matching API
-- calls or jobs by operation and optional target ids. count and remaining
-- are NULL for a rule without a count; remaining is decremented in the
-- transaction that applies the rule (remaining > 0), so a count holds
-- under concurrency. phone_ids and server_ids are comma-separated
-- (empty: any). Times are Unix microseconds; expires_at 0 is never.
CREATE TABLE faults (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL,
    operation   TEXT NOT NULL,
    phone_ids   TEXT NOT NULL,
    server_ids  TEXT NOT NULL,
    effect      TEXT NOT NULL,
    error_code  TEXT NOT NULL,
    error_msg   TEXT NOT NULL,
    status      INTEGER NOT NULL,
    delay_ms    BIGINT NOT NULL,
    count       INTEGER,
    remaining   INTEGER,
    probability DOUBLE PRECISION NOT NULL,
    applied     BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX faults_project ON faults (project_id, created_at);

-- An operation held by a rule (a hang, or a delayed dispatch) is in state
-- 'held' with the rule's id; its lease_until is when the hold ends (0: only
-- when the rule goes).
ALTER TABLE operations ADD COLUMN fault_id TEXT NOT NULL DEFAULT '';
CREATE INDEX operations_held ON operations (fault_id) WHERE state = 'held';

-- The rules applied to an audited call, comma-separated.
ALTER TABLE audit_events ADD COLUMN injected_faults TEXT NOT NULL DEFAULT '';
