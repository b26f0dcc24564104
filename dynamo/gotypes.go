package dynamo

import (
	"fmt"
	"reflect"
	"strings"
)

// attributevalue leaves out channels and functions without a word. So that
// no field is dropped silently, New refuses an item type that holds one, and
// Put refuses a map[string]any item that holds one.

// checkItemType returns an error naming the first channel or function that
// items of type t would hold, in fields attributevalue would marshal.
func checkItemType(t reflect.Type) error {
	if path := unsupportedIn(t, "", map[reflect.Type]bool{}); path != "" {
		return fmt.Errorf("dynamo: %v cannot be marshalled: %s", t, path)
	}
	return nil
}

func unsupportedIn(t reflect.Type, path string, seen map[reflect.Type]bool) string {
	if t == nil || seen[t] {
		return ""
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		if path == "" {
			return fmt.Sprintf("it is a %v", t.Kind())
		}
		return fmt.Sprintf("%s is a %v", path, t.Kind())
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return unsupportedIn(t.Elem(), path+"[]", seen)
	case reflect.Map:
		return unsupportedIn(t.Elem(), path+"[]", seen)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() && !f.Anonymous {
				continue
			}
			tag := f.Tag.Get("dynamodbav")
			if tag == "-" {
				continue
			}
			name := f.Name
			if n, _, _ := strings.Cut(tag, ","); n != "" {
				name = n
			}
			if p := unsupportedIn(f.Type, joinPath(path, name), seen); p != "" {
				return p
			}
		}
	}
	return ""
}

func joinPath(path, name string) string {
	if path == "" {
		return "field " + name
	}
	return path + "." + name
}

// checkDynamic returns an error naming the first channel or function in a
// value of dynamic type, as held by a map[string]any.
func checkDynamic(m map[string]any) error {
	for k, v := range m {
		if err := checkValue(v, k); err != nil {
			return err
		}
	}
	return nil
}

func checkValue(v any, path string) error {
	switch x := v.(type) {
	case nil, string, bool, int, int64, int32, float64, float32, uint, uint64, []byte:
		return nil
	case map[string]any:
		for k, e := range x {
			if err := checkValue(e, path+"."+k); err != nil {
				return err
			}
		}
		return nil
	case []any:
		for i, e := range x {
			if err := checkValue(e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	}
	if p := unsupportedIn(reflect.TypeOf(v), "attribute "+path, map[reflect.Type]bool{}); p != "" {
		return fmt.Errorf("%w: %s", ErrInvalidItem, p)
	}
	return nil
}
