-- Enrollment tokens per project: an agent that presents one enrolls a new
-- server into that project only. The secret is stored as its SHA-256 hash;
-- revoking a token deletes its row.
CREATE TABLE enrollment_tokens (
    id           TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL REFERENCES projects(id),
    secret_hash  TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL,
    created_by   TEXT NOT NULL,    -- user id
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,  -- 0: never
    last_used_at BIGINT NOT NULL   -- 0: never used
);
CREATE INDEX enrollment_tokens_project ON enrollment_tokens (project_id, created_at);

-- The agent credentials of deleted servers, so that such an agent is told
-- that its server was deleted instead of "unknown credential".
CREATE TABLE deleted_agent_credentials (
    token_hash  TEXT PRIMARY KEY,
    server_id   TEXT NOT NULL,
    server_name TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    deleted_at  BIGINT NOT NULL
);
