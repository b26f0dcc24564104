package testutil

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// NewEventBridgeClient returns a real EventBridge client for endpoint
// (usually the one MotoEndpoint returns, or a fault proxy's URL) with fake
// credentials, in region us-east-1, tuned by opts as NewSQSClient is. The
// test fails at once if endpoint is not a loopback URL: no test may touch
// real AWS. Idle connections are closed when the test ends.
func NewEventBridgeClient(t testing.TB, endpoint string, opts ClientOptions) *eventbridge.Client {
	t.Helper()
	p := newSDKParts(t, "EventBridge", endpoint, opts, 64)
	return eventbridge.New(eventbridge.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  p.credentials,
		HTTPClient:   p.httpClient,
		Retryer:      p.retryer,
	})
}

// CreateEventBus creates an event bus with a unique name derived from the
// test's name and returns its name. The bus, and the rules RouteToQueue put
// on it, are deleted when the test ends.
func CreateEventBus(t testing.TB, client *eventbridge.Client) string {
	t.Helper()
	name := queueName(t, false)
	if _, err := client.CreateEventBus(t.Context(), &eventbridge.CreateEventBusInput{Name: aws.String(name)}); err != nil {
		t.Fatalf("testutil.CreateEventBus %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), tableDeleteTimeout)
		defer cancel()
		if _, err := client.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String(name)}); err != nil {
			t.Errorf("testutil: deleting event bus %s: %v", name, err)
		}
	})
	return name
}

// RouteToQueue puts a rule on bus that sends the events whose source is
// source, whole, to the SQS queue at queueURL (made by CreateQueue on the
// same server). moto resolves each JSON path of a target's input for each
// event it delivers, at about 25 ms a path: the target has an input
// transformer of one path that delivers the event whole (without one, moto
// resolves eight). The rule is deleted when the test ends.
func RouteToQueue(t testing.TB, client *eventbridge.Client, sqsClient *sqs.Client, bus, source, queueURL string) {
	t.Helper()
	attrs, err := sqsClient.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("testutil.RouteToQueue: the queue's ARN: %v", err)
	}
	pattern, err := json.Marshal(map[string][]string{"source": {source}})
	if err != nil {
		t.Fatal(err)
	}
	rule := queueName(t, false)
	if _, err := client.PutRule(t.Context(), &eventbridge.PutRuleInput{
		Name: aws.String(rule), EventBusName: aws.String(bus), EventPattern: aws.String(string(pattern)),
	}); err != nil {
		t.Fatalf("testutil.RouteToQueue: PutRule: %v", err)
	}
	if _, err := client.PutTargets(t.Context(), &eventbridge.PutTargetsInput{
		Rule: aws.String(rule), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{
			Id: aws.String("queue"), Arn: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
			// The whole event, as without a transformer, but moto
			// resolves one JSON path per event instead of eight.
			InputTransformer: &ebtypes.InputTransformer{
				InputPathsMap: map[string]string{"id": "$.id"},
				InputTemplate: aws.String("<aws.events.event.json>"),
			},
		}},
	}); err != nil {
		t.Fatalf("testutil.RouteToQueue: PutTargets: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), tableDeleteTimeout)
		defer cancel()
		if _, err := client.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(rule), EventBusName: aws.String(bus), Ids: []string{"queue"}}); err != nil {
			t.Errorf("testutil: removing the target of rule %s: %v", rule, err)
		}
		if _, err := client.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(rule), EventBusName: aws.String(bus)}); err != nil {
			t.Errorf("testutil: deleting rule %s: %v", rule, err)
		}
	})
}

// QueuedEvent is an event as an EventBridge rule delivers it to an SQS
// queue: the body of the message.
type QueuedEvent struct {
	ID         string          `json:"id"`
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Time       string          `json:"time"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}
