package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/internal/ddbsize"
)

// writer is the batch.Backend of a Dispatcher: it makes write requests of
// the caller's items and writes them with BatchWriteItem.
type writer[T any] struct {
	client Client
	cfg    Config
	enc    *attributevalue.Encoder
	limits batch.Limits
	walk   bool        // T may hold an interface or itself: checkValues each item
	tagKey string      // the encoder's TagKey, for checkValues
	plan   *structPlan // nil: attributevalue marshals the items (typed.go)
	gate   *awscall.Gate
}

// JSON around one write request in the body.
var (
	putOverhead    = len(`{"PutRequest":{"Item":}},`)
	deleteOverhead = len(`{"DeleteRequest":{"Key":}},`)
)

// Encode makes item's PutRequest and checks it.
func (w *writer[T]) Encode(item T) (batch.Entry[types.WriteRequest], error) {
	return w.encode(item, false)
}

// encodeDelete makes the DeleteRequest of item's key.
func (w *writer[T]) encodeDelete(item T) (batch.Entry[types.WriteRequest], error) {
	return w.encode(item, true)
}

// encode marshals item once and checks it: its entry is the write request
// to send, keyed by the item's primary key.
func (w *writer[T]) encode(item T, del bool) (batch.Entry[types.WriteRequest], error) {
	var r batch.Entry[types.WriteRequest]
	var (
		av      map[string]types.AttributeValue
		sizes   ddbsize.Counter
		counted bool // sizes holds av's sizes
	)
	if w.plan != nil {
		av, sizes = w.plan.encode(unsafe.Pointer(&item))
		counted = w.cfg.PartitionKeyLocation == "" // else av is changed below
	} else {
		var err error
		if av, err = w.marshal(item); err != nil {
			return r, err
		}
	}
	pk, sk, err := w.keyOf(av)
	if err != nil {
		return r, err
	}
	if w.cfg.PartitionKeyLocation != "" {
		// A copy: the caller's map is never modified.
		cp := make(map[string]types.AttributeValue, len(av)+1)
		for k, v := range av {
			cp[k] = v
		}
		cp[w.cfg.PartitionKey] = pk
		av = cp
	}
	r.Key = w.dedupKey(pk, sk)
	if del {
		keyAV := map[string]types.AttributeValue{w.cfg.PartitionKey: pk}
		if w.cfg.SortKey != "" {
			keyAV[w.cfg.SortKey] = sk
		}
		r.Value.DeleteRequest = &types.DeleteRequest{Key: keyAV}
		r.Size = deleteOverhead + ddbsize.JSONSize(keyAV)
		return r, nil
	}
	var size, js int
	var plain bool
	if counted {
		size, js, plain = sizes.Sizes()
	} else {
		size, js, plain = ddbsize.SizesChecked(av)
	}
	if !plain {
		if err := validateItem(av); err != nil {
			return r, err
		}
	}
	if size > MaxItemBytes {
		return r, fmt.Errorf("%w: %d bytes by DynamoDB's rules, the most is %d", batch.ErrItemTooLarge, size, MaxItemBytes)
	}
	r.Value.PutRequest = &types.PutRequest{Item: av}
	r.Size = putOverhead + js
	return r, nil
}

// marshal returns item as an attribute value map: as it is for a
// map[string]types.AttributeValue, else through attributevalue.
func (w *writer[T]) marshal(item T) (map[string]types.AttributeValue, error) {
	v := any(item) // boxed once
	switch m := v.(type) {
	case map[string]types.AttributeValue:
		if m == nil {
			return nil, fmt.Errorf("%w: nil map", ErrInvalidItem)
		}
		return m, nil
	}
	if w.walk {
		if err := checkValues(v, w.tagKey); err != nil {
			return nil, err
		}
	}
	av, err := w.enc.Encode(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidItem, err)
	}
	m, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return nil, fmt.Errorf("%w: a %T does not marshal to a map (got %s)", ErrInvalidItem, item, typeName(av))
	}
	return m.Value, nil
}

