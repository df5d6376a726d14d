//go:build unix

package bench

import (
	"time"

	"golang.org/x/sys/unix"
)

// cpuTime is the CPU time the whole process has used so far, on every
// thread: the benchmark's goroutines, the garbage collector, everything.
// Unlike the wall clock it does not run while other processes hold the
// cores, which on a shared machine is most of the noise.
func cpuTime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return time.Duration(ts.Nano())
}
