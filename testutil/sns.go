package testutil

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// NewSNSClient returns a real SNS client for endpoint (usually the one
// MotoEndpoint returns, or a fault proxy's URL) with fake credentials, in
// region us-east-1, tuned by opts as NewSQSClient is. The test fails at once
// if endpoint is not a loopback URL: no test may touch real AWS. Idle
// connections are closed when the test ends.
func NewSNSClient(t testing.TB, endpoint string, opts ClientOptions) *sns.Client {
	t.Helper()
	p := newSDKParts(t, "SNS", endpoint, opts, 64)
	return sns.New(sns.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  p.credentials,
		HTTPClient:   p.httpClient,
		Retryer:      p.retryer,
	})
}

// TopicOptions say what kind of topic CreateTopic makes.
type TopicOptions struct {
	// FIFO makes a FIFO topic; its name ends in ".fifo".
	FIFO bool
	// ContentBasedDeduplication turns content-based deduplication on (FIFO
	// only).
	ContentBasedDeduplication bool
}

// CreateTopic creates a topic with a unique name derived from the test's
// name and returns its ARN. The topic is deleted when the test ends.
func CreateTopic(t testing.TB, client *sns.Client, opts TopicOptions) string {
	t.Helper()
	name := queueName(t, opts.FIFO)
	attrs := map[string]string{}
	if opts.FIFO {
		attrs["FifoTopic"] = "true"
		if opts.ContentBasedDeduplication {
			attrs["ContentBasedDeduplication"] = "true"
		}
	}
	out, err := client.CreateTopic(t.Context(), &sns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("testutil.CreateTopic %s: %v", name, err)
	}
	arn := aws.ToString(out.TopicArn)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), tableDeleteTimeout)
		defer cancel()
		if _, err := client.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
			t.Errorf("testutil: deleting topic %s: %v", arn, err)
		}
	})
	return arn
}

// SubscribeQueue subscribes the SQS queue at queueURL (made by CreateQueue
// on the same server) to the topic. With raw, the queue gets each message's
// body and attributes as they were published (RawMessageDelivery); without,
// it gets SNS's JSON envelope (SNSEnvelope), which carries the subject too.
func SubscribeQueue(t testing.TB, client *sns.Client, sqsClient *sqs.Client, topicARN, queueURL string, raw bool) {
	t.Helper()
	attrs, err := sqsClient.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("testutil.SubscribeQueue: the queue's ARN: %v", err)
	}
	in := &sns.SubscribeInput{
		TopicArn: aws.String(topicARN), Protocol: aws.String("sqs"),
		Endpoint: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
	}
	if raw {
		in.Attributes = map[string]string{"RawMessageDelivery": "true"}
	}
	if _, err := client.Subscribe(t.Context(), in); err != nil {
		t.Fatalf("testutil.SubscribeQueue: %v", err)
	}
}

// SNSEnvelope is a message as SNS delivers it to an SQS queue without raw
// message delivery: the body of the queue's message.
type SNSEnvelope struct {
	Type              string
	MessageID         string `json:"MessageId"`
	TopicARN          string `json:"TopicArn"`
	Subject           string
	Message           string
	MessageAttributes map[string]struct{ Type, Value string }
}
