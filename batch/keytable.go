package batch

// keyTable holds the keys with items not finished: an open-addressing hash
// table with linear probing, kept at most a quarter full, where the runs
// that lookups and deletions walk are short (at half full, a keyed Submit
// costs about 15% more). A key with a single item, the common case,
// is held by that item, its lone item; a key with more has a keyState.
//
// It is not a Go map for two reasons. Pending keys come and go as fast as
// items do, and a deletion from a map leaves a tombstone that later lookups
// probe past until the map grows; here a deletion shifts the entries after
// it back, so the table stays as fast as it was when new. And a key costs
// one hash, computed by Submit before it takes the lock, for its lookup and
// its insertion, and none for its deletion, since what holds a key knows
// its place; a map hashes the key each time.
type keyTable[T any] struct {
	h keyHash
	// tags and refs are the places, a power of two of them, or none: the
	// tag of the hash of the key held at each (0 where none is), and what
	// holds it. A lookup reads tags, sixteen places to a cache line, and
	// refs only where the tag matches.
	tags []uint32
	refs []keyRef[T]
	n    int // keys held
}

// keyRef is what holds a key in a keyTable: its state, or its lone item.
// Either knows the key's place in the table.
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

func (r *keyRef[T]) setPlace(i uint32) {
	if r.ks != nil {
		r.ks.place = i
	} else {
		r.e.place = i
	}
}

// maxPlaces bounds the table, so that the low bits of a tag are the home of
// its key in a table of any size: a table of 2³¹ places would hold half a
// billion keys.
const maxPlaces = 1 << 31

// tag is what the table keeps of the hash h: its low 31 bits, the key's home
// at any size, with the top bit set, so that no tag is 0.
func tag(h uint64) uint32 { return uint32(h) | maxPlaces }

func newKeyTable[T any]() keyTable[T] {
	return keyTable[T]{h: newKeyHash()}
}

// hash returns the hash of key, for home, find and add.
func (t *keyTable[T]) hash(key string) uint64 {
	return t.h.sum(key)
}

// A key is looked up and added in two steps, so that the common case costs
// a few instructions inline: home says whether the key hashed h goes to its
// home place, empty, with room in t for one more key (then t does not hold
// it); else find looks further. Either gives the place where add puts the
// key, as long as t has not changed in between.

// home returns the home place of a key hashed h, and whether the key goes
// there.
func (t *keyTable[T]) home(h uint64) (uint32, bool) {
	if t.full() {
		return 0, false
	}
	i := uint32(h) & uint32(len(t.tags)-1)
	return i, t.tags[i] == 0
}

// full reports whether t needs more places before it holds one more key.
func (t *keyTable[T]) full() bool { return 4*(t.n+1) > len(t.tags) }

// find returns the state of key, whose hash is h, or its lone item; or, when
// t holds neither, the empty place where add puts it. It makes room in t for
// one more key first.
func (t *keyTable[T]) find(h uint64, key string) (*keyState[T], *entry[T], uint32) {
	if t.full() {
		t.grow()
	}
	tg, mask := tag(h), uint32(len(t.tags)-1)
	for i := tg & mask; ; i = (i + 1) & mask {
		switch t.tags[i] {
		case 0:
			return nil, nil, i
		case tg:
			if r := &t.refs[i]; r.key() == key {
				return r.ks, r.e, i
			}
		}
	}
}

// add puts the key held by r, whose hash is h and which t does not hold,
// at the place that home or find returned for it.
func (t *keyTable[T]) add(h uint64, at uint32, r keyRef[T]) {
	t.put(at, tag(h), r)
	t.n++
}

// put holds the key tagged tg, held by r, at the empty place i.
func (t *keyTable[T]) put(i, tg uint32, r keyRef[T]) {
	t.tags[i], t.refs[i] = tg, r
	r.setPlace(i)
}

// empty empties the place i, whose key is being taken out of t.
func (t *keyTable[T]) empty(i uint32) {
	t.tags[i], t.refs[i] = 0, keyRef[T]{}
	t.n--
}

func (t *keyTable[T]) grow() {
	tags, refs := t.tags, t.refs
	n := max(16, 2*len(tags))
	if n > maxPlaces {
		panic("batch: more pending keys than a key table holds")
	}
	t.tags, t.refs = make([]uint32, n), make([]keyRef[T], n)
	mask := uint32(n - 1)
	for i, tg := range tags {
		if tg == 0 {
			continue
		}
		j := tg & mask
		for t.tags[j] != 0 {
			j = (j + 1) & mask
		}
		t.put(j, tg, refs[i])
	}
}

// promote gives the key of the lone item e the state ks instead.
func (t *keyTable[T]) promote(e *entry[T], ks *keyState[T]) {
	i := e.place
	t.refs[i] = keyRef[T]{ks: ks}
	ks.place = i
}

// removeLast takes the key at place i out of t if it is the last of its run,
// as most keys are, and reports whether it was; it is small enough to be
// inlined. Else remove takes it out.
func (t *keyTable[T]) removeLast(i uint32) bool {
	if t.tags[(i+1)&uint32(len(t.tags)-1)] != 0 {
		return false
	}
	t.empty(i)
	return true
}

// remove takes the key at place i out of t. The places after it in its run
// move back to fill the gap where their probe sequence allows, so that no
// lookup has to pass over a deleted place.
func (t *keyTable[T]) remove(i uint32) {
	mask := uint32(len(t.tags) - 1)
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		tj := t.tags[j]
		if tj == 0 {
			break
		}
		// The key at j stays if its home is cyclically in (i, j]:
		// moving it to i would put it before its home, where lookups
		// never look.
		if (j-tj&mask)&mask < (j-i)&mask {
			continue
		}
		t.put(i, tj, t.refs[j])
		i = j
	}
	t.empty(i)
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
