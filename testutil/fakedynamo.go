package testutil

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/batchutils/batchutils/internal/ddbsize"
)

// KeySchema is the primary key of a table: a partition key and an optional
// sort key, each with its scalar type.
type KeySchema struct {
	// PartitionKey is the name of the partition (HASH) key attribute. Required.
	PartitionKey string
	// PartitionKeyType is S, N or B; the zero value means S.
	PartitionKeyType types.ScalarAttributeType
	// SortKey is the name of the sort (RANGE) key attribute; "" means the
	// table has a partition key only.
	SortKey string
	// SortKeyType is S, N or B; the zero value means S.
	SortKeyType types.ScalarAttributeType
}

// DynamoDB's limits on one BatchWriteItem call, as this fake enforces them.
const (
	fdMaxRequests          = 25         // write requests in one call, over all tables
	fdMaxRequestBytes      = 16_000_000 // request body; DynamoDB documents 16 MB
	fdMaxPartitionKeyBytes = 2048       // an S or B partition key value
	fdMaxSortKeyBytes      = 1024       // an S or B sort key value
	fdMaxReportedErrors    = 10         // "N validation errors detected" lists at most this many
)

// DynamoDB's messages for what BatchWriteItem refuses. The rules are the
// BatchWriteItem API reference's; the wording is what real DynamoDB answered
// when conformance suites captured it: paritysuite/dynamodb-conformance
// (tests/tier3/error-messages/batchWriteItem.test.ts and valueLayers.test.ts,
// tests/tier3/validation-ordering/batchOperations.test.ts, captures/) and the
// validation tests of architect/dynalite, which were recorded against
// DynamoDB. BatchWriteItem answers in DynamoDB's older validation layer: bare
// messages, without the "1 validation error detected: " envelope that PutItem
// now uses. Where DynamoDB echoes the request in Java's toString form, the
// fake writes "[...]" instead.
const (
	fdMsgNotFound        = "Requested resource not found"
	fdMsgRequired        = "The requestItems parameter is required for BatchWriteItem"
	fdMsgTooMany         = "Too many items requested for the BatchWriteItem call"
	fdMsgDuplicates      = "Provided list of item keys contains duplicates"
	fdMsgKeySchema       = "The provided key element does not match the schema"
	fdMsgItemSize        = "Item size has exceeded the maximum allowed size"
	fdMsgHashKeySize     = "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes"
	fdMsgRangeKeySize    = "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"
	fdMsgEmptyKey        = "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty %s value. Key: %s"
	fdMsgNotOneRequest   = "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
	fdMsgEmptyValue      = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
	fdMsgNullFalse       = "One or more parameter values were invalid: Null attribute value types must have the value of true"
	fdMsgEmptySS         = "One or more parameter values were invalid: An string set  may not be empty"
	fdMsgEmptyNS         = "One or more parameter values were invalid: An number set  may not be empty"
	fdMsgEmptyBS         = "One or more parameter values were invalid: Binary sets should not be empty"
	fdMsgNullInBS        = "One or more parameter values were invalid: Binary sets may not contain null or empty values"
	fdMsgDupSS           = "One or more parameter values were invalid: Input collection %s contains duplicates."
	fdMsgDupBS           = "One or more parameter values were invalid: Input collection %sof type BS contains duplicates."
	fdMsgDupNS           = "Input collection contains duplicates"
	fdMsgNotNumber       = "The parameter cannot be converted to a numeric value"
	fdMsgNumberOverflow  = "Number overflow. Attempting to store a number with magnitude larger than supported range"
	fdMsgNumberUnderflow = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
	fdMsgNumberPrecision = "Attempting to store more than 38 significant digits in a Number"
	fdMsgEnumRCC         = "Value '%s' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"
	fdMsgEnumRICM        = "Value '%s' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]"
	fdMsgTableName       = "Value '{%s=[...]}' at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]"
	fdMsgRequestCount    = "Value '{%s=%s}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"

	// Not DynamoDB's wording: no capture of these answers was found.
	fdMsgRequestSize   = "Request size %d bytes exceeded the %d bytes allowed for the BatchWriteItem call"
	fdMsgSerialization = "Request body is not valid JSON: aws-sdk-go-v2 writes no value for a nil or unknown attribute value in a map (attribute %q)"
)

