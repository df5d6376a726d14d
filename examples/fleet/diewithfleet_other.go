//go:build !linux

package main

import "os/exec"

// dieWithFleet does nothing outside Linux, which alone can signal a child
// when its parent dies (Pdeathsig): there, a fleet killed with SIGKILL
// leaves its redis-server running, to be stopped by hand (its port is in
// the fleet's banner). Ctrl-C and SIGTERM stop it everywhere.
func dieWithFleet(*exec.Cmd) {}
