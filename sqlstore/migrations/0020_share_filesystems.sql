-- Shared file systems mounted on servers (AttachShareFilesystem): one row
-- per server and file system. state is 'mounting' or 'unmounting' while
-- the server's job runs, 'mounted' after. Deleting a server deletes its
-- rows.
CREATE TABLE server_share_filesystems (
    server_id   TEXT NOT NULL,
    fs_id       TEXT NOT NULL,
    project_id  TEXT NOT NULL,
    fs_type     TEXT NOT NULL,
    path        TEXT NOT NULL,
    mount_point TEXT NOT NULL,
    state       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (server_id, fs_id)
);

-- The packages of servers' shared app areas, recorded when a PushShareApps
-- job succeeds (and removed when a DeleteShareApps job does), with the
-- versionName of the package's base APK ('' when it could not be read).
CREATE TABLE server_share_apps (
    server_id    TEXT NOT NULL,
    package_name TEXT NOT NULL,
    version      TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (server_id, package_name)
);

-- One row per availability zone and server flavor with a capacity: a
-- server creation takes the row's lock (an upsert) before it counts the
-- servers of the pair, so concurrent creations count one after another.
CREATE TABLE zone_capacity_locks (
    zone         TEXT NOT NULL,
    server_model TEXT NOT NULL,
    takes        BIGINT NOT NULL,
    PRIMARY KEY (zone, server_model)
);
