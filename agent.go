package cph

// AgentService is the control plane side of the agent protocol: it
// enrolls agents, holds their sessions, hands out operations and takes
// their results.
type AgentService interface {
}