// FakeDynamoDB is an in-memory DynamoDB that serves BatchWriteItem, for unit
// tests of code that takes the library's dynamo.Client. It refuses what
// DynamoDB refuses, with the same error types, codes and (where they could be
// found) messages, so that a test cannot pass against it where DynamoDB would
// refuse the call. Every call is recorded (Calls), and its behaviour can be
// scripted with Latency, Unprocessed, FailNext and BatchWriteItemFn.
//
// # What is refused, in DynamoDB's order
//
// A refused call applies nothing, whichever request caused it. The checks run
// in this order, and the first one that fails decides the error:
//
//  1. What aws-sdk-go-v2's own client refuses before sending anything, as a
//     smithy.InvalidParamsError: nil RequestItems, a PutRequest with a nil
//     Item, a DeleteRequest with a nil Key. A nil pointer member such as
//     (*types.AttributeValueMemberS)(nil), on which the real client panics,
//     is refused with a plain error.
//  2. A nil or *types.UnknownUnionMember value in an item, key or Map, for
//     which the SDK writes invalid JSON: a SerializationException. (In a
//     List the SDK drops such elements, and so does the fake.)
//  3. A request body over 16,000,000 bytes, the body measured as
//     aws-sdk-go-v2 writes it (ddbsize.JSONSize for the items): a
//     ValidationException. DynamoDB documents 16 MB; the fake counts
//     16,000,000 to stay on the safe side.
//  4. An unknown ReturnConsumedCapacity or ReturnItemCollectionMetrics.
//  5. An empty RequestItems map; then, reported together as "N validation
//     errors detected: ...", table names outside [a-zA-Z0-9_.-]{3,255} (a
//     table ARN is accepted and resolved to its table name) and tables with
//     0 or more than 25 write requests.
//  6. More than 25 write requests over all tables.
//  7. A WriteRequest with both or neither of PutRequest and DeleteRequest;
//     invalid attribute values in an item or key, including inside Lists and
//     Maps (a nil B, NULL false, an empty or duplicated set, a number that
//     does not parse, has more than 38 significant digits or is outside
//     1E-130 to 9.9...E+125); an item whose ddbsize.ItemSize exceeds
//     ddbsize.MaxItemSize (400,000 bytes; DynamoDB's own limit is 409,600).
//  8. A table that was not created: *types.ResourceNotFoundException.
//  9. Keys: a put item or delete key without the table's key attributes, with
//     a key attribute of another type, or (delete) with attributes beyond the
//     key; an empty S or B key value; an S or B partition key over 2048
//     bytes or sort key over 1024 bytes.
//  10. Two requests for one key in one table (put and put, put and delete,
//     delete and delete; numbers compared by value, so N "1" and "1.0" are
//     one key).
//
// Between checks 1 and 2 the call waits Latency (or returns when its context
// ends); after check 10 it takes the next FailNext error, if one is queued.
//
// Checks 2 to 10 return what real DynamoDB returns through aws-sdk-go-v2: a
// *smithy.OperationError wrapping an *awshttp.ResponseError (HTTP status 400,
// a request ID) wrapping a *types.ResourceNotFoundException or a
// *smithy.GenericAPIError with Code "ValidationException" or
// "SerializationException", with DynamoDB's message except for checks 2 and
// 3, whose wording is the fake's own. Check 1 returns, like the real client, a
// *smithy.OperationError wrapping the smithy.InvalidParamsError, with the
// client's exact text. Match errors with errors.As and the error code, never
// by type assertion on the returned error or by message.
//
// # Writes
//
// A put replaces the whole item; a delete of an absent item succeeds. Stored
// numbers are normalized as DynamoDB returns them ("1.50" and "15E-1" read
// back as "1.5"). The response always has a non-nil UnprocessedItems map,
// empty unless Unprocessed chose some requests. ConsumedCapacity and
// ItemCollectionMetrics are never returned.
//
// # Concurrency
//
// All methods are safe for concurrent use. Set the exported fields before the
// first call and do not change them while calls may be under way. A call's
// validation and writes happen atomically under one lock; Latency is waited
// without it. The fake counts keys that are written by two calls under way at
// once (ConcurrentKeyWrites), which a caller that promises never to do so can
// assert is zero.
type FakeDynamoDB struct {
	// BatchWriteItemFn, if set, is called by every BatchWriteItem (after the
	// call is recorded) instead of the fake's behaviour, which it may call as
	// next, with the same or another input. in is the caller's input: copy it
	// before changing it.
	BatchWriteItemFn func(ctx context.Context, in *dynamodb.BatchWriteItemInput,
		next func(context.Context, *dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error),
	) (*dynamodb.BatchWriteItemOutput, error)

	// Latency is how long each call waits before it is served. A call whose
	// context ends first returns an error wrapping ctx.Err() and applies
	// nothing.
	Latency time.Duration

	// Unprocessed, if set, is asked about every write request of a call that
	// passed validation and was not failed with FailNext, with the table name
	// as given in RequestItems and a copy of the request: true leaves the
	// request unapplied and returns it in UnprocessedItems, grouped by table
	// in request order, as DynamoDB does when it runs out of capacity. It is
	// called with the fake's lock held, so it may keep state without a lock
	// of its own but must not call the fake's methods.
	Unprocessed func(table string, req types.WriteRequest) bool

	mu         sync.Mutex
	tables     map[string]*fdTable
	calls      []*dynamodb.BatchWriteItemInput
	failures   []error
	busy       map[string]int // keys of the calls under way, with their number of calls
	concurrent int
	requests   int // responses served, for request IDs
}

// fdTable is one table: its key schema and its items by key identity.
type fdTable struct {
	schema KeySchema
	items  map[string]map[string]types.AttributeValue
}

// NewFakeDynamoDB returns a FakeDynamoDB without tables.
func NewFakeDynamoDB() *FakeDynamoDB {
	return &FakeDynamoDB{
		tables: make(map[string]*fdTable),
		busy:   make(map[string]int),
	}
}

// CreateTable creates an empty table called name with the key schema schema.
// It panics, as a mistake in the test's setup, when name is not a valid table
// name ([a-zA-Z0-9_.-], 3 to 255 characters) or is already taken, or when
// schema has no PartitionKey, a key type other than S, N or B, or a SortKey
// equal to its PartitionKey.
func (f *FakeDynamoDB) CreateTable(name string, schema KeySchema) {
	schema.PartitionKeyType = fdTypeOrS(schema.PartitionKeyType)
	if schema.SortKey != "" {
		schema.SortKeyType = fdTypeOrS(schema.SortKeyType)
	} else {
		schema.SortKeyType = ""
	}
	switch {
	case !fdValidTableName(name):
		panic(fmt.Sprintf("testutil: FakeDynamoDB.CreateTable: invalid table name %q", name))
	case schema.PartitionKey == "":
		panic(fmt.Sprintf("testutil: FakeDynamoDB.CreateTable(%q): empty PartitionKey", name))
	case !fdScalarType(schema.PartitionKeyType) || (schema.SortKey != "" && !fdScalarType(schema.SortKeyType)):
		panic(fmt.Sprintf("testutil: FakeDynamoDB.CreateTable(%q): key types must be S, N or B: %+v", name, schema))
	case schema.SortKey == schema.PartitionKey:
		panic(fmt.Sprintf("testutil: FakeDynamoDB.CreateTable(%q): SortKey equals PartitionKey", name))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tables[name]; ok {
		panic(fmt.Sprintf("testutil: FakeDynamoDB.CreateTable: table %q already exists", name))
	}
	f.tables[name] = &fdTable{schema: schema, items: make(map[string]map[string]types.AttributeValue)}
}

// Items returns copies of the items of table, sorted by partition key then
// sort key (strings and binaries bytewise, numbers by value), or nil when the
// table does not exist.
func (f *FakeDynamoDB) Items(table string) []map[string]types.AttributeValue {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tables[table]
	if t == nil {
		return nil
	}
	items := make([]map[string]types.AttributeValue, 0, len(t.items))
	for _, item := range t.items {
		items = append(items, item)
	}
	slices.SortFunc(items, func(a, b map[string]types.AttributeValue) int {
		if c := fdCompareScalar(a[t.schema.PartitionKey], b[t.schema.PartitionKey]); c != 0 {
			return c
		}
		if t.schema.SortKey == "" {
			return 0
		}
		return fdCompareScalar(a[t.schema.SortKey], b[t.schema.SortKey])
	})
	for i, item := range items {
		items[i] = fdCopyMap(item)
	}
	return items
}

// Item returns a copy of the item of table whose key attributes equal those
// of key (other attributes of key are ignored), and whether there is one.
func (f *FakeDynamoDB) Item(table string, key map[string]types.AttributeValue) (map[string]types.AttributeValue, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tables[table]
	if t == nil {
		return nil, false
	}
	id, ok := fdKeyID(t.schema, key)
	if !ok {
		return nil, false
	}
	item, ok := t.items[id]
	if !ok {
		return nil, false
	}
	return fdCopyMap(item), true
}

// Calls returns copies of the inputs of every BatchWriteItem call so far, in
// the order the calls started, refused and failed ones included (a nil input
// is recorded as an empty one).
func (f *FakeDynamoDB) Calls() []*dynamodb.BatchWriteItemInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	calls := make([]*dynamodb.BatchWriteItemInput, len(f.calls))
	for i, in := range f.calls {
		calls[i] = fdCopyInput(in)
	}
	return calls
}

