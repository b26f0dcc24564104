package batch

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// keyHash hashes the keys of a key table. Keys of up to 64 bytes, most
// keys, are hashed inline, as the Go runtime's own hash does on machines
// without AES instructions: 8-byte loads, mixed by 128-bit multiplications
// with keys drawn at random for each table, so that no input is known to
// collide. Longer keys go to hash/maphash, whose cost is then mostly the
// bytes. Hashing a short key through hash/maphash costs three calls and
// about 70 instructions; inline, about 30.
type keyHash struct {
	seed   maphash.Seed
	k0, k1 uint64
}

func newKeyHash() keyHash {
	return keyHash{seed: maphash.MakeSeed(), k0: rand.Uint64(), k1: rand.Uint64()}
}

// mixK is an odd constant of the runtime's hash (m5 in runtime/hash64.go).
const mixK = 0x1d8e4e27c47d124f

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// sum returns the hash of key.
func (k *keyHash) sum(key string) uint64 {
	n := len(key)
	if n > 64 {
		return maphash.String(k.seed, key)
	}
	b := unsafe.Slice(unsafe.StringData(key), n)
	seed := k.k0
	var x, y uint64
	switch {
	case n > 16:
		for ; len(b) > 16; b = b[16:] {
			seed = mix(binary.LittleEndian.Uint64(b)^k.k1, binary.LittleEndian.Uint64(b[8:])^seed)
		}
		// The last 16 bytes, some read again.
		b = unsafe.Slice(unsafe.StringData(key), n)
		x, y = binary.LittleEndian.Uint64(b[n-16:]), binary.LittleEndian.Uint64(b[n-8:])
	case n >= 8:
		x, y = binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[n-8:])
	case n >= 4:
		x, y = uint64(binary.LittleEndian.Uint32(b)), uint64(binary.LittleEndian.Uint32(b[n-4:]))
	case n > 0:
		x = uint64(b[0]) | uint64(b[n>>1])<<8 | uint64(b[n-1])<<16
	}
	return mix(mixK^uint64(n), mix(x^k.k1, y^seed))
}
