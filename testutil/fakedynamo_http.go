package testutil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// fltBatchWriteTarget is the X-Amz-Target of BatchWriteItem in JSON 1.0.
const fltBatchWriteTarget = "DynamoDB_20120810.BatchWriteItem"

// fltMaxBody bounds the request bodies a FaultProxy and FakeDynamoDBHandler
// read; DynamoDB's own limit is 16 MB.
const fltMaxBody = 32 << 20

// FakeDynamoDBHandler returns an HTTP handler that serves f's BatchWriteItem
// over DynamoDB's JSON 1.0 protocol, so that the real SDK client (and a
// FaultProxy) can talk to the fake. Other operations are refused with
// UnknownOperationException. Errors are written as DynamoDB writes them: the
// status of the fake's error (400, or 500 for a server fault) and a body
// with __type and message.
func FakeDynamoDBHandler(f *FakeDynamoDB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if target := r.Header.Get("X-Amz-Target"); target != fltBatchWriteTarget {
			fltWriteError(w, http.StatusBadRequest, "com.amazon.coral.service#UnknownOperationException",
				"testutil: FakeDynamoDBHandler serves BatchWriteItem only, not "+target)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, fltMaxBody))
		if err != nil {
			fltWriteError(w, http.StatusRequestEntityTooLarge, "com.amazon.coral.service#SerializationException", err.Error())
			return
		}
		in, err := fltDecodeInput(body)
		if err != nil {
			fltWriteError(w, http.StatusBadRequest, "com.amazon.coral.service#SerializationException", err.Error())
			return
		}
		out, err := f.BatchWriteItem(r.Context(), in)
		if err != nil {
			status := http.StatusBadRequest
			code, msg := "ValidationException", err.Error()
			var ae smithy.APIError
			if errors.As(err, &ae) {
				code, msg = ae.ErrorCode(), ae.ErrorMessage()
				if ae.ErrorFault() == smithy.FaultServer {
					status = http.StatusInternalServerError
				}
			} else if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				status, code = http.StatusInternalServerError, "InternalServerError"
			}
			var re *awshttp.ResponseError
			if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
				status = re.HTTPStatusCode()
			}
			fltWriteError(w, status, fltErrorType(code), msg)
			return
		}
		left := make(map[string][]any, len(out.UnprocessedItems))
		for name, reqs := range out.UnprocessedItems {
			for _, req := range reqs {
				left[name] = append(left[name], fltWriteRequestJSON(req))
			}
		}
		b, err := json.Marshal(map[string]any{"UnprocessedItems": left})
		if err != nil {
			fltWriteError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
			return
		}
		fltWrite(w, http.StatusOK, b)
	})
}

// fltErrorType returns the __type DynamoDB writes for an error code.
func fltErrorType(code string) string {
	switch code {
	case "ValidationException":
		return "com.amazon.coral.validate#ValidationException"
	case "SerializationException", "UnknownOperationException":
		return "com.amazon.coral.service#" + code
	case "ThrottlingException":
		return "com.amazon.coral.availability#ThrottlingException"
	}
	return "com.amazonaws.dynamodb.v20120810#" + code
}

func fltWriteError(w http.ResponseWriter, status int, typ, msg string) {
	b, _ := json.Marshal(map[string]string{"__type": typ, "message": msg})
	fltWrite(w, status, b)
}

func fltWrite(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(body)), 10))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// fltDecodeInput reads a BatchWriteItem body as the SDK writes it.
func fltDecodeInput(body []byte) (*dynamodb.BatchWriteItemInput, error) {
	var raw struct {
		RequestItems map[string][]struct {
			PutRequest *struct {
				Item map[string]json.RawMessage
			}
			DeleteRequest *struct {
				Key map[string]json.RawMessage
			}
		}
		ReturnConsumedCapacity      string
		ReturnItemCollectionMetrics string
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("request body: %w", err)
	}
	in := &dynamodb.BatchWriteItemInput{
		ReturnConsumedCapacity:      types.ReturnConsumedCapacity(raw.ReturnConsumedCapacity),
		ReturnItemCollectionMetrics: types.ReturnItemCollectionMetrics(raw.ReturnItemCollectionMetrics),
	}
	if raw.RequestItems != nil {
		in.RequestItems = make(map[string][]types.WriteRequest, len(raw.RequestItems))
	}
	for name, reqs := range raw.RequestItems {
		wrs := make([]types.WriteRequest, len(reqs))
		for i, req := range reqs {
			if req.PutRequest != nil {
				item, err := fltDecodeMap(req.PutRequest.Item)
				if err != nil {
					return nil, err
				}
				wrs[i].PutRequest = &types.PutRequest{Item: item}
			}
			if req.DeleteRequest != nil {
				key, err := fltDecodeMap(req.DeleteRequest.Key)
				if err != nil {
					return nil, err
				}
				wrs[i].DeleteRequest = &types.DeleteRequest{Key: key}
			}
		}
		in.RequestItems[name] = wrs
	}
	return in, nil
}

