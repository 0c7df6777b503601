-- Initial schema. Portable between SQLite and PostgreSQL: times are BIGINT
-- Unix microseconds (UTC); booleans are BOOLEAN.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE domains (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    enabled    BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    domain_id     TEXT NOT NULL REFERENCES domains(id),
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    enabled       BOOLEAN NOT NULL,
    is_admin      BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    domain_id   TEXT NOT NULL REFERENCES domains(id),
    name        TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL,
    description TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    domain_id  TEXT NOT NULL,
    project_id TEXT NOT NULL,
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked    BOOLEAN NOT NULL
);
CREATE INDEX tokens_expires_at ON tokens (expires_at);

CREATE TABLE images (
    id            TEXT PRIMARY KEY,
    project_id    TEXT NOT NULL, -- '' for public images
    name          TEXT NOT NULL,
    os_type       TEXT NOT NULL,
    os_name       TEXT NOT NULL,
    image_label   TEXT NOT NULL,
    image_version TEXT NOT NULL,
    is_public     BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE servers (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL REFERENCES projects(id),
    name              TEXT NOT NULL,
    availability_zone TEXT NOT NULL,
    model_name        TEXT NOT NULL,
    phone_model_name  TEXT NOT NULL,
    keypair_name      TEXT NOT NULL,
    status            INTEGER NOT NULL,
    vpc_id            TEXT NOT NULL,
    cidr              TEXT NOT NULL,
    subnet_id         TEXT NOT NULL,
    subnet_cidr       TEXT NOT NULL,
    server_ip         TEXT NOT NULL,
    public_ip         TEXT NOT NULL,
    order_id          TEXT NOT NULL,
    product_id        TEXT NOT NULL,
    network_version   TEXT NOT NULL,
    builtin_index     INTEGER NOT NULL, -- > 0 for servers of cphd's own simulated fleet
    agent_token_hash  TEXT UNIQUE,
    agent_session     TEXT NOT NULL,
    last_seen         BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX servers_project_created ON servers (project_id, created_at);

CREATE TABLE phones (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL REFERENCES projects(id),
    server_id         TEXT NOT NULL REFERENCES servers(id),
    idx               INTEGER NOT NULL,
    name              TEXT NOT NULL,
    model_name        TEXT NOT NULL,
    image_id          TEXT NOT NULL,
    image_version     TEXT NOT NULL,
    vnc_enable        BOOLEAN NOT NULL,
    status            INTEGER NOT NULL,
    type              INTEGER NOT NULL,
    imei              TEXT NOT NULL,
    traffic_type      TEXT NOT NULL,
    volume_mode       INTEGER NOT NULL,
    availability_zone TEXT NOT NULL,
    order_id          TEXT NOT NULL,
    product_id        TEXT NOT NULL,
    has_encrypt       BOOLEAN NOT NULL,
    property          TEXT NOT NULL,
    ip                TEXT NOT NULL,
    data_volume_type  TEXT NOT NULL,
    data_volume_size  INTEGER NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (project_id, name)
);
CREATE INDEX phones_project_created ON phones (project_id, created_at, name);
CREATE INDEX phones_server ON phones (server_id, idx);

CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    request_id  TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    position    INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    phone_id    TEXT NOT NULL,
    server_id   TEXT NOT NULL,
    status      INTEGER NOT NULL,
    begin_at    BIGINT NOT NULL,
    end_at      BIGINT NOT NULL, -- 0 while running
    error_code  TEXT,
    error_msg   TEXT,
    execute_msg TEXT
);
CREATE INDEX jobs_request ON jobs (project_id, request_id, position);

CREATE TABLE operations (
    id          TEXT PRIMARY KEY,
    job_id      TEXT NOT NULL REFERENCES jobs(id),
    server_id   TEXT NOT NULL,
    phone_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    args        TEXT NOT NULL,
    state       TEXT NOT NULL, -- pending | claimed | done
    attempts    INTEGER NOT NULL,
    session_id  TEXT NOT NULL,
    lease_until BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX operations_server_state ON operations (server_id, state, created_at);
CREATE INDEX operations_state_lease ON operations (state, lease_until);