// FailNext makes the next calls that pass validation fail with errs, one
// error per call, applying nothing. A call that DynamoDB would refuse is
// refused as usual and leaves errs for the next one (DynamoDB validates before
// it throttles). Each error is returned as the real client would: wrapped in a
// *smithy.OperationError and, for a smithy.APIError such as
// &types.ProvisionedThroughputExceededException{} or
// &smithy.GenericAPIError{Code: "ThrottlingException"}, in an
// *awshttp.ResponseError (status 500 for a server fault, else 400); an error
// that is already a *smithy.OperationError is returned as it is. Match them
// with errors.Is or errors.As.
func (f *FakeDynamoDB) FailNext(errs ...error) {
	f.mu.Lock()
	f.failures = append(f.failures, errs...)
	f.mu.Unlock()
}

// ConcurrentKeyWrites returns how many times a call started with a key (a
// table and primary key) that a call still under way also had, counted once
// per key and call. Calls refused by validation count too, for their keys
// that are well formed.
func (f *FakeDynamoDB) ConcurrentKeyWrites() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.concurrent
}

// BatchWriteItem records the call and serves it: after Latency, it validates
// the whole call as DynamoDB does, then fails it if FailNext asked to, then
// applies every request that Unprocessed does not leave unprocessed. optFns
// are ignored.
func (f *FakeDynamoDB) BatchWriteItem(ctx context.Context, params *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if params == nil {
		params = &dynamodb.BatchWriteItemInput{}
	}
	f.mu.Lock()
	f.calls = append(f.calls, fdCopyInput(params))
	keys := f.callKeysLocked(params)
	for _, k := range keys {
		if f.busy[k] > 0 {
			f.concurrent++
		}
		f.busy[k]++
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		for _, k := range keys {
			if f.busy[k]--; f.busy[k] == 0 {
				delete(f.busy, k)
			}
		}
		f.mu.Unlock()
	}()

	if fn := f.BatchWriteItemFn; fn != nil {
		return fn(ctx, params, f.serve)
	}
	return f.serve(ctx, params)
}

// callKeysLocked returns the distinct keys, as table and key identity, of the
// well-formed requests of in for existing tables.
func (f *FakeDynamoDB) callKeysLocked(in *dynamodb.BatchWriteItemInput) []string {
	var keys []string
	for name, reqs := range in.RequestItems {
		t := f.tables[fdResolveTable(name)]
		if t == nil {
			continue
		}
		for _, req := range reqs {
			var m map[string]types.AttributeValue
			switch {
			case req.PutRequest != nil:
				m = req.PutRequest.Item
			case req.DeleteRequest != nil:
				m = req.DeleteRequest.Key
			}
			if id, ok := fdKeyID(t.schema, m); ok {
				k := fdResolveTable(name) + "\x00" + id
				if !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
			}
		}
	}
	return keys
}

