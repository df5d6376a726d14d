package redisstore_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/identsphere/identsphere-go/revocation/redisstore"
)

// liar speaks just enough of the Redis protocol to be connected to, then
// answers the subscription with replies no Redis sends: go-redis panics on
// them (unchecked type assertions), and the Store must survive. It is no
// stand-in for Redis in the other tests; it is the peer a Redis that lies
// would be.
type liar struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
	subs  int // SUBSCRIBE commands answered so far
}

func startLiar(t *testing.T) *liar {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &liar{ln: ln}
	l.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.mu.Lock()
			l.conns = append(l.conns, c)
			l.mu.Unlock()
			l.wg.Go(func() { l.serve(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		l.mu.Lock()
		for _, c := range l.conns {
			c.Close()
		}
		l.mu.Unlock()
		l.wg.Wait()
	})
	return l
}

func (l *liar) serve(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		cmd, err := readCommand(r)
		if err != nil {
			return
		}
		var reply string
		switch strings.ToUpper(cmd[0]) {
		case "PING":
			reply = "+PONG\r\n"
		case "SCAN": // cursor 0, no keys
			reply = "*2\r\n$1\r\n0\r\n*0\r\n"
		case "SUBSCRIBE":
			l.mu.Lock()
			l.subs++
			n := l.subs
			l.mu.Unlock()
			if n%2 == 1 {
				// The count of subscriptions as a string.
				reply = "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n$1\r\nx\r\n"
			} else {
				// A proper confirmation, then a message whose channel is a number.
				reply = "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n" + "*3\r\n$7\r\nmessage\r\n:7\r\n$1\r\nx\r\n"
			}
		default: // HELLO and the rest: the client falls back to RESP2
			reply = "-ERR unknown command\r\n"
		}
		if _, err := io.WriteString(c, reply); err != nil {
			return
		}
	}
}

// readCommand reads one command as a client sends it: an array of bulk
// strings.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || n < 1 || n > 64 {
		return nil, fmt.Errorf("not a command: %q", line)
	}
	args := make([]string, n)
	for i := range args {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		size, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "$")))
		if err != nil || size < 0 || size > 1<<20 {
			return nil, fmt.Errorf("not a bulk string: %q", line)
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		args[i] = string(buf[:size])
	}
	return args, nil
}

// Replies that make go-redis panic end the session with an error, logged;
// the Store retries, keeps answering from memory, and closes cleanly.
func TestALyingRedisNeverPanicsTheStore(t *testing.T) {
	l := startLiar(t)
	logs := newLogSink(t)
	s := newStore(t, redisstore.Config{
		URL: "redis://" + l.ln.Addr().String() + "/0", Channel: "c", Logger: logs.logger(),
		Timeout: 500 * time.Millisecond, HealthInterval: 100 * time.Millisecond,
	})
	eventually(t, 10*time.Second, "both lies told and survived", func() bool {
		return strings.Count(logs.String(), "malformed pub/sub reply") >= 2
	})
	// The second lie comes after a proper confirmation: that session was
	// listening (and reading every denial beside it) when it ended.
	if !strings.Contains(logs.String(), `err="malformed pub/sub reply`) {
		t.Fatalf("the second connection never got past its subscription:\n%s", logs.String())
	}
	if isRevoked(t, s, claims("u", "s", "j", time.Now())) {
		t.Fatal("a lying Redis made up a denial")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
