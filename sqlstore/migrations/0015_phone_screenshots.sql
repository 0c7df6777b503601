-- The latest screen capture of each phone that was viewed, as its agent
-- delivered it (ShowPhoneScreenshot). Every replica answers from it, so
-- viewers on any replica share a recent capture. One row per phone,
-- replaced by each new capture; deleted with the phones of its server. The
-- PNG is kept in standard base64, so that both engines store it as text.
CREATE TABLE phone_screenshots (
    phone_id   TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    server_id  TEXT NOT NULL,
    taken_at   BIGINT NOT NULL,
    png_base64 TEXT NOT NULL
);
CREATE INDEX phone_screenshots_server ON phone_screenshots (server_id);
-- Screenshot jobs of a phone, so that each new capture prunes the earlier
-- ones (PruneScreenshotJobs) instead of leaving them to the job retention.
CREATE INDEX jobs_screenshots ON jobs (phone_id, end_at) WHERE kind = 'screenshot';
