package dynamo

import (
	"reflect"
	"strconv"
	"strings"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchutils/batchutils/internal/ddbsize"
)

// A flat struct of strings, numbers and booleans is the common item, and for
// it attributevalue's reflection costs more than the map it makes: it boxes
// the item, looks at every field's kind, tags and methods again for every
// item, and allocates each attribute value on its own. structPlan does the
// same work once per type, in New, and then makes each item's map from the
// field offsets, with its attribute values in one allocation and its
// numbers in one string, counting its sizes on the way (ddbsize.Counter) so
// that the map is not walked again. The map it makes is the one
// attributevalue makes, value for value (TestStructPlanMatchesAttributevalue
// and FuzzStructPlan hold it to that); a type it does not cover exactly is
// left to attributevalue.

// structPlan encodes the items of one struct type.
type structPlan struct {
	fields []planField
	nN     int // number fields
	// slots is how many planValues an item takes: as many as the most
	// fields of one attribute type.
	slots int
}

// planValues holds one attribute value of each type that a plan makes:
// an item's values are made in one slice of them.
type planValues struct {
	s types.AttributeValueMemberS
	n types.AttributeValueMemberN
	b types.AttributeValueMemberBOOL
}

// planField is a field that the plan marshals.
type planField struct {
	name   string
	offset uintptr
	kind   reflect.Kind
}

// planOf returns the plan of t, or nil if attributevalue is to marshal its
// items: t must be a struct without methods that marshal it, without
// embedded fields, whose marshalled fields are all of Go's own string, bool,
// integer and float types, each named once, with no tag options; and the
// encoder must have its default options (opts nil).
func planOf(t reflect.Type, opts func(*attributevalue.EncoderOptions)) *structPlan {
	if opts != nil || t.Kind() != reflect.Struct || t.ConvertibleTo(timeType) ||
		t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) {
		return nil
	}
	p := &structPlan{}
	var nS, nBool int
	seen := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return nil // embedded: attributevalue's rules for promoted fields
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get(defaultTagKey)
		name, _, hasOpts := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if hasOpts {
			return nil // omitempty, string, unixtime, ...
		}
		if name == "" {
			name = f.Name
		}
		if seen[name] {
			return nil // attributevalue's rules for names given twice
		}
		seen[name] = true
		ft := f.Type
		if ft.PkgPath() != "" {
			return nil // a named type of its own: it may have methods, or be a Number
		}
		switch ft.Kind() {
		case reflect.String:
			nS++
		case reflect.Bool:
			nBool++
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64:
			p.nN++
		default:
			return nil
		}
		p.fields = append(p.fields, planField{name: name, offset: f.Offset, kind: ft.Kind()})
	}
	p.slots = max(nS, p.nN, nBool)
	return p
}

// encode makes the attribute value map of the struct at item, a pointer to
// a value of the plan's type, and counts its sizes.
func (p *structPlan) encode(item unsafe.Pointer) (map[string]types.AttributeValue, ddbsize.Counter) {
	var c ddbsize.Counter
	m := make(map[string]types.AttributeValue, len(p.fields))
	var vals []planValues
	if p.slots > 0 {
		vals = make([]planValues, p.slots)
	}
	nS, nBool := 0, 0
	// The numbers are written one after the other into one buffer, made
	// one string, and cut from it: one allocation for all of them. ends
	// holds where each one ends.
	var (
		stack [128]byte
		buf   = stack[:0]
		ends  [16]int
		end   = ends[:0]
	)
	for _, f := range p.fields {
		at := unsafe.Add(item, f.offset)
		switch f.kind {
		case reflect.String:
			v := &vals[nS].s
			nS++
			v.Value = *(*string)(at)
			m[f.name] = v
			c.String(f.name, v.Value)
		case reflect.Bool:
			v := &vals[nBool].b
			nBool++
			v.Value = *(*bool)(at)
			m[f.name] = v
			c.Bool(f.name, v.Value)
		case reflect.Int:
			buf = strconv.AppendInt(buf, int64(*(*int)(at)), 10)
			end = append(end, len(buf))
		case reflect.Int8:
			buf = strconv.AppendInt(buf, int64(*(*int8)(at)), 10)
			end = append(end, len(buf))
		case reflect.Int16:
			buf = strconv.AppendInt(buf, int64(*(*int16)(at)), 10)
			end = append(end, len(buf))
		case reflect.Int32:
			buf = strconv.AppendInt(buf, int64(*(*int32)(at)), 10)
			end = append(end, len(buf))
		case reflect.Int64:
			buf = strconv.AppendInt(buf, *(*int64)(at), 10)
			end = append(end, len(buf))
		case reflect.Uint:
			buf = strconv.AppendUint(buf, uint64(*(*uint)(at)), 10)
			end = append(end, len(buf))
		case reflect.Uint8:
			buf = strconv.AppendUint(buf, uint64(*(*uint8)(at)), 10)
			end = append(end, len(buf))
		case reflect.Uint16:
			buf = strconv.AppendUint(buf, uint64(*(*uint16)(at)), 10)
			end = append(end, len(buf))
		case reflect.Uint32:
			buf = strconv.AppendUint(buf, uint64(*(*uint32)(at)), 10)
			end = append(end, len(buf))
		case reflect.Uint64:
			buf = strconv.AppendUint(buf, *(*uint64)(at), 10)
			end = append(end, len(buf))
		case reflect.Float32:
			buf = strconv.AppendFloat(buf, float64(*(*float32)(at)), 'f', -1, 32)
			end = append(end, len(buf))
		case reflect.Float64:
			buf = strconv.AppendFloat(buf, *(*float64)(at), 'f', -1, 64)
			end = append(end, len(buf))
		}
	}
	if p.nN > 0 {
		nums := string(buf)
		start, j := 0, 0
		for _, f := range p.fields {
			switch f.kind {
			case reflect.String, reflect.Bool:
				continue
			}
			n := &vals[j].n
			n.Value = nums[start:end[j]]
			start = end[j]
			m[f.name] = n
			c.Number(f.name, n.Value)
			j++
		}
	}
	return m, c
}
