package agent

import (
	"context"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/agentproto"
)

// handler executes one kind of operation and returns its result.
type handler func(ctx context.Context, op cph.Operation) agentproto.Result

// phoneHandlers returns the executors of phone operations beyond restart,
// reset and stop: ADB commands, data export and import, and the like.
func (a *Agent) phoneHandlers() map[cph.OpKind]handler {
	return map[cph.OpKind]handler{}
}
