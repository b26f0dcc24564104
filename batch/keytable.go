package batch

import "hash/maphash"

// keyTable holds the keys with items not finished: an open-addressing hash
// table with linear probing, kept at most half full. A key with a single
// item, the common case, is held by that item, its lone item; a key with
// more has a keyState.
//
// It is not a Go map for two reasons. Pending keys come and go as fast as
// items do, and a deletion from a map leaves a tombstone that later lookups
// probe past until the map grows; here a deletion shifts the entries after
// it back, so the table stays as fast as it was when new. And the hash of a
// key is computed once, by Submit before it takes the lock, and kept: the
// lookup, the insertion and the deletion of a key cost one hash between
// them, where a map costs three.
type keyTable[T any] struct {
	seed  maphash.Seed
	slots []keySlot[T] // a power of two long, or nil
	n     int          // keys held
}

// keySlot is a place in a keyTable: a key's state, or its lone item, or
// neither when the place is empty.
type keySlot[T any] struct {
	hash uint64
	ks   *keyState[T]
	e    *entry[T]
}

func (s *keySlot[T]) empty() bool { return s.ks == nil && s.e == nil }

func (s *keySlot[T]) key() string {
	if s.ks != nil {
		return s.ks.key
	}
	return s.e.key
}

func newKeyTable[T any]() keyTable[T] {
	return keyTable[T]{seed: maphash.MakeSeed()}
}

// hash returns the hash of key, for the other methods.
func (t *keyTable[T]) hash(key string) uint64 {
	return maphash.String(t.seed, key)
}

// get returns the state of key, whose hash is h, or its lone item, or
// neither.
func (t *keyTable[T]) get(h uint64, key string) (*keyState[T], *entry[T]) {
	if t.n == 0 {
		return nil, nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.empty() {
			return nil, nil
		}
		if s.hash == h && s.key() == key {
			return s.ks, s.e
		}
	}
}

// add puts s, whose key is not held, in t.
func (t *keyTable[T]) add(s keySlot[T]) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	t.insert(s)
	t.n++
}

func (t *keyTable[T]) insert(s keySlot[T]) {
	mask := uint64(len(t.slots) - 1)
	i := s.hash & mask
	for !t.slots[i].empty() {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

func (t *keyTable[T]) grow() {
	old := t.slots
	t.slots = make([]keySlot[T], max(16, 2*len(old)))
	for _, s := range old {
		if !s.empty() {
			t.insert(s)
		}
	}
}

// find returns the index of the place of ks and e, held under the hash h.
func (t *keyTable[T]) find(h uint64, ks *keyState[T], e *entry[T]) uint64 {
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i].ks != ks || t.slots[i].e != e {
		i = (i + 1) & mask
	}
	return i
}

// promote gives the key of the lone item e, held under the hash h, the
// state ks instead.
func (t *keyTable[T]) promote(h uint64, e *entry[T], ks *keyState[T]) {
	s := &t.slots[t.find(h, nil, e)]
	s.e, s.ks = nil, ks
}

// remove takes the key held by ks or by e, under the hash h, out of t. The
// entries after it in its run move back to fill the gap where their probe
// sequence allows, so that no lookup has to pass over a deleted place.
func (t *keyTable[T]) remove(h uint64, ks *keyState[T], e *entry[T]) {
	mask := uint64(len(t.slots) - 1)
	i := t.find(h, ks, e)
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		s := t.slots[j]
		if s.empty() {
			break
		}
		// s stays if its home is cyclically in (i, j]: moving it to i
		// would put it before its home, where lookups never look.
		home := s.hash & mask
		if (j-home)&mask < (j-i)&mask {
			continue
		}
		t.slots[i] = s
		i = j
	}
	t.slots[i] = keySlot[T]{}
	t.n--
}

// states returns the keys held with a state, in no order.
func (t *keyTable[T]) states() []*keyState[T] {
	var out []*keyState[T]
	for _, s := range t.slots {
		if s.ks != nil {
			out = append(out, s.ks)
		}
	}
	return out
}
