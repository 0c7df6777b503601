package agent

import "github.com/opencph/opencph"

// serverHandlers returns the executors of server-level operations.
func (a *Agent) serverHandlers() map[cph.OpKind]handler {
	return map[cph.OpKind]handler{}
}