// serve is the fake's own behaviour, the next of BatchWriteItemFn.
func (f *FakeDynamoDB) serve(ctx context.Context, in *dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error) {
	if in == nil {
		in = &dynamodb.BatchWriteItemInput{}
	}
	if err := fdClientCheck(in); err != nil {
		return nil, fdOperationError(err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fdOperationError(err)
	}
	if f.Latency > 0 {
		timer := time.NewTimer(f.Latency)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, fdOperationError(ctx.Err())
		case <-timer.C:
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	plan, apiErr := f.validateLocked(in)
	if apiErr != nil {
		return nil, f.responseErrorLocked(apiErr)
	}
	if len(f.failures) > 0 {
		err := f.failures[0]
		f.failures = f.failures[1:]
		return nil, f.wrapFailureLocked(err)
	}
	unprocessed := make(map[string][]types.WriteRequest)
	for _, tw := range plan {
		for _, op := range tw.ops {
			if f.Unprocessed != nil && f.Unprocessed(tw.name, fdCopyWriteRequest(op.req)) {
				unprocessed[tw.name] = append(unprocessed[tw.name], fdCopyWriteRequest(op.req))
				continue
			}
			if op.item != nil {
				tw.table.items[op.id] = op.item
			} else {
				delete(tw.table.items, op.id)
			}
		}
	}
	return &dynamodb.BatchWriteItemOutput{UnprocessedItems: unprocessed}, nil
}

// fdTableWrites are the validated writes of a call to one table.
type fdTableWrites struct {
	name  string // as given in RequestItems
	table *fdTable
	ops   []fdWrite
}

// fdWrite is one validated write request.
type fdWrite struct {
	req  types.WriteRequest
	id   string                          // key identity
	item map[string]types.AttributeValue // the item to store; nil for a delete
}

// validateLocked checks in as DynamoDB does, in DynamoDB's order (see
// FakeDynamoDB), and returns the writes to apply, or the API error to return.
func (f *FakeDynamoDB) validateLocked(in *dynamodb.BatchWriteItemInput) ([]fdTableWrites, error) {
	names := fdSortedKeys(in.RequestItems)

	for _, name := range names {
		for _, req := range in.RequestItems[name] {
			for _, m := range fdRequestMaps(req) {
				if attr, ok := fdSerializable(m); !ok {
					return nil, &smithy.GenericAPIError{Code: "SerializationException", Message: fmt.Sprintf(fdMsgSerialization, attr)}
				}
			}
		}
	}
	if n := fdRequestSize(in); n > fdMaxRequestBytes {
		return nil, fdValidation(fmt.Sprintf(fdMsgRequestSize, n, fdMaxRequestBytes))
	}

	var errs []string
	switch rcc := in.ReturnConsumedCapacity; rcc {
	case "", types.ReturnConsumedCapacityIndexes, types.ReturnConsumedCapacityTotal, types.ReturnConsumedCapacityNone:
	default:
		errs = append(errs, fmt.Sprintf(fdMsgEnumRCC, rcc))
	}
	switch ricm := in.ReturnItemCollectionMetrics; ricm {
	case "", types.ReturnItemCollectionMetricsSize, types.ReturnItemCollectionMetricsNone:
	default:
		errs = append(errs, fmt.Sprintf(fdMsgEnumRICM, ricm))
	}
	if len(errs) > 0 {
		return nil, fdValidation(fdValidationErrors(errs))
	}

	if len(in.RequestItems) == 0 {
		return nil, fdValidation(fdMsgRequired)
	}
	total := 0
	for _, name := range names {
		reqs := in.RequestItems[name]
		total += len(reqs)
		if !fdIsTableARN(name) && !fdValidTableName(name) {
			errs = append(errs, fmt.Sprintf(fdMsgTableName, name))
		}
		switch {
		case len(reqs) == 0:
			errs = append(errs, fmt.Sprintf(fdMsgRequestCount, name, "[]"))
		case len(reqs) > fdMaxRequests:
			errs = append(errs, fmt.Sprintf(fdMsgRequestCount, name, "[...]"))
		}
	}
	if len(errs) > 0 {
		return nil, fdValidation(fdValidationErrors(errs))
	}
	if total > fdMaxRequests {
		return nil, fdValidation(fdMsgTooMany)
	}

	items := make(map[string][]map[string]types.AttributeValue, len(names)) // stored forms of the put items
	for _, name := range names {
		reqs := in.RequestItems[name]
		for _, req := range reqs {
			if (req.PutRequest == nil) == (req.DeleteRequest == nil) {
				return nil, fdValidation(fdMsgNotOneRequest)
			}
		}
		for _, req := range reqs {
			for _, m := range fdRequestMaps(req) {
				for _, attr := range fdSortedKeys(m) {
					if msg := fdCheckValue(m[attr]); msg != "" {
						return nil, fdValidation(msg)
					}
				}
			}
			var item map[string]types.AttributeValue
			if req.PutRequest != nil {
				item = fdStoredMap(req.PutRequest.Item)
				if ddbsize.ItemSize(item) > ddbsize.MaxItemSize {
					return nil, fdValidation(fdMsgItemSize)
				}
			}
			items[name] = append(items[name], item)
		}
	}

	plan := make([]fdTableWrites, 0, len(names))
	for _, name := range names {
		t := f.tables[fdResolveTable(name)]
		if t == nil {
			return nil, &types.ResourceNotFoundException{Message: fdString(fdMsgNotFound)}
		}
		plan = append(plan, fdTableWrites{name: name, table: t})
	}

	seen := make(map[string]bool, total)
	for i := range plan {
		tw := &plan[i]
		for j, req := range in.RequestItems[tw.name] {
			m, isDelete := fdRequestKeyMap(req)
			if msg := fdCheckKey(tw.table.schema, m, isDelete); msg != "" {
				return nil, fdValidation(msg)
			}
			id, _ := fdKeyID(tw.table.schema, m)
			tw.ops = append(tw.ops, fdWrite{req: req, id: id, item: items[tw.name][j]})
		}
	}
	for _, tw := range plan {
		for _, op := range tw.ops {
			k := fdResolveTable(tw.name) + "\x00" + op.id
			if seen[k] {
				return nil, fdValidation(fdMsgDuplicates)
			}
			seen[k] = true
		}
	}
	return plan, nil
}

// responseErrorLocked wraps apiErr, an error of DynamoDB's, as aws-sdk-go-v2
// returns it.
func (f *FakeDynamoDB) responseErrorLocked(apiErr error) error {
	status := http.StatusBadRequest
	if ae, ok := apiErr.(smithy.APIError); ok && ae.ErrorFault() == smithy.FaultServer {
		status = http.StatusInternalServerError
	}
	f.requests++
	return fdOperationError(&awshttp.ResponseError{
		RequestID: fmt.Sprintf("FAKEDYNAMODB%040d", f.requests),
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: http.Header{}}},
			Err:      apiErr,
		},
	})
}

// wrapFailureLocked wraps an error given to FailNext as the real client would
// return it.
func (f *FakeDynamoDB) wrapFailureLocked(err error) error {
	if _, ok := err.(*smithy.OperationError); ok {
		return err
	}
	if _, ok := err.(smithy.APIError); ok {
		return f.responseErrorLocked(err)
	}
	return fdOperationError(err)
}

// fdOperationError wraps err as aws-sdk-go-v2's client wraps every error of
// BatchWriteItem.
func fdOperationError(err error) error {
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "BatchWriteItem", Err: err}
}

// fdValidation returns DynamoDB's ValidationException with message msg, as
// aws-sdk-go-v2 decodes it.
func fdValidation(msg string) error {
	return &smithy.GenericAPIError{Code: "ValidationException", Message: msg}
}

// fdValidationErrors joins the constraint failures errs as DynamoDB reports
// them.
func fdValidationErrors(errs []string) string {
	if len(errs) > fdMaxReportedErrors {
		errs = errs[:fdMaxReportedErrors]
	}
	if len(errs) == 1 {
		return "1 validation error detected: " + errs[0]
	}
	return fmt.Sprintf("%d validation errors detected: %s", len(errs), strings.Join(errs, "; "))
}

