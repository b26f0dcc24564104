package testutil

import "net/http"

// CodecWhole answers a batch call of c, read from r and body, as c's
// service does when it takes every entry, and returns the number of
// entries; false if it is not such a call.
func CodecWhole(c *Codec, r *http.Request, body []byte, w http.ResponseWriter) (int, bool) {
	if !c.c.match(r, body) {
		return 0, false
	}
	call, err := c.c.parse(body)
	if err != nil {
		return 0, false
	}
	out := call.whole("UPSTREAM")
	if c == DynamoDBCodec { // its whole answer is the garbling's: every request left unprocessed
		out = []byte(`{"UnprocessedItems":{}}`)
	}
	for k, v := range c.c.headers(out, "UPSTREAM") {
		w.Header()[k] = v
	}
	w.WriteHeader(http.StatusOK)
	w.Write(out)
	return call.len(), true
}
