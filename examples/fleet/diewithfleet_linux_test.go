package main

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/identsphere/identsphere-go/internal/redistest"
	"github.com/identsphere/identsphere-go/internal/starterproc"
)

// orphanTimeout bounds the wait for redis-server to die after the fleet:
// the kernel signals it at once, so this is a failure bound only.
const orphanTimeout = 20 * time.Second

// A fleet killed with SIGKILL runs none of its deferred stops: its
// redis-server dies with it all the same (Pdeathsig), its port freed,
// rather than running on as an orphan. (Its directory stays: the test
// removes it.)
func TestFleetKilledTakesItsRedisServerWithIt(t *testing.T) {
	if !redistest.RequireReal(t, "the fleet command runs redis-server from PATH") {
		return
	}
	p := starterproc.Start(t, bin)
	t.Cleanup(p.Kill)
	out := waitFor(t, p, "Ctrl-C stops everything.")
	redisAddr := field(t, out, "redis")
	pid, dir := redisProcess(t, redisAddr)
	t.Cleanup(func() { os.RemoveAll(dir) })

	p.Kill() // SIGKILL: no deferred stop runs
	deadline := time.Now().Add(orphanTimeout)
	for alive(pid) || listening(t, redisAddr) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL) // leave no orphan behind a failed test
			t.Fatalf("redis-server (pid %d, %s) still runs %v after the fleet was killed",
				pid, redisAddr, orphanTimeout)
		}
		time.Sleep(20 * time.Millisecond) // bounded poll: nothing tells this process of another's death
	}
}

// redisProcess is the process id and the directory of the redis-server at
// addr, as it reports them.
func redisProcess(t *testing.T, addr string) (pid int, dir string) {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr, DisableIdentity: true})
	defer c.Close()
	info, err := c.InfoMap(t.Context(), "server").Result()
	if err != nil {
		t.Fatalf("INFO server at %s: %v", addr, err)
	}
	pid, err = strconv.Atoi(info["Server"]["process_id"])
	if err != nil || pid <= 1 {
		t.Fatalf("redis-server at %s reports process_id %q", addr, info["Server"]["process_id"])
	}
	conf, err := c.ConfigGet(t.Context(), "dir").Result()
	if err != nil || !strings.Contains(conf["dir"], "identsphere-fleet-redis-") {
		t.Fatalf("redis-server at %s: dir %q, %v", addr, conf["dir"], err)
	}
	return pid, conf["dir"]
}

// alive reports whether pid is a live process: a zombie (dead, not yet
// reaped by whoever adopted it) is not.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false // gone between the two looks
	}
	// The state follows the command name in parentheses: "pid (comm) S ...".
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

// listening reports whether something accepts connections at addr.
func listening(t *testing.T, addr string) bool {
	var d net.Dialer
	c, err := d.DialContext(t.Context(), "tcp", addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