// fdClientCheck returns what aws-sdk-go-v2's client refuses before sending:
// its validators' smithy.InvalidParamsError (tables in name order, where the
// client's order is random), or an error for a nil pointer member, on which
// the client panics.
func fdClientCheck(in *dynamodb.BatchWriteItemInput) error {
	if in.RequestItems == nil {
		top := smithy.InvalidParamsError{Context: "BatchWriteItemInput"}
		top.Add(smithy.NewErrParamRequired("RequestItems"))
		return top
	}
	byTable := smithy.InvalidParamsError{Context: "BatchWriteItemRequestMap"}
	for _, name := range fdSortedKeys(in.RequestItems) {
		reqs := smithy.InvalidParamsError{Context: "WriteRequests"}
		for i, req := range in.RequestItems[name] {
			one := smithy.InvalidParamsError{Context: "WriteRequest"}
			if req.PutRequest != nil && req.PutRequest.Item == nil {
				put := smithy.InvalidParamsError{Context: "PutRequest"}
				put.Add(smithy.NewErrParamRequired("Item"))
				one.AddNested("PutRequest", put)
			}
			if req.DeleteRequest != nil && req.DeleteRequest.Key == nil {
				del := smithy.InvalidParamsError{Context: "DeleteRequest"}
				del.Add(smithy.NewErrParamRequired("Key"))
				one.AddNested("DeleteRequest", del)
			}
			if one.Len() > 0 {
				reqs.AddNested(fmt.Sprintf("[%d]", i), one)
			}
		}
		if reqs.Len() > 0 {
			byTable.AddNested(fmt.Sprintf("[%q]", name), reqs)
		}
	}
	if byTable.Len() > 0 {
		top := smithy.InvalidParamsError{Context: "BatchWriteItemInput"}
		top.AddNested("RequestItems", byTable)
		return top
	}
	for _, name := range fdSortedKeys(in.RequestItems) {
		for i, req := range in.RequestItems[name] {
			for _, m := range fdRequestMaps(req) {
				for _, attr := range fdSortedKeys(m) {
					if typ, ok := fdNilPointer(m[attr]); ok {
						return fmt.Errorf("testutil: FakeDynamoDB: RequestItems[%q][%d]: attribute %q holds a nil %s (the real client panics on it)", name, i, attr, typ)
					}
				}
			}
		}
	}
	return nil
}

// fdRequestMaps returns the attribute maps of req: its delete key and its put
// item, those that are set.
func fdRequestMaps(req types.WriteRequest) []map[string]types.AttributeValue {
	var maps []map[string]types.AttributeValue
	if req.DeleteRequest != nil {
		maps = append(maps, req.DeleteRequest.Key)
	}
	if req.PutRequest != nil {
		maps = append(maps, req.PutRequest.Item)
	}
	return maps
}

// fdRequestKeyMap returns the map that holds the key of req, a validated
// request, and whether req is a delete.
func fdRequestKeyMap(req types.WriteRequest) (map[string]types.AttributeValue, bool) {
	if req.PutRequest != nil {
		return req.PutRequest.Item, false
	}
	return req.DeleteRequest.Key, true
}

// fdNilPointer reports whether av holds a nil pointer member anywhere, and of
// which type.
func fdNilPointer(av types.AttributeValue) (string, bool) {
	var isNil bool
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		isNil = v == nil
	case *types.AttributeValueMemberN:
		isNil = v == nil
	case *types.AttributeValueMemberB:
		isNil = v == nil
	case *types.AttributeValueMemberBOOL:
		isNil = v == nil
	case *types.AttributeValueMemberNULL:
		isNil = v == nil
	case *types.AttributeValueMemberSS:
		isNil = v == nil
	case *types.AttributeValueMemberNS:
		isNil = v == nil
	case *types.AttributeValueMemberBS:
		isNil = v == nil
	case *types.UnknownUnionMember:
		isNil = v == nil
	case *types.AttributeValueMemberL:
		if v == nil {
			return fmt.Sprintf("%T", av), true
		}
		for _, e := range v.Value {
			if typ, ok := fdNilPointer(e); ok {
				return typ, true
			}
		}
	case *types.AttributeValueMemberM:
		if v == nil {
			return fmt.Sprintf("%T", av), true
		}
		for _, name := range fdSortedKeys(v.Value) {
			if typ, ok := fdNilPointer(v.Value[name]); ok {
				return typ, true
			}
		}
	}
	if isNil {
		return fmt.Sprintf("%T", av), true
	}
	return "", false
}

// fdDropped reports whether the SDK leaves av out of a List: nil, or a member
// type it does not know.
func fdDropped(av types.AttributeValue) bool {
	if av == nil {
		return true
	}
	_, unknown := av.(*types.UnknownUnionMember)
	return unknown
}

// fdSerializable reports whether the SDK writes valid JSON for m and, if not,
// the name of an attribute that breaks it: a nil or unknown value in a map.
func fdSerializable(m map[string]types.AttributeValue) (string, bool) {
	for _, name := range fdSortedKeys(m) {
		if fdDropped(m[name]) {
			return name, false
		}
		if attr, ok := fdSerializableValue(m[name]); !ok {
			return attr, false
		}
	}
	return "", true
}

// fdSerializableValue is fdSerializable for the maps inside av.
func fdSerializableValue(av types.AttributeValue) (string, bool) {
	switch v := av.(type) {
	case *types.AttributeValueMemberM:
		return fdSerializable(v.Value)
	case *types.AttributeValueMemberL:
		for _, e := range v.Value {
			if attr, ok := fdSerializableValue(e); !ok {
				return attr, false
			}
		}
	}
	return "", true
}

