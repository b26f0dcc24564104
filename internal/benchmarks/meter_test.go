package benchmarks

import (
	"runtime"
	"testing"
	"time"
)

// meter measures a stretch of a benchmark and reports it per item: wall
// time, CPU time, allocations, and, with an in-process fake server, the part
// of the CPU time that the server's handlers used.
type meter struct {
	fake  fakeServer // nil when the server is another process
	start time.Time
	cpu   time.Duration
	mem   runtime.MemStats
	srv   FakeStats
}

// fakeServer is an in-process fake endpoint: FakeDynamoDB, FakeSQS,
// FakeKinesis.
type fakeServer interface{ Stats() FakeStats }

// startMeter begins a measurement; fake is the in-process server, or nil.
func startMeter(fake fakeServer) *meter {
	m := &meter{fake: fake}
	if fake != nil {
		m.srv = fake.Stats()
	}
	runtime.ReadMemStats(&m.mem)
	m.cpu = ProcessCPU()
	m.start = time.Now()
	return m
}

// stop ends the measurement of items items and reports per item:
//
//	items/s          items written per second of wall time
//	ns/item          wall time per item
//	allocs/item      heap allocations per item (client and in-process server)
//	B/item           bytes allocated per item (likewise)
//	cpu-ns/item      CPU time of the whole process per item (user + system)
//	srv-cpu-ns/item  of that, the in-process fake server's handlers
//	cli-cpu-ns/item  the rest: the client's CPU time, with net/http's server
//	                 side of each exchange (the same for every contender)
//
// and, with a fake server, the calls and write requests it received per
// item, which tell the retries apart.
func (m *meter) stop(b *testing.B, items int64) {
	wall := time.Since(m.start)
	cpu := ProcessCPU() - m.cpu
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	if items <= 0 {
		b.Fatal("meter: no items")
	}
	n := float64(items)
	b.ReportMetric(n/wall.Seconds(), "items/s")
	b.ReportMetric(float64(wall.Nanoseconds())/n, "ns/item")
	b.ReportMetric(float64(mem.Mallocs-m.mem.Mallocs)/n, "allocs/item")
	b.ReportMetric(float64(mem.TotalAlloc-m.mem.TotalAlloc)/n, "B/item")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/item")
	}
	if m.fake != nil {
		s := m.fake.Stats()
		if s.Errors != m.srv.Errors {
			b.Fatalf("the fake server refused %d calls; first: %s", s.Errors-m.srv.Errors, s.FirstError)
		}
		srv := s.CPU - m.srv.CPU
		if srv > 0 && cpu > 0 {
			b.ReportMetric(float64(srv.Nanoseconds())/n, "srv-cpu-ns/item")
			b.ReportMetric(float64((cpu-srv).Nanoseconds())/n, "cli-cpu-ns/item")
		}
		b.ReportMetric(float64(s.Calls-m.srv.Calls)/n, "calls/item")
		b.ReportMetric(float64(s.Requests-m.srv.Requests)/n, "sent/item")
	}
}
