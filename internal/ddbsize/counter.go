package ddbsize

// Counter counts the sizes of an item attribute by attribute, for an encoder
// that makes the item from typed values and so knows each attribute's type
// without walking the map: the sum is what [SizesChecked] returns for the
// finished item. The zero Counter is an item without attributes. Each name
// must be counted once.
type Counter struct {
	size, js, n int
	odd         bool
}

// name counts an attribute's name, its colon and its comma.
func (c *Counter) name(name string) {
	if len(name) == 0 || len(name) > MaxNameSize {
		c.odd = true
	}
	n, valid := escapedLenValid(name)
	if !valid {
		c.odd = true
	}
	c.size += len(name)
	c.js += n + jsonColon + jsonComma
	c.n++
}

// String counts an attribute of type S.
func (c *Counter) String(name, s string) {
	c.name(name)
	n, valid := escapedLenValid(s)
	if !valid {
		c.odd = true
	}
	c.size += len(s)
	c.js += jsonScalar + n
}

// Number counts an attribute of type N.
func (c *Counter) Number(name, n string) {
	c.name(name)
	size, bad := parseNumber(n)
	if bad.kind != numOK {
		c.odd = true
		size = maxNumberSize
	}
	c.size += size
	c.js += jsonScalar + escapedLen(n)
}

// Bool counts an attribute of type BOOL.
func (c *Counter) Bool(name string, b bool) {
	c.name(name)
	c.size += scalarSize
	c.js += jsonBool + boolLen(b)
}

// Sizes returns what SizesChecked returns for the item counted.
func (c *Counter) Sizes() (size, jsonSize int, plain bool) {
	js := jsonObject + c.js
	if c.n > 0 {
		js -= jsonComma // n elements, n-1 commas
	}
	return c.size, js, !c.odd
}
