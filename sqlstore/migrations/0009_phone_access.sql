-- Where a phone can really be reached, as its agent's runtime reports it
-- (a container runtime publishes each phone's ADB port on a host port).
-- Phones without a row use the address derived from their server.
CREATE TABLE phone_access (
    phone_id    TEXT PRIMARY KEY,
    server_id   TEXT NOT NULL,
    access_ip   TEXT NOT NULL,
    access_port INTEGER NOT NULL,
    intranet_ip TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX phone_access_server ON phone_access (server_id);
