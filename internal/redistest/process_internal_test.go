package redistest

import (
	"os/exec"
	"strings"
	"testing"
)

// A launch on a port that another redis-server took since freePort chose
// it fails, so startProcess tries another port, rather than handing the
// test a Redis that another test is using: the answer to the readiness
// check came from the other server.
func TestLaunchRefusesAnotherServersPort(t *testing.T) {
	if !RequireReal(t, "a second redis-server on a port already taken") {
		return
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal(err)
	}
	other := Start(t)
	r := &Server{t: t, port: other.port, proc: &process{bin: bin, dir: t.TempDir()}}
	err = r.proc.launch(r)
	if err == nil {
		r.proc.stop()
		t.Fatal("launch on another redis-server's port succeeded")
	}
	if !strings.Contains(err.Error(), "another redis-server's") && !strings.Contains(err.Error(), "exited") {
		t.Fatalf("launch on another redis-server's port: %v, want it named", err)
	}
	c := other.Client()
	defer c.Close()
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("the other server no longer answers: %v", err)
	}
}
