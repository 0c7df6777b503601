-- Rate limits shared by every replica on the database (login throttle,
-- RunSyncCommand's calls per minute, failed agent enrollments). One row per
-- key: for a token bucket, tat is the bucket's theoretical arrival time
-- (the bucket is full again at tat); for one slot of a sliding window, the
-- time at which the slot is free again. A row whose tat has passed means
-- the same as no row, so such rows may be deleted at any time.

CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    tat BIGINT NOT NULL
);
CREATE INDEX rate_limits_tat ON rate_limits (tat);
