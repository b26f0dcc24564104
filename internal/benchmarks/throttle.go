package benchmarks

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"
)

// Throttling says how a FakeDynamoDB pushes back, in the three ways a real
// table does: at random, over a table-wide capacity, and on hot keys. Every
// mode is deterministic or seeded; the modes combine, in the order of the
// fields. The zero value never throttles.
type Throttling struct {
	// UnprocessedFraction, if positive, leaves each write request of a call
	// unprocessed with this probability (0.1: 10%), drawn for each request
	// from a generator seeded with Seed: random per request, not every n-th.
	UnprocessedFraction float64
	// Seed seeds the generator of UnprocessedFraction.
	Seed uint64

	// Capacity, if positive, is a token bucket of Capacity write requests
	// per second, shared by all calls, that holds at most Burst tokens and
	// is full at the start (and after Reset). The requests of a call beyond
	// the tokens left are returned in UnprocessedItems, or, with
	// RefuseOverCapacity, a call that does not fit is refused whole with HTTP
	// 400 ProvisionedThroughputExceededException (and takes no tokens).
	Capacity float64
	// Burst is the size of the bucket. 0: a quarter of a second's worth of
	// Capacity.
	Burst float64
	// RefuseOverCapacity refuses a call that does not fit in the tokens left
	// instead of taking what fits.
	RefuseOverCapacity bool

	// HotEvery, if positive, makes one key in HotEvery hot, chosen by a hash
	// of the key's value (20: 5% of the keys). A hot key is left unprocessed
	// on every try for HotFor after the fake first saw it; the other keys
	// never are.
	HotEvery int
	// HotFor is how long a hot key is throttled after it was first seen.
	HotFor time.Duration
}

// burst returns the size of the token bucket.
func (t Throttling) burst() float64 {
	if t.Burst > 0 {
		return t.Burst
	}
	return t.Capacity / 4
}

// defaultTimelineBucket is the width of a Timeline's buckets when
// FakeDynamoDB.TimelineBucket is 0.
const defaultTimelineBucket = 50 * time.Millisecond

// Timeline is what a FakeDynamoDB accepted over time since it was started
// or Reset, measured from its first BatchWriteItem call.
type Timeline struct {
	// Bucket is the width of each element of Accepted.
	Bucket time.Duration
	// Accepted is the count of write requests accepted in each Bucket.
	Accepted []int64
	// Total is the count of write requests accepted.
	Total int64
	// Span runs from the first call to the last request accepted.
	Span time.Duration
	// HotKeys is the count of distinct hot keys seen.
	HotKeys int64
	// NonHotWhileHot counts the requests for keys that are not hot accepted
	// while some hot key already seen was still in its throttled window.
	NonHotWhileHot int64
	// NonHotSpan runs from the first call to the last of those.
	NonHotSpan time.Duration
}

// Rate is the write requests accepted per second over Span, or 0.
func (t Timeline) Rate() float64 {
	if t.Span <= 0 {
		return 0
	}
	return float64(t.Total) / t.Span.Seconds()
}

// TimeTo returns the time from the first call to the end of the bucket in
// which the accepted requests reached share (0 to 1) of Total, or 0.
func (t Timeline) TimeTo(share float64) time.Duration {
	want := share * float64(t.Total)
	var sum int64
	for i, n := range t.Accepted {
		sum += n
		if float64(sum) >= want && sum > 0 {
			return time.Duration(i+1) * t.Bucket
		}
	}
	return 0
}

// LongestBelow returns the longest time the endpoint accepted less than
// rate items per second, in whole buckets, from the first bucket at rate or
// more to the bucket in which the accepted requests reached share (0 to 1)
// of Total: the end of a run, when the last items trickle in, is left out.
func (t Timeline) LongestBelow(rate, share float64) time.Duration {
	per := rate * t.Bucket.Seconds()
	end := int(t.TimeTo(share) / t.Bucket)
	var longest, run time.Duration
	started := false
	for _, n := range t.Accepted[:min(end, len(t.Accepted))] {
		switch {
		case float64(n) >= per:
			started, run = true, 0
		case started:
			run += t.Bucket
			longest = max(longest, run)
		}
	}
	return longest
}

// NonHotRate is the rate at which requests for keys that are not hot were
// accepted while hot keys were throttled: NonHotWhileHot per second of
// NonHotSpan, or 0.
func (t Timeline) NonHotRate() float64 {
	if t.NonHotSpan <= 0 {
		return 0
	}
	return float64(t.NonHotWhileHot) / t.NonHotSpan.Seconds()
}