func typeName(av types.AttributeValue) string {
	switch av.(type) {
	case nil:
		return "nothing"
	case *types.AttributeValueMemberNULL:
		return "NULL"
	case *types.AttributeValueMemberS:
		return "S"
	case *types.AttributeValueMemberN:
		return "N"
	case *types.AttributeValueMemberB:
		return "B"
	case *types.AttributeValueMemberBOOL:
		return "BOOL"
	case *types.AttributeValueMemberL:
		return "L"
	case *types.AttributeValueMemberM:
		return "M"
	case *types.AttributeValueMemberSS:
		return "SS"
	case *types.AttributeValueMemberNS:
		return "NS"
	case *types.AttributeValueMemberBS:
		return "BS"
	}
	return fmt.Sprintf("%T", av)
}

// keyOf returns the item's partition key (taken from PartitionKeyLocation
// if set) and sort key, checked against their types and lengths.
func (w *writer[T]) keyOf(av map[string]types.AttributeValue) (pk, sk types.AttributeValue, err error) {
	if loc := w.cfg.PartitionKeyLocation; loc != "" {
		src, ok := av[loc]
		if !ok {
			return nil, nil, fmt.Errorf("%w: partition key location %q is missing", ErrInvalidKey, loc)
		}
		if pk, err = convertKey(src, w.cfg.PartitionKeyType); err != nil {
			return nil, nil, fmt.Errorf("%w: partition key location %q: %w", ErrInvalidKey, loc, err)
		}
	} else {
		pk = av[w.cfg.PartitionKey]
	}
	if err := checkKey(pk, w.cfg.PartitionKeyType, MaxPartitionKeyBytes); err != nil {
		return nil, nil, fmt.Errorf("%w: partition key %q %w", ErrInvalidKey, w.cfg.PartitionKey, err)
	}
	if w.cfg.SortKey != "" {
		sk = av[w.cfg.SortKey]
		if err := checkKey(sk, w.cfg.SortKeyType, MaxSortKeyBytes); err != nil {
			return nil, nil, fmt.Errorf("%w: sort key %q %w", ErrInvalidKey, w.cfg.SortKey, err)
		}
	}
	return pk, sk, nil
}

// checkKey checks a key value against its type and longest length.
func checkKey(av types.AttributeValue, want KeyType, maxBytes int) error {
	if isNil(av) {
		return errors.New("is missing")
	}
	var n int
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		if want != String {
			return fmt.Errorf("is S, the table wants %v", want)
		}
		if !utf8.ValidString(v.Value) {
			return errors.New("is not valid UTF-8")
		}
		n = len(v.Value)
	case *types.AttributeValueMemberN:
		if want != Number {
			return fmt.Errorf("is N, the table wants %v", want)
		}
		if _, err := ddbsize.NumberSize(v.Value); err != nil {
			return fmt.Errorf("is not a valid number: %w", err)
		}
		n = len(v.Value)
	case *types.AttributeValueMemberB:
		if want != Binary {
			return fmt.Errorf("is B, the table wants %v", want)
		}
		n = len(v.Value)
	default:
		return fmt.Errorf("is %s, the table wants %v", typeName(av), want)
	}
	if n == 0 {
		return errors.New("is empty")
	}
	if n > maxBytes {
		return fmt.Errorf("is %d bytes long, the most is %d", n, maxBytes)
	}
	return nil
}

// isNil reports whether av is nil or a nil pointer to a member type, which
// the SDK cannot serialize.
func isNil(av types.AttributeValue) bool {
	switch v := av.(type) {
	case nil:
		return true
	case *types.AttributeValueMemberS:
		return v == nil
	case *types.AttributeValueMemberN:
		return v == nil
	case *types.AttributeValueMemberB:
		return v == nil
	case *types.AttributeValueMemberBOOL:
		return v == nil
	case *types.AttributeValueMemberNULL:
		return v == nil
	case *types.AttributeValueMemberL:
		return v == nil
	case *types.AttributeValueMemberM:
		return v == nil
	case *types.AttributeValueMemberSS:
		return v == nil
	case *types.AttributeValueMemberNS:
		return v == nil
	case *types.AttributeValueMemberBS:
		return v == nil
	}
	return false
}

