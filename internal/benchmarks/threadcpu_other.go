//go:build !linux

package benchmarks

import "time"

// threadCPU returns 0: a thread's CPU time is read on Linux only, and the
// fake server's own CPU time is then not kept apart from the client's.
func threadCPU() time.Duration { return 0 }