// throttleState is the part of a FakeDynamoDB that Reset clears, guarded by
// FakeDynamoDB.tmu.
type throttleState struct {
	first    time.Time // the first call; zero before it
	last     time.Time // the last request accepted
	total    int64
	accepted []int64

	rng *rand.Rand

	tokens float64
	filled time.Time // when tokens was last brought up to date

	hotSeen        map[string]time.Time // hot key -> first seen
	hotUntil       time.Time            // the end of the latest hot window
	nonHotWhileHot int64
	nonHotLast     time.Time
}

// Reset empties the timeline and brings the throttling back to its start:
// the token bucket full, no key seen, the generator at its seed. The
// counters of Stats are kept. It must not run during a call.
func (f *FakeDynamoDB) Reset() {
	f.tmu.Lock()
	defer f.tmu.Unlock()
	f.ts = throttleState{}
}

// Timeline returns what was accepted over time since the start or the last
// Reset.
func (f *FakeDynamoDB) Timeline() Timeline {
	f.tmu.Lock()
	defer f.tmu.Unlock()
	s := &f.ts
	t := Timeline{
		Bucket:         f.timelineBucket(),
		Accepted:       append([]int64(nil), s.accepted...),
		Total:          s.total,
		HotKeys:        int64(len(s.hotSeen)),
		NonHotWhileHot: s.nonHotWhileHot,
	}
	if s.total > 0 {
		t.Span = s.last.Sub(s.first)
	}
	if s.nonHotWhileHot > 0 {
		t.NonHotSpan = s.nonHotLast.Sub(s.first)
	}
	return t
}

func (f *FakeDynamoDB) timelineBucket() time.Duration {
	if f.TimelineBucket > 0 {
		return f.TimelineBucket
	}
	return defaultTimelineBucket
}

func (f *FakeDynamoDB) clock() time.Time {
	if f.now != nil {
		return f.now()
	}
	return time.Now()
}

// isHot reports whether a key's raw JSON value is one of the hot keys.
func isHot(key []byte, every int) bool {
	h := fnv.New64a()
	_, _ = h.Write(key)
	return h.Sum64()%uint64(every) == 0
}

// throttle decides, for the requests of one valid call, which are left
// unprocessed (left[i] set; left may come in with some already set) and
// records what is accepted. refuse: the whole call is refused over capacity,
// and nothing is accepted.
func (f *FakeDynamoDB) throttle(reqs []writeRequest, left []bool) (refuse bool) {
	th := &f.Throttling
	f.tmu.Lock()
	defer f.tmu.Unlock()
	s := &f.ts
	now := f.clock()
	if s.first.IsZero() {
		s.first = now
	}
	hot := make([]bool, len(reqs))
	if th.HotEvery > 0 {
		if s.hotSeen == nil {
			s.hotSeen = map[string]time.Time{}
		}
		for i, r := range reqs {
			if !isHot(r.key, th.HotEvery) {
				continue
			}
			hot[i] = true
			seen, ok := s.hotSeen[string(r.key)]
			if !ok {
				seen = now
				s.hotSeen[string(r.key)] = now
				if until := now.Add(th.HotFor); until.After(s.hotUntil) {
					s.hotUntil = until
				}
			}
			if now.Before(seen.Add(th.HotFor)) {
				left[i] = true
			}
		}
	}
	if th.UnprocessedFraction > 0 {
		if s.rng == nil {
			s.rng = rand.New(rand.NewPCG(th.Seed, th.Seed^0x9e3779b97f4a7c15))
		}
		for i := range reqs {
			if !left[i] && s.rng.Float64() < th.UnprocessedFraction {
				left[i] = true
			}
		}
	}
	if th.Capacity > 0 {
		burst := th.burst()
		if s.filled.IsZero() {
			s.tokens = burst
		} else {
			s.tokens = math.Min(burst, s.tokens+now.Sub(s.filled).Seconds()*th.Capacity)
		}
		s.filled = now
		want := 0
		for i := range reqs {
			if !left[i] {
				want++
			}
		}
		switch {
		case th.RefuseOverCapacity && float64(want) > s.tokens:
			return true
		case th.RefuseOverCapacity:
			s.tokens -= float64(want)
		default:
			fit := int(s.tokens)
			for i := range reqs {
				if left[i] {
					continue
				}
				if fit == 0 {
					left[i] = true
					continue
				}
				fit--
				s.tokens--
			}
		}
	}
	n := int64(0)
	for i := range reqs {
		if left[i] {
			continue
		}
		n++
		if th.HotEvery > 0 && !hot[i] && now.Before(s.hotUntil) {
			s.nonHotWhileHot++
			s.nonHotLast = now
		}
	}
	if n > 0 {
		b := int(now.Sub(s.first) / f.timelineBucket())
		for len(s.accepted) <= b {
			s.accepted = append(s.accepted, 0)
		}
		s.accepted[b] += n
		s.total += n
		s.last = now
	}
	return false
}
