-- The runtime ("sim", "docker") whose replicas run the in-process agent of
-- a built-in or API-created simulated server. Empty for servers made before
-- it was recorded: the first replica that runs the fleet adopts them.
ALTER TABLE servers ADD COLUMN fleet_runtime TEXT NOT NULL DEFAULT '';
