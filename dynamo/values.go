package dynamo

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
)

// A value of a type that holds an interface (map[string]any, a struct with
// an `any` field) can hold anything, and a value of a type that refers to
// itself (type Node struct{ Next *Node }) can contain itself. attributevalue
// leaves out a channel or function met in such a value and recurses for ever
// into one that contains itself, so Put walks these items first:
// checkValues refuses what would be dropped or would never end.

// cycleDepth is the depth of a walk past which the pointers, maps and slices
// on the current path are remembered, to tell a cycle: an item DynamoDB
// accepts is never that deep (32 levels of Lists and Maps), so the common
// walk remembers nothing.
const cycleDepth = 100

// checkValues returns an ErrInvalidItem error naming the first channel or
// function in v, or the first value that contains itself. tagKey is the
// encoder's TagKey: the struct tags that name and leave out fields.
func checkValues(v any, tagKey string) error {
	w := valueWalker{tagKey: tagKey}
	bad := w.dynamic(v)
	if bad == nil {
		return nil
	}
	slices.Reverse(bad.path)
	path := strings.TrimPrefix(strings.Join(bad.path, ""), ".")
	return fmt.Errorf("%w: attribute %s %s", ErrInvalidItem, path, bad.what)
}

// badValue is what checkValues found, with the path to it in reverse order
// (it is built on the way back up).
type badValue struct {
	path []string
	what string
}

func (b *badValue) at(seg string) *badValue {
	b.path = append(b.path, seg)
	return b
}

type valueWalker struct {
	tagKey string // see checkValues
	depth  int
	seen   map[pathRef]struct{} // past cycleDepth: what is on the current path
}

// pathRef identifies a pointer, map or slice for cycle detection.
type pathRef struct {
	typ reflect.Type
	ptr unsafe.Pointer
	len int
}

func refOf(v reflect.Value) pathRef {
	ref := pathRef{v.Type(), v.UnsafePointer(), 0}
	if v.Kind() == reflect.Slice {
		ref.len = v.Len()
	}
	return ref
}

// enter notes a step down to v, a non-nil pointer, map or slice, and
// reports whether v is already on the path: a cycle. v is made only past
// cycleDepth. A step that returns false is undone by leave.
func (w *valueWalker) enter(v func() reflect.Value) (cycle bool) {
	if w.depth++; w.depth <= cycleDepth {
		return false
	}
	if w.seen == nil {
		w.seen = map[pathRef]struct{}{}
	}
	ref := refOf(v())
	if _, ok := w.seen[ref]; ok {
		w.depth--
		return true
	}
	w.seen[ref] = struct{}{}
	return false
}

func (w *valueWalker) leave(v func() reflect.Value) {
	if w.depth > cycleDepth {
		delete(w.seen, refOf(v()))
	}
	w.depth--
}

const errCycle = "contains itself: a value that refers to itself cannot be marshalled"

// dynamic checks x, a value held by an interface.
func (w *valueWalker) dynamic(x any) *badValue {
	// Fast paths for what a map[string]any decoded from JSON holds.
	switch x := x.(type) {
	case nil, string, bool, int, int64, int32, float64, float32, uint, uint64, []byte, time.Time:
		return nil
	case map[string]any:
		if x == nil {
			return nil
		}
		rv := func() reflect.Value { return reflect.ValueOf(x) }
		if w.enter(rv) {
			return &badValue{what: errCycle}
		}
		defer w.leave(rv)
		for k, e := range x {
			if bad := w.dynamic(e); bad != nil {
				return bad.at("." + k)
			}
		}
		return nil
	case []any:
		if x == nil {
			return nil
		}
		rv := func() reflect.Value { return reflect.ValueOf(x) }
		if w.enter(rv) {
			return &badValue{what: errCycle}
		}
		defer w.leave(rv)
		for i, e := range x {
			if bad := w.dynamic(e); bad != nil {
				return bad.at(fmt.Sprintf("[%d]", i))
			}
		}
		return nil
	}
	return w.dynamicValue(reflect.ValueOf(x))
}

// dynamicValue checks v, a value held by an interface: its type first, then,
// if its type needs it, the value.
func (w *valueWalker) dynamicValue(v reflect.Value) *badValue {
	if !v.IsValid() {
		return nil
	}
	t := v.Type()
	info := typeInfoOf(t, w.tagKey)
	if info.unsupported {
		// Named by type, as New names a field: "c[] is a chan".
		p := strings.TrimPrefix(unsupportedIn(t, w.tagKey, "\x00", map[reflect.Type]bool{}), "\x00")
		seg, what, _ := strings.Cut(p, " is a ")
		return &badValue{path: []string{seg}, what: "is a " + what}
	}
	if !info.walk {
		return nil
	}
	return w.value(v)
}

