package docker

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"
)

// limitedBuffer keeps the first max bytes written to it and counts the
// rest.
type limitedBuffer struct {
	buf       bytes.Buffer
	max       int
	truncated bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room > 0 {
		if len(p) > room {
			b.buf.Write(p[:room])
			b.truncated = true
		} else {
			b.buf.Write(p)
		}
	} else if len(p) > 0 {
		b.truncated = true
	}
	return len(p), nil
}

// exec runs cmd in a container and returns its standard output and error
// (interleaved, at most max bytes) and its exit code. stdin, when not
// nil, is copied to the command's standard input.
func (d *Driver) exec(ctx context.Context, containerID string, cmd []string, stdin io.Reader, max int) ([]byte, int, error) {
	out := &limitedBuffer{max: max}
	code, err := d.execTo(ctx, containerID, cmd, execIO{Stdin: stdin, Stdout: out, Stderr: out})
	return out.buf.Bytes(), code, err
}

// execIO are the streams of a command run in a container: Stdin, when
// not nil, is copied to its input; its output goes to Stdout and Stderr.
type execIO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// execTo runs cmd in a container with the streams of s and returns its
// exit code.
func (d *Driver) execTo(ctx context.Context, containerID string, cmd []string, s execIO) (int, error) {
	if containerID == "" {
		return -1, fmt.Errorf("docker: exec %s: the phone has no container", cmd[0])
	}
	created, err := d.cli.ExecCreate(ctx, containerID, client.ExecCreateOptions{
		Cmd: cmd, AttachStdout: true, AttachStderr: true, AttachStdin: s.Stdin != nil,
	})
	if err != nil {
		return -1, fmt.Errorf("docker: exec %s: %w", cmd[0], err)
	}
	att, err := d.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return -1, fmt.Errorf("docker: exec %s: attach: %w", cmd[0], err)
	}
	defer att.Close()
	stop := context.AfterFunc(ctx, func() { att.Close() })
	defer stop()
	if s.Stdin != nil {
		go func() {
			_, _ = io.Copy(att.Conn, s.Stdin)
			_ = att.CloseWrite()
		}()
	}
	if _, err := stdcopy.StdCopy(s.Stdout, s.Stderr, att.Reader); err != nil {
		if ctx.Err() != nil {
			return -1, fmt.Errorf("docker: exec %s: %w", cmd[0], ctx.Err())
		}
		return -1, fmt.Errorf("docker: exec %s: read output: %w", cmd[0], err)
	}
	ins, err := d.cli.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
	if err != nil {
		return -1, fmt.Errorf("docker: exec %s: inspect: %w", cmd[0], err)
	}
	return ins.ExitCode, nil
}
