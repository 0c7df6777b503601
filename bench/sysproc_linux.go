package bench

import "syscall"

// childSysProcAttr makes the kernel stop a child if cph-bench dies
// without stopping it.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
