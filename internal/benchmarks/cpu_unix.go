//go:build linux || darwin || freebsd || netbsd || openbsd

package benchmarks

import (
	"syscall"
	"time"
)

// ProcessCPU returns the user and system CPU time this process has used so
// far, all threads together.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
