package sqsbatch

import (
	"context"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/batchutils/batchutils/internal/awscall"
	"github.com/batchutils/batchutils/testutil"
)

// bodyOddStrings are strings the SDK escapes, or writes as they are, in
// every way it can: quotes, control characters and DEL, multi-byte UTF-8,
// U+2028 and U+2029, invalid UTF-8 (the SDK lets it through and writes
// U+FFFD for each bad byte).
var bodyOddStrings = []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rret", "\x00\x01\x1f\x7f", "ünïcödé ☃ 𝄞",
	"\u2028\u2029", "bad \xff\xfe utf-8", "<html>&amp;</html>", strings.Repeat("k", 256)}

// TestSendMessageBatchBodyIsTheSDKs sends SendMessageBatch inputs through a
// real client twice, with the SDK's serializer and with
// sendMessageBatchBody, and wants the same request on the wire: the same
// method, path and protocol headers, and the same body, byte for byte when
// no map of the input has more than one key (the SDK writes a map in Go's
// map order), else the same JSON.
func TestSendMessageBatchBodyIsTheSDKs(t *testing.T) {
	const url = "http://127.0.0.1:1/000000000000/q"
	str := func(dataType, v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String(dataType), StringValue: aws.String(v)}
	}
	bin := func(dataType string, v []byte) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String(dataType), BinaryValue: v}
	}
	entry := func(id, body string) types.SendMessageBatchRequestEntry {
		return types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(body)}
	}
	trace := map[string]types.MessageSystemAttributeValue{"AWSTraceHeader": {DataType: aws.String("String"),
		StringValue: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")}}
	inputs := map[string]*sqs.SendMessageBatchInput{
		"one message": {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{entry("0", "hello")}},
		"ten messages": {QueueUrl: aws.String(url), Entries: func() []types.SendMessageBatchRequestEntry {
			var es []types.SendMessageBatchRequestEntry
			for i := range 10 {
				es = append(es, entry(strconv.Itoa(i), `{"id":`+strconv.Itoa(i)+`}`))
			}
			return es
		}()},
		"every member": {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{
			Id: aws.String("0"), MessageBody: aws.String("b"), DelaySeconds: 900,
			MessageDeduplicationId: aws.String("dedup"), MessageGroupId: aws.String("group"),
			MessageAttributes: map[string]types.MessageAttributeValue{"a": {
				DataType: aws.String("String"), StringValue: aws.String("s"), BinaryValue: []byte("b"),
				StringListValues: []string{"x", "y"}, BinaryListValues: [][]byte{[]byte("p"), {}, nil}}},
			MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{"AWSTraceHeader": {
				DataType: aws.String("String"), StringValue: aws.String("s"), BinaryValue: []byte("b"),
				StringListValues: []string{"x"}, BinaryListValues: [][]byte{[]byte("p")}}},
		}}},
		"delay":          {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b"), DelaySeconds: 1}}},
		"negative delay": {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b"), DelaySeconds: -7}}},
		"fifo ids": {QueueUrl: aws.String(url + ".fifo"), Entries: []types.SendMessageBatchRequestEntry{
			{Id: aws.String("0"), MessageBody: aws.String("b"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d0")},
			{Id: aws.String("1"), MessageBody: aws.String("b"), MessageGroupId: aws.String("g")},
			{Id: aws.String("2"), MessageBody: aws.String("b"), MessageDeduplicationId: aws.String("")},
		}},
		"string attribute":         {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b"), MessageAttributes: map[string]types.MessageAttributeValue{"s": str("String", "v")}}}},
		"number attribute":         {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b"), MessageAttributes: map[string]types.MessageAttributeValue{"n": str("Number", "-1.5e10")}}}},
		"binary attribute":         {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b"), MessageAttributes: map[string]types.MessageAttributeValue{"b": bin("Binary", []byte{0, 1, 2, 0xff})}}}},
		"empty binary attribute":   {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b"), MessageAttributes: map[string]types.MessageAttributeValue{"b": bin("Binary", []byte{})}}}},
		"custom string attribute":  {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b"), MessageAttributes: map[string]types.MessageAttributeValue{"c": str("String.custom-type", "v")}}}},
		"custom number attribute":  {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b"), MessageAttributes: map[string]types.MessageAttributeValue{"c": str("Number.float", "3.14")}}}},
		"custom binary attribute":  {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b"), MessageAttributes: map[string]types.MessageAttributeValue{"c": bin("Binary.gif", []byte("GIF89a"))}}}},
		"data type only attribute": {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b"), MessageAttributes: map[string]types.MessageAttributeValue{"d": {DataType: aws.String("String")}}}}},
		"empty lists attribute": {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b"),
			MessageAttributes: map[string]types.MessageAttributeValue{"l": {DataType: aws.String("String"), StringListValues: []string{}, BinaryListValues: [][]byte{}}}}}},
		"empty attribute maps": {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b"),
			MessageAttributes: map[string]types.MessageAttributeValue{}, MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{}}}},
		"every data type": {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b"),
			MessageAttributes: map[string]types.MessageAttributeValue{"s": str("String", "v"), "n": str("Number", "1"), "b": bin("Binary", []byte("x")),
				"cs": str("String.x", "v"), "cn": str("Number.int", "2"), "cb": bin("Binary.png", []byte("y"))}}}},
		"trace header": {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b"), MessageSystemAttributes: trace}}},
		"attributes and trace": {QueueUrl: aws.String(url), Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b"), DelaySeconds: 5,
			MessageAttributes: map[string]types.MessageAttributeValue{"s": str("String", "v")}, MessageSystemAttributes: trace}}},
	}
	var odd []types.SendMessageBatchRequestEntry
	for i, s := range bodyOddStrings {
		odd = append(odd, types.SendMessageBatchRequestEntry{Id: aws.String(s), MessageBody: aws.String(s),
			MessageGroupId: aws.String(s), MessageDeduplicationId: aws.String(s), DelaySeconds: int32(i),
			MessageAttributes: map[string]types.MessageAttributeValue{s: {DataType: aws.String(s), StringValue: aws.String(s),
				StringListValues: []string{s, s}, BinaryValue: []byte(s), BinaryListValues: [][]byte{[]byte(s)}}},
			MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{s: {DataType: aws.String(s), StringValue: aws.String(s)}},
		})
	}
	inputs["odd strings"] = &sqs.SendMessageBatchInput{QueueUrl: aws.String(url + "/" + strings.Join(bodyOddStrings, "|")), Entries: odd}
	r := rand.New(rand.NewPCG(testutil.Seed(t), 0))
	for n := range 30 {
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(url)}
		for i := range r.IntN(MaxBatchItems) + 1 {
			in.Entries = append(in.Entries, randomEntry(r, strconv.Itoa(i)))
		}
		inputs["random "+strconv.Itoa(n)] = in
	}

	capture := &testutil.CaptureHTTP{Answer: `{"Successful":[],"Failed":[]}`}
	client := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"),
		Credentials: testutil.CaptureCredentials, HTTPClient: capture})
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			sameOnTheWire(t, capture, singleKeyMaps(in), func(fast bool) error {
				_, err := client.SendMessageBatch(context.Background(), in, withBody(fast))
				return err
			})
		})
	}
}

