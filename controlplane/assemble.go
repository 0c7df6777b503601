package controlplane

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/docker"
	"github.com/opencph/opencph/sqlstore"
)

// OpenStore opens cphd's store: the PostgreSQL database at databaseURL
// when it is set, else the SQLite file cph.db in dataDir. cphd and its
// admin commands open the store only through it.
func OpenStore(ctx context.Context, dataDir, databaseURL string) (*sqlstore.DB, error) {
	if databaseURL != "" {
		return sqlstore.OpenPostgres(ctx, databaseURL)
	}
	return sqlstore.OpenSQLite(ctx, filepath.Join(dataDir, "cph.db"))
}

// DockerDrivers returns the Config.NewDriver of the Docker runtime
// configured by f: one driver per built-in server.
func DockerDrivers(f docker.Flags, log *slog.Logger) func(ctx context.Context, serverID, serverName string) (runtime.Driver, error) {
	return func(ctx context.Context, serverID, serverName string) (runtime.Driver, error) {
		cfg, err := f.Config(serverID)
		if err != nil {
			return nil, err
		}
		if log != nil {
			cfg.Logger = log.With("component", "docker", "server_name", serverName)
		}
		return docker.New(ctx, cfg)
	}
}

// CheckDocker checks the host for the Docker runtime before anything
// starts: a missing Engine is an error, other problems are logged.
func CheckDocker(ctx context.Context, f *docker.Flags, log *slog.Logger) error {
	cfg, err := f.Config("check")
	if err != nil {
		return err
	}
	for _, p := range docker.Check(ctx, cfg, f.CheckKernel, docker.Host{}) {
		if p.Fatal {
			return fmt.Errorf("docker runtime: %s", p.Message)
		}
		log.Error("docker runtime: host check failed", "problem", p.Message)
	}
	return nil
}