// fdCheckValue returns DynamoDB's message for what is invalid in av, or "".
func fdCheckValue(av types.AttributeValue) string {
	switch v := av.(type) {
	case *types.AttributeValueMemberB:
		if v.Value == nil { // sent as {"B":null}
			return fdMsgEmptyValue
		}
	case *types.AttributeValueMemberN:
		_, msg := fdCheckNumber(v.Value)
		return msg
	case *types.AttributeValueMemberNULL:
		if !v.Value {
			return fdMsgNullFalse
		}
	case *types.AttributeValueMemberSS:
		if len(v.Value) == 0 {
			return fdMsgEmptySS
		}
		if fdHasDuplicate(v.Value) {
			return fmt.Sprintf(fdMsgDupSS, "["+strings.Join(v.Value, ", ")+"]")
		}
	case *types.AttributeValueMemberNS:
		if len(v.Value) == 0 {
			return fdMsgEmptyNS
		}
		canon := make([]string, len(v.Value))
		for i, n := range v.Value {
			c, msg := fdCheckNumber(n)
			if msg != "" {
				return msg
			}
			canon[i] = c
		}
		if fdHasDuplicate(canon) {
			return fdMsgDupNS
		}
	case *types.AttributeValueMemberBS:
		if len(v.Value) == 0 {
			return fdMsgEmptyBS
		}
		members := make([]string, len(v.Value))
		for i, b := range v.Value {
			if b == nil { // sent as null
				return fdMsgNullInBS
			}
			members[i] = string(b)
		}
		if fdHasDuplicate(members) {
			encoded := make([]string, len(v.Value))
			for i, b := range v.Value {
				encoded[i] = base64.StdEncoding.EncodeToString(b)
			}
			return fmt.Sprintf(fdMsgDupBS, "["+strings.Join(encoded, ", ")+"]")
		}
	case *types.AttributeValueMemberL:
		for _, e := range v.Value {
			if fdDropped(e) {
				continue
			}
			if msg := fdCheckValue(e); msg != "" {
				return msg
			}
		}
	case *types.AttributeValueMemberM:
		for _, name := range fdSortedKeys(v.Value) {
			if msg := fdCheckValue(v.Value[name]); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// fdCheckKey returns DynamoDB's message for what is wrong with the key in m
// (a put item, or a delete key if isDelete) against schema, or "".
func fdCheckKey(schema KeySchema, m map[string]types.AttributeValue, isDelete bool) string {
	parts := fdKeyParts(schema)
	if isDelete && len(m) != len(parts) {
		return fdMsgKeySchema
	}
	for _, p := range parts {
		if !fdIsScalar(m[p.name], p.typ) {
			return fdMsgKeySchema
		}
	}
	for i, p := range parts {
		var size int
		switch v := m[p.name].(type) {
		case *types.AttributeValueMemberS:
			if v.Value == "" {
				return fmt.Sprintf(fdMsgEmptyKey, "string", p.name)
			}
			size = len(v.Value)
		case *types.AttributeValueMemberB:
			if len(v.Value) == 0 {
				return fmt.Sprintf(fdMsgEmptyKey, "binary", p.name)
			}
			size = len(v.Value)
		}
		if i == 0 && size > fdMaxPartitionKeyBytes {
			return fdMsgHashKeySize
		}
		if i == 1 && size > fdMaxSortKeyBytes {
			return fdMsgRangeKeySize
		}
	}
	return ""
}

// fdKeyPart is one key attribute of a schema.
type fdKeyPart struct {
	name string
	typ  types.ScalarAttributeType
}

// fdKeyParts returns the key attributes of schema, partition key first.
func fdKeyParts(schema KeySchema) []fdKeyPart {
	parts := []fdKeyPart{{schema.PartitionKey, schema.PartitionKeyType}}
	if schema.SortKey != "" {
		parts = append(parts, fdKeyPart{schema.SortKey, schema.SortKeyType})
	}
	return parts
}

// fdKeyID returns the identity of the key in m under schema, the same for
// every spelling of an equal number, and false when m has no valid key.
func fdKeyID(schema KeySchema, m map[string]types.AttributeValue) (string, bool) {
	var id strings.Builder
	for _, p := range fdKeyParts(schema) {
		av := m[p.name]
		if !fdIsScalar(av, p.typ) {
			return "", false
		}
		var s string
		switch v := av.(type) {
		case *types.AttributeValueMemberS:
			s = v.Value
		case *types.AttributeValueMemberB:
			s = string(v.Value)
		case *types.AttributeValueMemberN:
			canon, msg := fdCheckNumber(v.Value)
			if msg != "" {
				return "", false
			}
			s = canon
		}
		id.WriteString(strconv.Itoa(len(s)))
		id.WriteByte(':')
		id.WriteString(s)
	}
	return id.String(), true
}

// fdIsScalar reports whether av is a non-nil value of scalar type typ.
func fdIsScalar(av types.AttributeValue, typ types.ScalarAttributeType) bool {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return v != nil && typ == types.ScalarAttributeTypeS
	case *types.AttributeValueMemberN:
		return v != nil && typ == types.ScalarAttributeTypeN
	case *types.AttributeValueMemberB:
		return v != nil && v.Value != nil && typ == types.ScalarAttributeTypeB
	}
	return false
}

// fdCompareScalar orders two key values of one type: S and B bytewise, N by
// value. Values of other types compare equal.
func fdCompareScalar(a, b types.AttributeValue) int {
	switch x := a.(type) {
	case *types.AttributeValueMemberS:
		if y, ok := b.(*types.AttributeValueMemberS); ok {
			return strings.Compare(x.Value, y.Value)
		}
	case *types.AttributeValueMemberB:
		if y, ok := b.(*types.AttributeValueMemberB); ok {
			return bytes.Compare(x.Value, y.Value)
		}
	case *types.AttributeValueMemberN:
		if y, ok := b.(*types.AttributeValueMemberN); ok {
			rx, okx := new(big.Rat).SetString(x.Value)
			ry, oky := new(big.Rat).SetString(y.Value)
			if okx && oky {
				return rx.Cmp(ry)
			}
			return strings.Compare(x.Value, y.Value)
		}
	}
	return 0
}

// fdCheckNumber returns n as DynamoDB stores it (fdParseNumber), or
// DynamoDB's message for why it refuses n.
func fdCheckNumber(n string) (string, string) {
	canon, bad := fdParseNumber(n)
	switch bad {
	case fdNumSyntax:
		if n == "" {
			return "", fdMsgNotNumber
		}
		return "", fdMsgNotNumber + ": " + n
	case fdNumOverflow:
		return "", fdMsgNumberOverflow
	case fdNumUnderflow:
		return "", fdMsgNumberUnderflow
	case fdNumPrecision:
		return "", fdMsgNumberPrecision
	}
	return canon, ""
}

// fdNumErr says why fdParseNumber refused a number.
type fdNumErr uint8

const (
	fdNumOK        fdNumErr = iota
	fdNumSyntax             // not [+-]digits[.digits][(e|E)[+-]digits]
	fdNumOverflow           // magnitude 1E+126 or more
	fdNumUnderflow          // nonzero magnitude below 1E-130
	fdNumPrecision          // more than 38 significant digits
)

// fdParseNumber parses n as DynamoDB (Java's BigDecimal) reads a number:
// [+-]digits[.digits][(e|E)[+-]digits], with digits on at least one side of
// the point. It returns the number in plain notation without redundant zeros
// or sign ("-1.50E2" is "-150", "0.0" is "0"), or why DynamoDB refuses it, in
// DynamoDB's order: syntax, overflow, underflow, precision.
func fdParseNumber(n string) (string, fdNumErr) {
	i := 0
	neg := false
	if i < len(n) && (n[i] == '+' || n[i] == '-') {
		neg = n[i] == '-'
		i++
	}
	var digits []byte
	intDigits, point := 0, false
	for ; i < len(n); i++ {
		c := n[i]
		if c >= '0' && c <= '9' {
			digits = append(digits, c)
			if !point {
				intDigits++
			}
			continue
		}
		if c == '.' && !point {
			point = true
			continue
		}
		break
	}
	if len(digits) == 0 {
		return "", fdNumSyntax
	}
	const expCap = 1 << 40 // far beyond any valid exponent, far from overflow
	var exp int64
	if i < len(n) && (n[i] == 'e' || n[i] == 'E') {
		i++
		expNeg := false
		if i < len(n) && (n[i] == '+' || n[i] == '-') {
			expNeg = n[i] == '-'
			i++
		}
		start := i
		for ; i < len(n) && n[i] >= '0' && n[i] <= '9'; i++ {
			if exp < expCap {
				exp = exp*10 + int64(n[i]-'0')
			}
		}
		if i == start {
			return "", fdNumSyntax
		}
		if expNeg {
			exp = -exp
		}
	}
	if i != len(n) {
		return "", fdNumSyntax
	}

	// The value is digits × 10^(exp - fraction digits).
	sig := bytes.TrimLeft(digits, "0")
	if len(sig) == 0 {
		return "0", fdNumOK
	}
	trimmed := bytes.TrimRight(sig, "0")
	scale := exp - int64(len(digits)-intDigits) + int64(len(sig)-len(trimmed))
	sig = trimmed
	top := scale + int64(len(sig)) - 1 // exponent of the first significant digit
	switch {
	case top > 125:
		return "", fdNumOverflow
	case top < -130:
		return "", fdNumUnderflow
	case len(sig) > 38:
		return "", fdNumPrecision
	}

	var out strings.Builder
	if neg {
		out.WriteByte('-')
	}
	switch {
	case scale >= 0:
		out.Write(sig)
		out.WriteString(strings.Repeat("0", int(scale)))
	case int64(len(sig)) > -scale:
		whole := len(sig) - int(-scale)
		out.Write(sig[:whole])
		out.WriteByte('.')
		out.Write(sig[whole:])
	default:
		out.WriteString("0.")
		out.WriteString(strings.Repeat("0", int(-scale)-len(sig)))
		out.Write(sig)
	}
	return out.String(), fdNumOK
}

// fdHasDuplicate reports whether values holds a value twice.
func fdHasDuplicate(values []string) bool {
	seen := make(map[string]bool, len(values))
	for _, v := range values {
		if seen[v] {
			return true
		}
		seen[v] = true
	}
	return false
}

// fdRequestSize returns the size of in's request body as aws-sdk-go-v2 writes
// it: exact but for ddbsize.JSONSize's upper bounds.
func fdRequestSize(in *dynamodb.BatchWriteItemInput) int {
	n := len(`{}`)
	fields := 0
	if in.RequestItems != nil {
		fields++
		n += len(`"RequestItems":{}`) + fdCommas(len(in.RequestItems))
		for name, reqs := range in.RequestItems {
			n += fdJSONStringLen(name) + len(`:[]`) + fdCommas(len(reqs))
			for _, req := range reqs {
				n += len(`{}`)
				if req.DeleteRequest != nil {
					n += len(`"DeleteRequest":{"Key":}`) + ddbsize.JSONSize(req.DeleteRequest.Key)
				}
				if req.PutRequest != nil {
					n += len(`"PutRequest":{"Item":}`) + ddbsize.JSONSize(req.PutRequest.Item)
				}
				if req.DeleteRequest != nil && req.PutRequest != nil {
					n += len(`,`)
				}
			}
		}
	}
	for _, field := range []struct{ name, value string }{
		{"ReturnConsumedCapacity", string(in.ReturnConsumedCapacity)},
		{"ReturnItemCollectionMetrics", string(in.ReturnItemCollectionMetrics)},
	} {
		if field.value == "" {
			continue
		}
		if fields > 0 {
			n += len(`,`)
		}
		fields++
		n += len(`"":`) + len(field.name) + fdJSONStringLen(field.value)
	}
	return n
}

// fdCommas returns the number of commas between n elements.
func fdCommas(n int) int {
	return max(n-1, 0)
}

// fdJSONStringLen returns the length of s as a JSON string, quotes included,
// as ddbsize counts it.
func fdJSONStringLen(s string) int {
	return ddbsize.JSONSize(map[string]types.AttributeValue{s: &types.AttributeValueMemberNULL{Value: true}}) -
		len(`{:{"NULL":true}}`)
}

// fdValidTableName reports whether name is a valid DynamoDB table name.
func fdValidTableName(name string) bool {
	if len(name) < 3 || len(name) > 255 {
		return false
	}
	for _, c := range []byte(name) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}

// fdIsTableARN reports whether name is a table ARN
// (arn:partition:dynamodb:region:account:table/name).
func fdIsTableARN(name string) bool {
	return strings.HasPrefix(name, "arn:") && strings.Contains(name, ":table/")
}

// fdResolveTable returns the table name that name, a table name or ARN,
// designates.
func fdResolveTable(name string) string {
	if fdIsTableARN(name) {
		return name[strings.LastIndex(name, ":table/")+len(":table/"):]
	}
	return name
}

// fdTypeOrS returns typ, or S when typ is empty.
func fdTypeOrS(typ types.ScalarAttributeType) types.ScalarAttributeType {
	if typ == "" {
		return types.ScalarAttributeTypeS
	}
	return typ
}

// fdScalarType reports whether typ is S, N or B.
func fdScalarType(typ types.ScalarAttributeType) bool {
	return typ == types.ScalarAttributeTypeS || typ == types.ScalarAttributeTypeN || typ == types.ScalarAttributeTypeB
}

// fdSortedKeys returns the keys of m in order.
func fdSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// fdString returns a pointer to s.
func fdString(s string) *string { return &s }

// fdStoredMap returns m as DynamoDB stores it: a deep copy with numbers
// normalized and the elements the SDK drops from Lists left out. m must be
// valid.
func fdStoredMap(m map[string]types.AttributeValue) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(m))
	for name, av := range m {
		out[name] = fdStoredValue(av)
	}
	return out
}

