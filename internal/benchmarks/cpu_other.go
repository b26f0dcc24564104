//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package benchmarks

import "time"

// ProcessCPU returns 0: CPU time is measured on Unix systems only.
func ProcessCPU() time.Duration { return 0 }