// TestSendMessageBatchBodyUnvalidated does what
// TestSendMessageBatchBodyIsTheSDKs does for inputs the SDK's validation
// refuses (without it and the checksum validation, which reads each entry's
// Id, the SDK serializes them): sendMessageBatchBody writes whatever the
// SDK would.
func TestSendMessageBatchBodyUnvalidated(t *testing.T) {
	inputs := map[string]*sqs.SendMessageBatchInput{
		"nothing":         {},
		"no entries":      {QueueUrl: aws.String("q"), Entries: []types.SendMessageBatchRequestEntry{}},
		"no queue":        {Entries: []types.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("b")}}},
		"empty entry":     {QueueUrl: aws.String("q"), Entries: []types.SendMessageBatchRequestEntry{{}, {}}},
		"delay only":      {QueueUrl: aws.String("q"), Entries: []types.SendMessageBatchRequestEntry{{DelaySeconds: 3}}},
		"group only":      {Entries: []types.SendMessageBatchRequestEntry{{MessageGroupId: aws.String("g")}}},
		"empty attribute": {Entries: []types.SendMessageBatchRequestEntry{{MessageAttributes: map[string]types.MessageAttributeValue{"a": {}}}}},
		"empty system attribute": {Entries: []types.SendMessageBatchRequestEntry{{
			MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{"AWSTraceHeader": {}}}}},
		"binary only": {Entries: []types.SendMessageBatchRequestEntry{{MessageAttributes: map[string]types.MessageAttributeValue{"a": {BinaryValue: []byte("x")}}}}},
		"lists only": {Entries: []types.SendMessageBatchRequestEntry{{MessageAttributes: map[string]types.MessageAttributeValue{"a": {
			StringListValues: []string{"s"}, BinaryListValues: [][]byte{nil}}}}}},
		"string list only": {Entries: []types.SendMessageBatchRequestEntry{{MessageAttributes: map[string]types.MessageAttributeValue{"a": {StringListValues: []string{"s", ""}}}}}},
		"string only":      {Entries: []types.SendMessageBatchRequestEntry{{MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{"a": {StringValue: aws.String("")}}}}},
	}
	capture := &testutil.CaptureHTTP{Answer: `{"Successful":[],"Failed":[]}`}
	client := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"),
		Credentials: testutil.CaptureCredentials, HTTPClient: capture})
	unvalidated := func(o *sqs.Options) {
		o.DisableMessageChecksumValidation = true // it reads every entry's Id
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			_, err := s.Initialize.Remove("OperationInputValidation")
			return err
		})
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			sameOnTheWire(t, capture, singleKeyMaps(in), func(fast bool) error {
				_, err := client.SendMessageBatch(context.Background(), in, unvalidated, withBody(fast))
				return err
			})
		})
	}
}

