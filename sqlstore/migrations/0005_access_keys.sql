-- Permanent access keys (AK/SK). The secret key is stored encrypted
-- (AES-256-GCM under the server key), never in the clear.

CREATE TABLE access_keys (
    access       TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    domain_id    TEXT NOT NULL,
    secret_enc   TEXT NOT NULL,
    status       TEXT NOT NULL, -- active | inactive
    description  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL
);
CREATE INDEX access_keys_user ON access_keys (user_id);
