-- Object storage buckets and the project that owns each of them. The
-- objects themselves live in the object store (objstore); this table only
-- scopes bucket names to projects.

CREATE TABLE buckets (
    name       TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX buckets_project ON buckets (project_id, name);
