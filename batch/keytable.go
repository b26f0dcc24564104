package batch

import "hash/maphash"

// keyTable holds the keys with items not finished: an open-addressing hash
// table with linear probing, kept at most half full.
//
// It is not a Go map for two reasons. Pending keys come and go as fast as
// items do, and a deletion from a map leaves a tombstone that later lookups
// probe past until the map grows; here a deletion shifts the entries after
// it back, so the table stays as fast as it was when new. And the hash of a
// key is computed once, by Submit before it takes the lock, and kept in the
// keyState: the lookup, the insertion and the deletion of a key cost one
// hash between them, where a map costs three.
type keyTable[T any] struct {
	seed  maphash.Seed
	slots []keySlot[T] // a power of two long, or nil
	n     int          // keys held
}

// keySlot is a place in a keyTable: empty while ks is nil.
type keySlot[T any] struct {
	hash uint64
	ks   *keyState[T]
}

func newKeyTable[T any]() keyTable[T] {
	return keyTable[T]{seed: maphash.MakeSeed()}
}

// hash returns the hash of key, for the other methods.
func (t *keyTable[T]) hash(key string) uint64 {
	return maphash.String(t.seed, key)
}

// get returns the state of key, whose hash is h, or nil.
func (t *keyTable[T]) get(h uint64, key string) *keyState[T] {
	if t.n == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.ks == nil {
			return nil
		}
		if s.hash == h && s.ks.key == key {
			return s.ks
		}
	}
}

// add puts ks, whose key is not held and whose hash is ks.hash, in t.
func (t *keyTable[T]) add(ks *keyState[T]) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	t.insert(keySlot[T]{ks.hash, ks})
	t.n++
}

func (t *keyTable[T]) insert(s keySlot[T]) {
	mask := uint64(len(t.slots) - 1)
	i := s.hash & mask
	for t.slots[i].ks != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

func (t *keyTable[T]) grow() {
	old := t.slots
	t.slots = make([]keySlot[T], max(16, 2*len(old)))
	for _, s := range old {
		if s.ks != nil {
			t.insert(s)
		}
	}
}

// remove takes ks, which t holds under the hash h, out of t. The entries after it in its run
// move back to fill the gap where their probe sequence allows, so that no
// lookup has to pass over a deleted place.
func (t *keyTable[T]) remove(h uint64, ks *keyState[T]) {
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i].ks != ks {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		s := t.slots[j]
		if s.ks == nil {
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

// all returns the keys held, in no order.
func (t *keyTable[T]) all() []*keyState[T] {
	out := make([]*keyState[T], 0, t.n)
	for _, s := range t.slots {
		if s.ks != nil {
			out = append(out, s.ks)
		}
	}
	return out
}
