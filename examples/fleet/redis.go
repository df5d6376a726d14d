package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// redisStartTimeout bounds the wait for redis-server to answer.
const redisStartTimeout = 10 * time.Second

// redisServer is the fleet's own redis-server: no persistence, in a
// directory of its own that goes with it.
type redisServer struct {
	addr   string
	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
}

func (r *redisServer) url() string { return "redis://" + r.addr + "/0" }

// startRedis runs redis-server from PATH on a free loopback port and waits
// until it answers.
func startRedis(ctx context.Context) (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New(
			"redis-server is not on PATH, and the fleet's replicas share revocations through it: install it " +
				"(Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis)",
		)
	}
	dir, err := os.MkdirTemp("", "identsphere-fleet-redis-")
	if err != nil {
		return nil, err
	}
	var last error
	for range 5 { // another process may take the free port first
		port, err := freePort()
		if err != nil {
			last = err
			continue
		}
		r := &redisServer{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: dir}
		if last = r.launch(ctx, bin, port); last == nil {
			return r, nil
		}
	}
	_ = os.RemoveAll(dir)
	return nil, fmt.Errorf("starting redis-server: %w", last)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// launch starts the process and waits until it answers PING as itself.
func (r *redisServer) launch(ctx context.Context, bin string, port int) error {
	r.cmd = exec.Command(bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--protected-mode", "yes",
		"--dir", r.dir, "--logfile", filepath.Join(r.dir, "redis.log"), "--daemonize", "no",
		"--save", "", "--appendonly", "no")
	dieWithFleet(r.cmd)
	if err := r.cmd.Start(); err != nil {
		return err
	}
	r.exited = make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(r.exited) }()

	c := goredis.NewClient(&goredis.Options{Addr: r.addr, DisableIdentity: true, MaxRetries: -1,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second})
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, redisStartTimeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		info, err := c.InfoMap(ctx, "server").Result()
		if err == nil {
			if info["Server"]["process_id"] != strconv.Itoa(r.cmd.Process.Pid) {
				r.kill()
				return fmt.Errorf("port %d is another redis-server's", port)
			}
			return nil
		}
		select {
		case <-r.exited:
			return fmt.Errorf("redis-server exited on port %d; its log is in %s", port, r.dir)
		case <-ctx.Done():
			r.kill()
			return fmt.Errorf("redis-server on port %d did not answer within %v: %w", port, redisStartTimeout, err)
		case <-tick.C:
		}
	}
}

func (r *redisServer) kill() {
	_ = r.cmd.Process.Kill()
	<-r.exited
}

// stop shuts redis-server down (SIGTERM), waits for it (SIGKILL after 10s)
// and removes its directory.
func (r *redisServer) stop() error {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(10 * time.Second):
		r.kill()
	}
	return os.RemoveAll(r.dir)
}