func fltDecodeMap(raw map[string]json.RawMessage) (map[string]types.AttributeValue, error) {
	if raw == nil {
		return nil, nil
	}
	m := make(map[string]types.AttributeValue, len(raw))
	for name, r := range raw {
		av, err := fltDecodeValue(r)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		m[name] = av
	}
	return m, nil
}

// fltDecodeValue reads one attribute value in DynamoDB's JSON form:
// {"S":"x"}, {"N":"1"}, {"B":"base64"}, {"L":[...]}, and so on.
func fltDecodeValue(raw json.RawMessage) (types.AttributeValue, error) {
	var one map[string]json.RawMessage
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, err
	}
	if len(one) != 1 {
		return nil, fmt.Errorf("an attribute value has %d data types, want 1", len(one))
	}
	var typ string
	var v json.RawMessage
	for k, r := range one {
		typ, v = k, r
	}
	switch typ {
	case "S":
		var s string
		err := json.Unmarshal(v, &s)
		return &types.AttributeValueMemberS{Value: s}, err
	case "N":
		var s string
		err := json.Unmarshal(v, &s)
		return &types.AttributeValueMemberN{Value: s}, err
	case "B":
		var b []byte
		err := json.Unmarshal(v, &b)
		if b == nil {
			b = []byte{}
		}
		return &types.AttributeValueMemberB{Value: b}, err
	case "BOOL":
		var b bool
		err := json.Unmarshal(v, &b)
		return &types.AttributeValueMemberBOOL{Value: b}, err
	case "NULL":
		var b bool
		err := json.Unmarshal(v, &b)
		return &types.AttributeValueMemberNULL{Value: b}, err
	case "SS":
		var ss []string
		err := json.Unmarshal(v, &ss)
		return &types.AttributeValueMemberSS{Value: ss}, err
	case "NS":
		var ns []string
		err := json.Unmarshal(v, &ns)
		return &types.AttributeValueMemberNS{Value: ns}, err
	case "BS":
		var bs [][]byte
		err := json.Unmarshal(v, &bs)
		return &types.AttributeValueMemberBS{Value: bs}, err
	case "L":
		var raws []json.RawMessage
		if err := json.Unmarshal(v, &raws); err != nil {
			return nil, err
		}
		l := make([]types.AttributeValue, len(raws))
		for i, r := range raws {
			av, err := fltDecodeValue(r)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = av
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case "M":
		var raws map[string]json.RawMessage
		if err := json.Unmarshal(v, &raws); err != nil {
			return nil, err
		}
		m, err := fltDecodeMap(raws)
		if m == nil {
			m = map[string]types.AttributeValue{}
		}
		return &types.AttributeValueMemberM{Value: m}, err
	}
	return nil, fmt.Errorf("unknown data type %q", typ)
}

// fltWriteRequestJSON returns req in DynamoDB's JSON form, for json.Marshal.
func fltWriteRequestJSON(req types.WriteRequest) any {
	if req.PutRequest != nil {
		return map[string]any{"PutRequest": map[string]any{"Item": PlainItem(req.PutRequest.Item)}}
	}
	return map[string]any{"DeleteRequest": map[string]any{"Key": PlainItem(req.DeleteRequest.Key)}}
}

// ClientOptions tune the client NewDynamoDBClientWith builds. The zero value
// gives NewDynamoDBClient's client.
type ClientOptions struct {
	// Timeout bounds each HTTP attempt, from dialling to the end of the
	// answer. 0: 30 seconds, as NewDynamoDBClient.
	Timeout time.Duration
	// RetryMaxAttempts is the number of attempts the SDK makes of each call
	// (1: the SDK does not retry). 0: the SDK's default, 3.
	RetryMaxAttempts int
	// RetryMaxBackoff bounds the SDK's wait between attempts. 0: the SDK's
	// default, 20 seconds.
	RetryMaxBackoff time.Duration
	// AccessKeyID and SecretAccessKey are the fake credentials the client
	// signs with. "": NewDynamoDBClient's.
	AccessKeyID, SecretAccessKey string
}

// NewDynamoDBClientWith returns a real DynamoDB client for endpoint, like
// NewDynamoDBClient, tuned by opts: short timeouts and quick retries for
// fault tests, or credentials of the test's choice. The SDK's client-side
// retry quota is off, so that a test that injects many faults measures the
// dispatcher's retries rather than the quota. endpoint must be a loopback
// URL, such as a FaultProxy's.
func NewDynamoDBClientWith(t testing.TB, endpoint string, opts ClientOptions) *dynamodb.Client {
	t.Helper()
	p := newSDKParts(t, "DynamoDB", endpoint, opts, 0)
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  p.credentials,
		HTTPClient:   p.httpClient,
		Retryer:      p.retryer,
	})
}
