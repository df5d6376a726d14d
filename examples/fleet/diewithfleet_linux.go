package main

import (
	"os/exec"
	"syscall"
)

// dieWithFleet has the kernel SIGKILL cmd's process when the fleet dies,
// however it dies: a fleet killed with SIGKILL (or by the OOM killer) runs
// none of its deferred stops, and would otherwise leave redis-server
// running, its port taken, until someone finds it. redis-server here holds
// nothing to save (no persistence), so SIGKILL loses nothing.
//
// The kernel ties the signal to the thread that started the child, not to
// the process; Go ends a thread only when a goroutine locked to it exits
// (runtime.LockOSThread), which nothing in the fleet does, so the signal
// comes when the process dies. Go's fork also checks that the parent did
// not die before the setting took hold.
func dieWithFleet(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
