-- Simulated-runtime settings of a project (phone_id '') or of one phone:
-- the boot time that restarts and resets queued for its phones carry to
-- the simulated driver. A phone's row wins over its project's; without a
-- row the driver's own boot time (cphd --sim-boot-time) applies.
CREATE TABLE sim_settings (
    project_id   TEXT NOT NULL,
    phone_id     TEXT NOT NULL,
    boot_time_ms BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (project_id, phone_id)
);

-- Named snapshots of the fleet state (cphd admin snapshot): each is a copy
-- of every fleet table in a table of its own, snap<id>_<table>, made and
-- read back in one transaction.
CREATE TABLE snapshots (
    id             BIGINT PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    created_at     BIGINT NOT NULL,
    schema_version INTEGER NOT NULL
);
