package awscall

import (
	"encoding/json"
	"testing"
)

// FuzzJSONReader holds JSONReader to encoding/json: it reads exactly the
// valid JSON documents (Skip then End), and a string the way json.Unmarshal
// does.
func FuzzJSONReader(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `""`, `"a\"b\\c\/\b\f\n\r\t"`, `"\u00e9\ud834\udd1e\ud800\udc00x\ud800"`, `{"a":[1,-2.5e3,true,false,null,{"b":"c"}]}`,
		`{"a":1,}`, `[1 2]`, `"\x01"`, `01`, `-`, `1e`, ` {"a" : "b" } `, `{} {}`, `"\uD800\u0041"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := NewJSONReader(body)
		r.Skip()
		r.End()
		if valid := json.Valid(body); (r.Err == nil) != valid {
			t.Fatalf("%q: read without error %t, json.Valid %t", body, r.Err == nil, valid)
		}
		var want string
		if json.Unmarshal(body, &want) != nil || !json.Valid(body) {
			return
		}
		r = NewJSONReader(body)
		if got := r.String(); r.Err != nil || got != want {
			t.Fatalf("%q: String %q (error %v), json.Unmarshal %q", body, got, r.Err, want)
		}
	})
}