// TestSendMessageBatchBodyOthers wants sendMessageBatchBody to leave every
// other input to the SDK.
func TestSendMessageBatchBodyOthers(t *testing.T) {
	for _, in := range []any{&sqs.SendMessageInput{}, sqs.SendMessageBatchInput{}, nil, (*sqs.DeleteMessageBatchInput)(nil)} {
		if b, ok := sendMessageBatchBody(nil, in); ok || b != nil {
			t.Errorf("sendMessageBatchBody(%T) = %q, %t; want nil, false", in, b, ok)
		}
	}
}

// TestSendMessageBatchBodyAllocs wants one allocation per body, its
// buffer, sized up front, when no string needs an escape.
func TestSendMessageBatchBodyAllocs(t *testing.T) {
	in := &sqs.SendMessageBatchInput{QueueUrl: aws.String("http://127.0.0.1:1/000000000000/q")}
	for i := range MaxBatchItems {
		in.Entries = append(in.Entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)),
			MessageBody: aws.String(strings.Repeat("b", 100*i)), DelaySeconds: int32(i), MessageGroupId: aws.String("g"),
			MessageDeduplicationId: aws.String(strconv.Itoa(i)),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"s": {DataType: aws.String("String"), StringValue: aws.String("v")},
				"b": {DataType: aws.String("Binary"), BinaryValue: []byte("abcde"), BinaryListValues: [][]byte{[]byte("x")}, StringListValues: []string{"l"}}},
			MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String("Root=1")}},
		})
	}
	var b []byte
	allocs := testing.AllocsPerRun(100, func() { b, _ = sendMessageBatchBody(nil, in) })
	if allocs != 1 {
		t.Errorf("%v allocations per body, want 1", allocs)
	}
	if len(b) > sendMessageBatchSize(in) {
		t.Errorf("body of %d bytes, more than the %d sized for it", len(b), sendMessageBatchSize(in))
	}
}