// convertKey converts the value found at the partition key location to the
// key's type: a string of digits to a number, a number to its decimal
// string.
func convertKey(av types.AttributeValue, to KeyType) (types.AttributeValue, error) {
	if isNil(av) {
		return nil, errors.New("has no value")
	}
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		switch to {
		case String:
			return v, nil
		case Number:
			if _, err := ddbsize.NumberSize(v.Value); err != nil {
				return nil, fmt.Errorf("%q is not a number: %w", v.Value, err)
			}
			return &types.AttributeValueMemberN{Value: v.Value}, nil
		case Binary:
			return &types.AttributeValueMemberB{Value: []byte(v.Value)}, nil
		}
	case *types.AttributeValueMemberN:
		switch to {
		case String:
			return &types.AttributeValueMemberS{Value: v.Value}, nil
		case Number:
			return v, nil
		}
	case *types.AttributeValueMemberB:
		if to == Binary {
			return v, nil
		}
	}
	return nil, fmt.Errorf("a %s cannot be converted to %v", typeName(av), to)
}

// dedupKey returns the primary key as a string: equal for items that
// DynamoDB takes for the same key. Numbers are put in a canonical form, as
// DynamoDB compares them by value ("1" and "1.0" are one key).
func (w *writer[T]) dedupKey(pk, sk types.AttributeValue) string {
	p := keyString(pk)
	if sk == nil {
		return p
	}
	return strconv.Itoa(len(p)) + ":" + p + keyString(sk)
}

func keyString(av types.AttributeValue) string {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberB:
		return string(v.Value)
	case *types.AttributeValueMemberN:
		return ddbsize.CanonicalNumber(v.Value)
	}
	return ""
}

// validateItem checks the names and values that DynamoDB refuses in any
// attribute, or that the SDK would change on the way: names that are empty
// (at any depth), too long or not UTF-8, numbers that are not numbers, strings that are not
// UTF-8, nil binary values, empty sets, sets with duplicates, nesting deeper
// than 32 levels.
func validateItem(av map[string]types.AttributeValue) error {
	for name, v := range av {
		if err := checkName(name); err != nil {
			return fmt.Errorf("%w: attribute name %q %w", ErrInvalidItem, name, err)
		}
		if err := validateValue(v, 1); err != nil {
			return fmt.Errorf("%w: attribute %q: %w", ErrInvalidItem, name, err)
		}
	}
	return nil
}

// checkName checks an attribute name of an item: 1 to 65,535 bytes of
// UTF-8.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("is empty: DynamoDB wants at least one character")
	case len(name) > ddbsize.MaxNameSize:
		return fmt.Errorf("is %d bytes long, the most is %d", len(name), ddbsize.MaxNameSize)
	case !utf8.ValidString(name):
		return errNotUTF8
	}
	return nil
}

// errNotUTF8 says why a string is refused: the SDK would send U+FFFD in
// place of each invalid byte, changing the data (and, in a key, merging two
// keys into one).
var errNotUTF8 = errors.New("is not valid UTF-8")

