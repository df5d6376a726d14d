//go:build !unix

package bench

import "time"

var processStart = time.Now()

// cpuTime falls back to the wall clock where there is no process CPU clock.
func cpuTime() time.Duration { return time.Since(processStart) }