// fdStoredValue is fdStoredMap for one value.
func fdStoredValue(av types.AttributeValue) types.AttributeValue {
	switch v := av.(type) {
	case *types.AttributeValueMemberN:
		canon, _ := fdParseNumber(v.Value)
		return &types.AttributeValueMemberN{Value: canon}
	case *types.AttributeValueMemberNS:
		ns := make([]string, len(v.Value))
		for i, n := range v.Value {
			ns[i], _ = fdParseNumber(n)
		}
		return &types.AttributeValueMemberNS{Value: ns}
	case *types.AttributeValueMemberL:
		l := make([]types.AttributeValue, 0, len(v.Value))
		for _, e := range v.Value {
			if !fdDropped(e) {
				l = append(l, fdStoredValue(e))
			}
		}
		return &types.AttributeValueMemberL{Value: l}
	case *types.AttributeValueMemberM:
		return &types.AttributeValueMemberM{Value: fdStoredMap(v.Value)}
	}
	return fdCopyValue(av)
}

// fdCopyInput returns a deep copy of in.
func fdCopyInput(in *dynamodb.BatchWriteItemInput) *dynamodb.BatchWriteItemInput {
	out := &dynamodb.BatchWriteItemInput{
		ReturnConsumedCapacity:      in.ReturnConsumedCapacity,
		ReturnItemCollectionMetrics: in.ReturnItemCollectionMetrics,
	}
	if in.RequestItems != nil {
		out.RequestItems = make(map[string][]types.WriteRequest, len(in.RequestItems))
		for name, reqs := range in.RequestItems {
			var cp []types.WriteRequest
			if reqs != nil {
				cp = make([]types.WriteRequest, len(reqs))
				for i, req := range reqs {
					cp[i] = fdCopyWriteRequest(req)
				}
			}
			out.RequestItems[name] = cp
		}
	}
	return out
}