func validateValue(av types.AttributeValue, depth int) error {
	if isNil(av) {
		return errors.New("has no value")
	}
	switch v := av.(type) {
	case *types.AttributeValueMemberN:
		if _, err := ddbsize.NumberSize(v.Value); err != nil {
			return err
		}
	case *types.AttributeValueMemberS:
		if !utf8.ValidString(v.Value) {
			return errNotUTF8
		}
	case *types.AttributeValueMemberB:
		if v.Value == nil {
			return errors.New("is a nil []byte: the SDK would send null")
		}
	case *types.AttributeValueMemberSS:
		for i, e := range v.Value {
			if !utf8.ValidString(e) {
				return fmt.Errorf("[%d] %w", i, errNotUTF8)
			}
		}
		return checkSet(v.Value, func(s string) string { return s })
	case *types.AttributeValueMemberBS:
		for i, e := range v.Value {
			if e == nil {
				return fmt.Errorf("[%d] is a nil []byte: the SDK would send null", i)
			}
		}
		return checkSet(v.Value, func(b []byte) string { return string(b) })
	case *types.AttributeValueMemberNS:
		for _, n := range v.Value {
			if _, err := ddbsize.NumberSize(n); err != nil {
				return err
			}
		}
		return checkSet(v.Value, ddbsize.CanonicalNumber)
	case *types.AttributeValueMemberL:
		if depth > ddbsize.MaxDepth {
			return fmt.Errorf("nested deeper than %d levels", ddbsize.MaxDepth)
		}
		for i, e := range v.Value {
			if err := validateValue(e, depth+1); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
	case *types.AttributeValueMemberM:
		if depth > ddbsize.MaxDepth {
			return fmt.Errorf("nested deeper than %d levels", ddbsize.MaxDepth)
		}
		for k, e := range v.Value {
			if k == "" {
				return errors.New("holds an empty attribute name: DynamoDB wants at least one character at any depth")
			}
			if !utf8.ValidString(k) {
				return fmt.Errorf("name %q %w", k, errNotUTF8)
			}
			if err := validateValue(e, depth+1); err != nil {
				return fmt.Errorf(".%s: %w", k, err)
			}
		}
	case *types.AttributeValueMemberNULL:
		if !v.Value {
			return errors.New("is NULL with the value false: DynamoDB takes only NULL true")
		}
	case *types.AttributeValueMemberBOOL:
	default:
		return fmt.Errorf("has an unknown type %T", av)
	}
	return nil
}

func checkSet[E any](set []E, key func(E) string) error {
	if len(set) == 0 {
		return errors.New("is an empty set")
	}
	if len(set) < 2 {
		return nil
	}
	seen := make(map[string]struct{}, len(set))
	for _, e := range set {
		k := key(e)
		if _, dup := seen[k]; dup {
			return errors.New("is a set with duplicate values")
		}
		seen[k] = struct{}{}
	}
	return nil
}

// Limits returns BatchWriteItem's limits: 25 requests, and a body under
// MaxBatchBytes. The 400,000-byte item limit is checked by prepare, by
// DynamoDB's size rules; the core checks the bytes of the request body.
func (w *writer[T]) Limits() batch.Limits { return w.limits }

// Name names the package in the errors of Config.Batch.
func (w *writer[T]) Name() string { return "dynamo" }

// Write sends one BatchWriteItem call and returns the requests that
// DynamoDB left unprocessed. The call's error is classified by
// internal/awscall: those that no retry fixes (a validation error, an
// unknown table, denied access, a client that fails before it sends
// anything) are marked batch.Permanent or batch.PermanentForAll, throttling
// batch.Throttle, a call sent without an answer batch.MaybeWritten.
func (w *writer[T]) Write(ctx context.Context, wrs []types.WriteRequest) (batch.Outcome, error) {
	call := awscall.DynamoDB.NewCall().Gated(w.gate)
	out, err := w.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
		RequestItems: map[string][]types.WriteRequest{w.cfg.Table: wrs},
	}, func(o *dynamodb.Options) {
		awscall.Install(call, &o.Retryer, &o.HTTPClient, &o.APIOptions)
		o.Protocol = awscall.FastBody(o.Protocol, batchWriteItemBody)
	})
	if err != nil {
		return batch.Outcome{}, call.Classify(ctx, err)
	}
	left := out.UnprocessedItems[w.cfg.Table]
	if len(left) == 0 {
		return batch.Outcome{}, nil
	}
	retry, err := w.match(wrs, left)
	if err != nil {
		return batch.Outcome{}, err
	}
	// DynamoDB leaves items unprocessed when their partition is over its
	// capacity: a throttle.
	return batch.Outcome{Retry: retry, Throttled: true}, nil
}

// match finds the indexes of the requests that DynamoDB returned
// unprocessed, by key.
func (w *writer[T]) match(sent, left []types.WriteRequest) ([]int, error) {
	byKey := make(map[string]int, len(sent))
	for i, wr := range sent {
		byKey[w.keyOfRequest(wr)] = i
	}
	out := make([]int, 0, len(left))
	for _, wr := range left {
		k := w.keyOfRequest(wr)
		i, ok := byKey[k]
		if !ok {
			return nil, fmt.Errorf("dynamo: DynamoDB returned an unprocessed request that was not sent (key %q)", k)
		}
		delete(byKey, k)
		out = append(out, i)
	}
	return out, nil
}

// keyOfRequest returns the primary key of a write request, as encode keys
// it.
func (w *writer[T]) keyOfRequest(wr types.WriteRequest) string {
	var av map[string]types.AttributeValue
	switch {
	case wr.PutRequest != nil:
		av = wr.PutRequest.Item
	case wr.DeleteRequest != nil:
		av = wr.DeleteRequest.Key
	}
	return w.dedupKey(av[w.cfg.PartitionKey], sortKeyOf(av, w.cfg.SortKey))
}

func sortKeyOf(av map[string]types.AttributeValue, name string) types.AttributeValue {
	if name == "" {
		return nil
	}
	return av[name]
}

// MetricLabels names the backend and the table in the metrics.
func (w *writer[T]) MetricLabels() (backend, target string) { return "dynamodb", w.cfg.Table }
