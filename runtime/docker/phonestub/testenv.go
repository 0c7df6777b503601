package phonestub

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/moby/moby/client"
)

// Engine returns a client of the local Docker Engine for a test. Without
// a reachable Engine the test is skipped, except under CI=true, where it
// fails: CI must run the Docker tests.
func Engine(tb testing.TB) *client.Client {
	tb.Helper()
	cli, err := EngineOrError(context.Background())
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("Docker Engine needed under CI: %v", err)
		}
		tb.Skipf("no Docker Engine: %v", err)
	}
	tb.Cleanup(func() { cli.Close() })
	return cli
}

// EngineOrError returns a client of the local Docker Engine, or why there
// is none.
func EngineOrError(ctx context.Context) (*client.Client, error) {
	cli, err := client.New(client.WithHostFromEnv())
	if err != nil {
		return nil, err
	}
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		cli.Close()
		return nil, err
	}
	return cli, nil
}

// RemoveLabelled force-removes every container, then every volume, that
// carries label key=value.
func RemoveLabelled(ctx context.Context, cli *client.Client, key, value string) error {
	f := client.Filters{}.Add("label", key+"="+value)
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return fmt.Errorf("phonestub: list containers: %w", err)
	}
	for _, c := range list.Items {
		if _, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); err != nil {
			return fmt.Errorf("phonestub: remove container %s: %w", c.ID, err)
		}
	}
	vols, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		return fmt.Errorf("phonestub: list volumes: %w", err)
	}
	for _, v := range vols.Items {
		if _, err := cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true}); err != nil {
			return fmt.Errorf("phonestub: remove volume %s: %w", v.Name, err)
		}
	}
	return nil
}

// Count returns how many containers and volumes carry label key=value.
func Count(ctx context.Context, cli *client.Client, key, value string) (containers, volumes int, err error) {
	f := client.Filters{}.Add("label", key+"="+value)
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return 0, 0, err
	}
	vols, err := cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err != nil {
		return 0, 0, err
	}
	return len(list.Items), len(vols.Items), nil
}

// BootCompleted reports whether getprop sys.boot_completed answers 1 in
// the container name.
func BootCompleted(ctx context.Context, cli *client.Client, name string) bool {
	ex, err := cli.ExecCreate(ctx, name, client.ExecCreateOptions{Cmd: []string{"getprop", "sys.boot_completed"}, AttachStdout: true})
	if err != nil {
		return false
	}
	att, err := cli.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		return false
	}
	defer att.Close()
	var sb strings.Builder
	buf := make([]byte, 512)
	for {
		n, err := att.Reader.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return strings.Contains(sb.String(), "1\n")
}
