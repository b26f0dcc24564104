package benchmarks

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Item is the small typed record every end-to-end benchmark writes: 55 to
// 70 bytes as DynamoDB counts it, 140 to 150 as JSON. It has the tags of
// both libraries, attributevalue's (ours, raw) and guregu's, which give the
// same attributes.
type Item struct {
	ID      string  `dynamodbav:"id" dynamo:"id"`
	Name    string  `dynamodbav:"name" dynamo:"name"`
	Count   int     `dynamodbav:"count" dynamo:"count"`
	Price   float64 `dynamodbav:"price" dynamo:"price"`
	Active  bool    `dynamodbav:"active" dynamo:"active"`
	Created int64   `dynamodbav:"created" dynamo:"created"`
}

// makeItem returns item number i: a unique key, and values that vary.
func makeItem(i int) Item {
	return Item{
		ID:      "item-" + strconv.Itoa(i),
		Name:    "name of item " + strconv.Itoa(i%1000),
		Count:   i % 97,
		Price:   float64(i%10000) / 100,
		Active:  i%2 == 0,
		Created: 1_700_000_000 + int64(i),
	}
}

func makeItems(n int) []Item {
	items := make([]Item, n)
	for i := range items {
		items[i] = makeItem(i)
	}
	return items
}

// maxIdleConns keeps one idle connection per writer at the highest
// concurrency measured, so that no contender pays for new connections: the
// SDK's default keeps 10 per host.
const maxIdleConns = 32

// newClient returns a real DynamoDB client for endpoint (a loopback URL) with
// fake static credentials and the SDK's standard retryer (3 attempts): the
// one client all three contenders use. Its HTTP transport is the SDK's default
// one with more idle connections; close them with the returned function.
// optFns change the options further, as in dynamodb.New.
// serveDynamoDB starts fake and a client of it (newClient's), both stopped
// when b ends.
func serveDynamoDB(b *testing.B, fake *FakeDynamoDB) *dynamodb.Client {
	srv := fake.Start()
	b.Cleanup(srv.Close)
	client, closeIdle := newClient(srv.URL)
	b.Cleanup(closeIdle)
	return client
}

func newClient(endpoint string, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, func()) {
	tr := awshttp.NewBuildableClient().GetTransport()
	tr.MaxIdleConns = 2 * maxIdleConns
	tr.MaxIdleConnsPerHost = maxIdleConns
	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "bench", SecretAccessKey: "bench", Source: "benchmarks"}, nil
		}),
		HTTPClient:       &http.Client{Transport: tr},
		RetryMaxAttempts: 3,
	}, optFns...)
	return client, tr.CloseIdleConnections
}
