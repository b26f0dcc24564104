package batch

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestKeyTable runs random adds, promotions and removals against a map and
// checks after each step that every key held is found, under its state or
// its lone item, and that no key removed is. The hashes are cut to a few
// bits, so that keys collide and runs wrap around the end of the table.
func TestKeyTable(t *testing.T) {
	tests := []struct {
		name     string
		hashBits uint
		keys     int
		steps    int
	}{
		{"distinct hashes", 64, 200, 5000},
		{"8 hashes", 3, 200, 5000},
		{"one hash", 0, 40, 2000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := newKeyTable[int]()
			hashOf := func(key string) uint64 {
				if tt.hashBits == 0 {
					return 7
				}
				return tab.hash(key) & (1<<tt.hashBits - 1)
			}
			type held struct {
				ks *keyState[int]
				e  *entry[int]
			}
			model := map[string]held{}
			rng := rand.New(rand.NewPCG(1, 2))
			for step := range tt.steps {
				key := strconv.Itoa(rng.IntN(tt.keys))
				h := hashOf(key)
				at, home := tab.home(h)
				var ks *keyState[int]
				var e *entry[int]
				if !home {
					ks, e, at = tab.find(h, key)
				} else if fks, fe, fat := tab.find(h, key); fks != nil || fe != nil || fat != at {
					t.Fatalf("step %d: home(%q) = %d, free, but find = (%p, %p, %d)", step, key, at, fks, fe, fat)
				}
				want := model[key]
				if ks != want.ks || e != want.e {
					t.Fatalf("step %d: find(%q) = (%p, %p), want (%p, %p)", step, key, ks, e, want.ks, want.e)
				}
				switch {
				case ks == nil && e == nil:
					if rng.IntN(2) == 0 {
						e := &entry[int]{alone: true, key: key}
						tab.add(h, at, keyRef[int]{e: e})
						model[key] = held{e: e}
					} else {
						ks := &keyState[int]{key: key}
						tab.add(h, at, keyRef[int]{ks: ks})
						model[key] = held{ks: ks}
					}
				case e != nil && rng.IntN(3) == 0:
					ks := &keyState[int]{key: key}
					tab.promote(e, ks)
					model[key] = held{ks: ks}
				case e != nil:
					tab.remove(e.place)
					delete(model, key)
				default:
					tab.remove(ks.place)
					delete(model, key)
				}
				if tab.n != len(model) {
					t.Fatalf("step %d: %d keys held, want %d", step, tab.n, len(model))
				}
				for i, r := range tab.refs {
					place := uint32(i)
					switch {
					case r.ks != nil:
						place = r.ks.place
					case r.e != nil:
						place = r.e.place
					}
					if place != uint32(i) {
						t.Fatalf("step %d: the key %q at place %d says it is at %d", step, r.key(), i, place)
					}
				}
			}
			var wantStates, gotStates []string
			for key, h := range model {
				if ks, e, _ := tab.find(hashOf(key), key); ks != h.ks || e != h.e {
					t.Errorf("find(%q) = (%p, %p), want (%p, %p)", key, ks, e, h.ks, h.e)
				}
				if h.ks != nil {
					wantStates = append(wantStates, key)
				}
			}
			for _, ks := range tab.states() {
				gotStates = append(gotStates, ks.key)
			}
			sortStrings := cmp.Transformer("sort", func(s []string) map[string]bool {
				m := map[string]bool{}
				for _, k := range s {
					m[k] = true
				}
				return m
			})
			if diff := cmp.Diff(wantStates, gotStates, sortStrings); diff != "" {
				t.Errorf("states() (-want +got):\n%s", diff)
			}
		})
	}
}
