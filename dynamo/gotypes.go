package dynamo

import (
	"fmt"
	"reflect"
)

// attributevalue leaves out channels and functions without a word, and
// recurses for ever into a value that contains itself. So that no field is
// dropped silently and no item hangs or crashes the process, New refuses an
// item type that holds a channel or function, and Put walks the items whose
// type holds an interface or refers to itself (see values.go).

// checkItemType returns an error naming the first channel or function that
// items of type t would hold, in fields attributevalue would marshal under
// tagKey.
func checkItemType(t reflect.Type, tagKey string) error {
	if path := unsupportedIn(t, tagKey, "", map[reflect.Type]bool{}); path != "" {
		return fmt.Errorf("dynamo: %v cannot be marshalled: %s", t, path)
	}
	return nil
}

func unsupportedIn(t reflect.Type, tagKey, path string, seen map[reflect.Type]bool) string {
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
		return unsupportedIn(t.Elem(), tagKey, path+"[]", seen)
	case reflect.Map:
		return unsupportedIn(t.Elem(), tagKey, path+"[]", seen)
	case reflect.Struct:
		for i := range t.NumField() {
			name, ok := marshalledName(t.Field(i), tagKey)
			if !ok {
				continue
			}
			if p := unsupportedIn(t.Field(i).Type, tagKey, joinPath(path, name), seen); p != "" {
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