// value checks v, whose type needs a walk.
func (w *valueWalker) value(v reflect.Value) *badValue {
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		e := v.Elem()
		if e.CanInterface() && (e.Kind() == reflect.Map || e.Kind() == reflect.Slice) {
			return w.dynamic(e.Interface()) // map[string]any, []any: the fast paths
		}
		return w.dynamicValue(e)
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		rv := func() reflect.Value { return v }
		if w.enter(rv) {
			return &badValue{what: errCycle}
		}
		defer w.leave(rv)
		return w.typed(v.Elem())
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		rv := func() reflect.Value { return v }
		if w.enter(rv) {
			return &badValue{what: errCycle}
		}
		defer w.leave(rv)
		if !typeInfoOf(v.Type().Elem(), w.tagKey).walk {
			return nil
		}
		for it := v.MapRange(); it.Next(); {
			if bad := w.typed(it.Value()); bad != nil {
				return bad.at("." + fmt.Sprint(it.Key()))
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice {
			if v.IsNil() {
				return nil
			}
			rv := func() reflect.Value { return v }
			if w.enter(rv) {
				return &badValue{what: errCycle}
			}
			defer w.leave(rv)
		}
		if !typeInfoOf(v.Type().Elem(), w.tagKey).walk {
			return nil
		}
		for i := range v.Len() {
			if bad := w.typed(v.Index(i)); bad != nil {
				return bad.at(fmt.Sprintf("[%d]", i))
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, ok := marshalledName(f, w.tagKey)
			if !ok || !typeInfoOf(f.Type, w.tagKey).walk {
				continue
			}
			if bad := w.typed(v.Field(i)); bad != nil {
				return bad.at("." + name)
			}
		}
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return &badValue{what: "is a " + v.Kind().String()}
	}
	return nil
}

// typed checks v, a value of a static type, if its type needs it.
func (w *valueWalker) typed(v reflect.Value) *badValue {
	if !typeInfoOf(v.Type(), w.tagKey).walk {
		return nil
	}
	return w.value(v)
}

// marshalledName returns the name attributevalue gives field f under
// tagKey, and false for a field it leaves out. As attributevalue does, it
// reads the dynamodbav tag, and a tagKey tag in its place where there is one.
func marshalledName(f reflect.StructField, tagKey string) (string, bool) {
	if !f.IsExported() && !f.Anonymous {
		return "", false
	}
	tag := f.Tag.Get(defaultTagKey)
	if tagKey != "" && tagKey != defaultTagKey {
		if t := f.Tag.Get(tagKey); t != "" {
			tag = t
		}
	}
	if tag == "-" {
		return "", false
	}
	if n, _, _ := strings.Cut(tag, ","); n != "" {
		return n, true
	}
	return f.Name, true
}

// defaultTagKey is attributevalue's TagKey unless EncoderOptions set
// another.
const defaultTagKey = "dynamodbav"

// tagKeyOf returns the TagKey of an encoder made with opts.
func tagKeyOf(opts func(*attributevalue.EncoderOptions)) string {
	o := attributevalue.EncoderOptions{TagKey: defaultTagKey}
	if opts != nil {
		opts(&o)
	}
	return o.TagKey
}

// typeInfo says how checkValues treats the values of a type.
type typeInfo struct {
	walk        bool // may hold an interface, a channel or function, or itself
	unsupported bool // holds a channel or function in a marshalled place
}

var typeInfos sync.Map // typeInfoKey -> typeInfo

type typeInfoKey struct {
	t      reflect.Type
	tagKey string
}

var (
	marshalerType = reflect.TypeFor[attributevalue.Marshaler]()
	timeType      = reflect.TypeFor[time.Time]()
)

// typeInfoOf returns the typeInfo of t under the encoder's tagKey.
func typeInfoOf(t reflect.Type, tagKey string) typeInfo {
	key := typeInfoKey{t, tagKey}
	if info, ok := typeInfos.Load(key); ok {
		return info.(typeInfo)
	}
	info := typeInfo{
		walk:        needsWalk(t, tagKey, map[reflect.Type]bool{}),
		unsupported: unsupportedIn(t, tagKey, "", map[reflect.Type]bool{}) != "",
	}
	typeInfos.Store(key, info)
	return info
}

// needsWalk reports whether a value of type t may hold an interface, a
// channel or function, or itself, in a place attributevalue marshals under
// tagKey. onPath holds the types being looked at, to tell a type that refers
// to itself.
func needsWalk(t reflect.Type, tagKey string, onPath map[reflect.Type]bool) bool {
	if onPath[t] {
		return true // refers to itself
	}
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) ||
		t.ConvertibleTo(timeType) {
		return false // marshalled by its own method, or as a string
	}
	onPath[t] = true
	defer delete(onPath, t)
	switch t.Kind() {
	case reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return true
	case reflect.Pointer, reflect.Map:
		return needsWalk(t.Elem(), tagKey, onPath)
	case reflect.Slice, reflect.Array:
		return t.Elem().Kind() != reflect.Uint8 && needsWalk(t.Elem(), tagKey, onPath)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if _, ok := marshalledName(f, tagKey); ok && needsWalk(f.Type, tagKey, onPath) {
				return true
			}
		}
	}
	return false
}
