-- Node liveness: when a server's agent goes silent, its phones are shown
-- abnormal (-7); down_from keeps the status to restore when the agent
-- returns without knowing the phone (0: not marked down).
ALTER TABLE phones ADD COLUMN down_from INTEGER NOT NULL DEFAULT 0;
