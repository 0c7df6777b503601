package docker

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/opencph/opencph/runtime"
)

// Drivers returns the function that makes the driver of each server of
// the runtime configured by f (controlplane.Config.NewDriver).
func Drivers(f Flags, log *slog.Logger) func(ctx context.Context, serverID, serverName string) (runtime.Driver, error) {
	return func(ctx context.Context, serverID, serverName string) (runtime.Driver, error) {
		cfg, err := f.Config(serverID)
		if err != nil {
			return nil, err
		}
		if log != nil {
			cfg.Logger = log.With("component", "docker", "server_name", serverName)
		}
		return New(ctx, cfg)
	}
}

// CheckHost checks the host for the runtime f configures before anything
// starts: a missing Engine is an error, other problems are logged.
func CheckHost(ctx context.Context, f *Flags, log *slog.Logger) error {
	cfg, err := f.Config("check")
	if err != nil {
		return err
	}
	for _, p := range Check(ctx, cfg, f.CheckKernel, Host{}) {
		if p.Fatal {
			return fmt.Errorf("docker runtime: %s", p.Message)
		}
		log.Error("docker runtime: host check failed", "problem", p.Message)
	}
	return nil
}
