package batch

import "hash/maphash"

// keyTable holds the keys with items not finished: an open-addressing hash
// table with linear probing, kept at most a quarter full, where the runs
// that lookups and deletions walk are short (at half full, a keyed Submit
// costs about 15% more). A key with a single item, the common case,
// is held by that item, its lone item; a key with more has a keyState.
//
// It is not a Go map for two reasons. Pending keys come and go as fast as
// items do, and a deletion from a map leaves a tombstone that later lookups
// probe past until the map grows; here a deletion shifts the entries after
// it back, so the table stays as fast as it was when new. And the hash of a
// key is computed once, by Submit before it takes the lock, and kept: the
// lookup, the insertion and the deletion of a key cost one hash between
// them, where a map costs three.
type keyTable[T any] struct {
	seed maphash.Seed
	// hashes and refs are the places, a power of two of them, or none:
	// the hash of the key held at each (0 where none is, since no hash is
	// 0), and what holds it. A lookup reads hashes, eight places to a
	// cache line, and refs only where the hash matches.
	hashes []uint64
	refs   []keyRef[T]
	n      int // keys held
}

// keyRef is what holds a key in a keyTable: its state, or its lone item.
type keyRef[T any] struct {
	ks *keyState[T]
	e  *entry[T]
}

func (r *keyRef[T]) key() string {
	if r.ks != nil {
		return r.ks.key
	}
	return r.e.key
}

func newKeyTable[T any]() keyTable[T] {
	return keyTable[T]{seed: maphash.MakeSeed()}
}

// hash returns the hash of key, for the other methods; never 0.
func (t *keyTable[T]) hash(key string) uint64 {
	return maphash.String(t.seed, key) | 1
}

// get returns the state of key, whose hash is h, or its lone item, or
// neither.
func (t *keyTable[T]) get(h uint64, key string) (*keyState[T], *entry[T]) {
	if t.n == 0 {
		return nil, nil
	}
	mask := uint64(len(t.hashes) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.hashes[i] {
		case 0:
			return nil, nil
		case h:
			if r := &t.refs[i]; r.key() == key {
				return r.ks, r.e
			}
		}
	}
}

// add puts the key held by r, whose hash is h and which t does not hold,
// in t.
func (t *keyTable[T]) add(h uint64, r keyRef[T]) {
	if 4*(t.n+1) > len(t.hashes) {
		t.grow()
	}
	t.insert(h, r)
	t.n++
}

func (t *keyTable[T]) insert(h uint64, r keyRef[T]) {
	mask := uint64(len(t.hashes) - 1)
	i := h & mask
	for t.hashes[i] != 0 {
		i = (i + 1) & mask
	}
	t.hashes[i], t.refs[i] = h, r
}

func (t *keyTable[T]) grow() {
	hashes, refs := t.hashes, t.refs
	n := max(16, 2*len(hashes))
	t.hashes, t.refs = make([]uint64, n), make([]keyRef[T], n)
	for i, h := range hashes {
		if h != 0 {
			t.insert(h, refs[i])
		}
	}
}

// find returns the index of the place of the key held by r under the hash
// h.
func (t *keyTable[T]) find(h uint64, r keyRef[T]) uint64 {
	mask := uint64(len(t.hashes) - 1)
	i := h & mask
	for t.hashes[i] != h || t.refs[i] != r {
		i = (i + 1) & mask
	}
	return i
}

// promote gives the key of the lone item e, held under the hash h, the
// state ks instead.
func (t *keyTable[T]) promote(h uint64, e *entry[T], ks *keyState[T]) {
	t.refs[t.find(h, keyRef[T]{e: e})] = keyRef[T]{ks: ks}
}

// remove takes the key held by r, under the hash h, out of t. The places
// after it in its run move back to fill the gap where their probe sequence
// allows, so that no lookup has to pass over a deleted place.
func (t *keyTable[T]) remove(h uint64, r keyRef[T]) {
	mask := uint64(len(t.hashes) - 1)
	i := t.find(h, r)
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		hj := t.hashes[j]
		if hj == 0 {
			break
		}
		// The key at j stays if its home is cyclically in (i, j]:
		// moving it to i would put it before its home, where lookups
		// never look.
		if (j-hj&mask)&mask < (j-i)&mask {
			continue
		}
		t.hashes[i], t.refs[i] = hj, t.refs[j]
		i = j
	}
	t.hashes[i], t.refs[i] = 0, keyRef[T]{}
	t.n--
}

// states returns the keys held with a state, in no order.
func (t *keyTable[T]) states() []*keyState[T] {
	var out []*keyState[T]
	for _, r := range t.refs {
		if r.ks != nil {
			out = append(out, r.ks)
		}
	}
	return out
}
