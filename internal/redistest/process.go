package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// process is a redis-server of the test's own, in its own directory.
type process struct {
	bin, dir string
	cmd      *exec.Cmd
	exited   chan struct{}
}

type signal int

const (
	pause signal = iota
	resume
)

// startProcess starts redis-server on a free port, stopped when the test
// ends.
func (r *Server) startProcess(bin string) {
	r.t.Helper()
	r.proc = &process{bin: bin, dir: r.t.TempDir()}
	var last error
	for range 5 { // another process may take the free port first
		r.port = freePort(r)
		if last = r.proc.launch(r); last == nil {
			r.t.Cleanup(r.proc.stop)
			return
		}
	}
	r.t.Fatalf("starting redis-server: %v", last)
}

func freePort(r *Server) int {
	r.t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		r.t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// launch runs the process and waits until it answers, as itself.
func (p *process) launch(r *Server) error {
	args := []string{
		"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--protected-mode", "yes",
		"--dir", p.dir, "--logfile", filepath.Join(p.dir, "redis.log"), "--daemonize", "no",
		"--save", "", "--appendonly", "no",
	}
	if r.persist {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	}
	if r.password != "" {
		args = append(args, "--requirepass", r.password)
	}
	cmd := exec.Command(p.bin, args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	p.cmd, p.exited = cmd, exited

	c := r.Client()
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		info, err := c.InfoMap(ctx, "server").Result()
		cancel()
		if err == nil {
			// Another test's redis-server may have taken the port between
			// freePort and this launch: then ours exits, and the answer
			// came from the other one.
			if got := info["Server"]["process_id"]; got != strconv.Itoa(cmd.Process.Pid) {
				p.stop()
				return fmt.Errorf("port %d is another redis-server's (process %s)", r.port, got)
			}
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited on port %d: %s", r.port, p.logTail())
		default:
		}
		if time.Now().After(deadline) {
			p.stop()
			return fmt.Errorf("redis-server on port %d did not answer: %v; %s", r.port, err, p.logTail())
		}
		time.Sleep(10 * time.Millisecond) // polling its start, bounded by the deadline
	}
}

// stop shuts the process down (SIGTERM: the append-only file is flushed)
// and waits for it; SIGKILL if it takes more than 10s.
func (p *process) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGCONT) // in case it is paused
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.cmd = nil
}

// signal freezes (SIGSTOP) or thaws (SIGCONT) the process.
func (p *process) signal(what signal) error {
	if p.cmd == nil {
		return fmt.Errorf("redis-server is not running")
	}
	if what == pause {
		return p.cmd.Process.Signal(syscall.SIGSTOP)
	}
	return p.cmd.Process.Signal(syscall.SIGCONT)
}

func (p *process) logTail() string {
	b, err := os.ReadFile(filepath.Join(p.dir, "redis.log"))
	if err != nil {
		return "no log: " + err.Error()
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "log: " + string(b)
}