// randomEntry returns an entry with random members: odd strings, random
// bytes, attributes of every data type, sometimes a trace header, ids and
// a delay.
func randomEntry(r *rand.Rand, id string) types.SendMessageBatchRequestEntry {
	oddString := func() string { return bodyOddStrings[r.IntN(len(bodyOddStrings))] }
	randomBytes := func() []byte {
		b := make([]byte, r.IntN(64))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	e := types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(oddString() + string(randomBytes()))}
	if r.IntN(3) == 0 {
		e.DelaySeconds = r.Int32N(901)
	}
	if r.IntN(3) == 0 {
		e.MessageGroupId = aws.String(oddString())
	}
	if r.IntN(3) == 0 {
		e.MessageDeduplicationId = aws.String(oddString())
	}
	if r.IntN(2) == 0 {
		e.MessageAttributes = map[string]types.MessageAttributeValue{}
		for range r.IntN(4) {
			a := types.MessageAttributeValue{}
			switch r.IntN(4) {
			case 0:
				a.DataType, a.StringValue = aws.String("String"), aws.String(oddString())
			case 1:
				a.DataType, a.StringValue = aws.String("Number."+oddString()), aws.String(strconv.Itoa(r.Int()))
			case 2:
				a.DataType, a.BinaryValue = aws.String("Binary"), randomBytes()
			default:
				a.DataType = aws.String(oddString())
				a.StringListValues = []string{oddString(), oddString()}
				a.BinaryListValues = [][]byte{randomBytes(), nil}
			}
			e.MessageAttributes[oddString()+strconv.Itoa(r.IntN(100))] = a
		}
	}
	if r.IntN(3) == 0 {
		e.MessageSystemAttributes = map[string]types.MessageSystemAttributeValue{"AWSTraceHeader": {DataType: aws.String("String"), StringValue: aws.String(oddString())}}
	}
	return e
}

// withBody returns the option of a call that writes its body with
// sendMessageBatchBody when fast, else leaves it to the SDK.
func withBody(fast bool) func(*sqs.Options) {
	return func(o *sqs.Options) {
		if fast {
			o.Protocol = awscall.FastBody(o.Protocol, sendMessageBatchBody)
		}
	}
}

// singleKeyMaps reports whether no map of in has more than one key: then
// the SDK's body is the same, byte for byte, whatever the map order.
func singleKeyMaps(in *sqs.SendMessageBatchInput) bool {
	for _, e := range in.Entries {
		if len(e.MessageAttributes) > 1 || len(e.MessageSystemAttributes) > 1 {
			return false
		}
	}
	return true
}

// sameOnTheWire is testutil.SameOnTheWire where exact, else
// testutil.SameOnTheWireAnyOrder.
func sameOnTheWire(t *testing.T, c *testutil.CaptureHTTP, exact bool, send func(fast bool) error) {
	t.Helper()
	if exact {
		testutil.SameOnTheWire(t, c, send)
	} else {
		testutil.SameOnTheWireAnyOrder(t, c, send)
	}
}

// BenchmarkSendMessageBatchBody compares a SendMessageBatch call of 10
// messages of 250 bytes, each with a String attribute, with its body as the
// SDK writes it and as sendMessageBatchBody does.
//
//	go test -run '^$' -bench SendMessageBatchBody ./sqsbatch/
func BenchmarkSendMessageBatchBody(b *testing.B) {
	in := &sqs.SendMessageBatchInput{QueueUrl: aws.String("http://127.0.0.1:1/000000000000/q")}
	for i := range MaxBatchItems {
		in.Entries = append(in.Entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)),
			MessageBody: aws.String(strings.Repeat("d", 250)),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"customer": {DataType: aws.String("String"), StringValue: aws.String("customer-" + strconv.Itoa(i))}}})
	}
	capture := &testutil.CaptureHTTP{Answer: `{"Successful":[],"Failed":[]}`}
	client := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"),
		Credentials: testutil.CaptureCredentials, HTTPClient: capture})
	for _, c := range []struct {
		name string
		opts []func(*sqs.Options)
	}{{"sdk", nil}, {"ours", []func(*sqs.Options){func(o *sqs.Options) { o.Protocol = awscall.FastBody(o.Protocol, sendMessageBatchBody) }}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.SendMessageBatch(context.Background(), in, c.opts...); err != nil {
					b.Fatal(err)
				}
				capture.Requests()
			}
		})
	}
}