// fdCopyWriteRequest returns a deep copy of req.
func fdCopyWriteRequest(req types.WriteRequest) types.WriteRequest {
	var out types.WriteRequest
	if req.PutRequest != nil {
		out.PutRequest = &types.PutRequest{Item: fdCopyMap(req.PutRequest.Item)}
	}
	if req.DeleteRequest != nil {
		out.DeleteRequest = &types.DeleteRequest{Key: fdCopyMap(req.DeleteRequest.Key)}
	}
	return out
}

// fdCopyMap returns a deep copy of m; nil stays nil.
func fdCopyMap(m map[string]types.AttributeValue) map[string]types.AttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]types.AttributeValue, len(m))
	for name, av := range m {
		out[name] = fdCopyValue(av)
	}
	return out
}

// fdCopyValue returns a deep copy of av. nil, and nil pointer members, are
// returned as they are.
func fdCopyValue(av types.AttributeValue) types.AttributeValue {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		if v != nil {
			return &types.AttributeValueMemberS{Value: v.Value}
		}
	case *types.AttributeValueMemberN:
		if v != nil {
			return &types.AttributeValueMemberN{Value: v.Value}
		}
	case *types.AttributeValueMemberB:
		if v != nil {
			return &types.AttributeValueMemberB{Value: fdCopyBytes(v.Value)}
		}
	case *types.AttributeValueMemberBOOL:
		if v != nil {
			return &types.AttributeValueMemberBOOL{Value: v.Value}
		}
	case *types.AttributeValueMemberNULL:
		if v != nil {
			return &types.AttributeValueMemberNULL{Value: v.Value}
		}
	case *types.AttributeValueMemberSS:
		if v != nil {
			return &types.AttributeValueMemberSS{Value: slices.Clone(v.Value)}
		}
	case *types.AttributeValueMemberNS:
		if v != nil {
			return &types.AttributeValueMemberNS{Value: slices.Clone(v.Value)}
		}
	case *types.AttributeValueMemberBS:
		if v != nil {
			var bs [][]byte
			if v.Value != nil {
				bs = make([][]byte, len(v.Value))
				for i, b := range v.Value {
					bs[i] = fdCopyBytes(b)
				}
			}
			return &types.AttributeValueMemberBS{Value: bs}
		}
	case *types.AttributeValueMemberL:
		if v != nil {
			var l []types.AttributeValue
			if v.Value != nil {
				l = make([]types.AttributeValue, len(v.Value))
				for i, e := range v.Value {
					l[i] = fdCopyValue(e)
				}
			}
			return &types.AttributeValueMemberL{Value: l}
		}
	case *types.AttributeValueMemberM:
		if v != nil {
			return &types.AttributeValueMemberM{Value: fdCopyMap(v.Value)}
		}
	case *types.UnknownUnionMember:
		if v != nil {
			return &types.UnknownUnionMember{Tag: v.Tag, Value: fdCopyBytes(v.Value)}
		}
	}
	return av
}

// fdCopyBytes returns a copy of b; nil stays nil and empty stays empty.
func fdCopyBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
