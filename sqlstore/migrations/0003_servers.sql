-- Servers, bandwidths, encode services and tags (issue 3, server area).

-- Servers created through the API on cphd's own simulated fleet: cphd runs
-- an in-process agent for them, as for built-in servers.
ALTER TABLE servers ADD COLUMN sim_managed BOOLEAN NOT NULL DEFAULT FALSE;
-- Shared storage of the server (empty type: none).
ALTER TABLE servers ADD COLUMN share_volume_type TEXT NOT NULL DEFAULT '';
ALTER TABLE servers ADD COLUMN share_volume_size INTEGER NOT NULL DEFAULT 0;
-- Target of encode-service jobs.
ALTER TABLE jobs ADD COLUMN encode_server_id TEXT NOT NULL DEFAULT '';

CREATE TABLE bandwidths (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    charge_mode INTEGER NOT NULL,
    share_type  INTEGER NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX bandwidths_project_created ON bandwidths (project_id, created_at);

CREATE TABLE server_bandwidths (
    server_id    TEXT NOT NULL,
    bandwidth_id TEXT NOT NULL,
    PRIMARY KEY (server_id, bandwidth_id)
);
CREATE INDEX server_bandwidths_bandwidth ON server_bandwidths (bandwidth_id);

CREATE TABLE encode_servers (
    id           TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL,
    server_id    TEXT NOT NULL,
    name         TEXT NOT NULL,
    ip           TEXT NOT NULL,
    type         INTEGER NOT NULL,
    status       INTEGER NOT NULL,
    keypair_name TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX encode_servers_project_created ON encode_servers (project_id, created_at);
CREATE INDEX encode_servers_server ON encode_servers (server_id);

CREATE TABLE server_tags (
    server_id  TEXT NOT NULL,
    project_id TEXT NOT NULL,
    tag_key    TEXT NOT NULL,
    tag_value  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (server_id, tag_key)
);
CREATE INDEX server_tags_project ON server_tags (project_id, tag_key);
