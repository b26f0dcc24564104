package testutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// EndpointEnv is the environment variable that holds the URL of the
// DynamoDB-compatible server integration tests run against.
// internal/dynalite/run.sh (used by `make test`) starts a local server and
// sets it; set it yourself to use a server of your own, which must listen on a
// loopback address.
const EndpointEnv = "BATCHUTILS_DYNAMODB_ENDPOINT"

// endpointHint says how to get a server when EndpointEnv is not set.
const endpointHint = EndpointEnv + " is not set: run the tests with `make test`, " +
	"which starts a local DynamoDB-compatible server (dynalite) and sets it"

// DynamoDBEndpoint returns the URL of the local DynamoDB-compatible server
// from $BATCHUTILS_DYNAMODB_ENDPOINT. When it is not set, the test is skipped,
// or fails when $CI is set: integration tests must run in CI.
func DynamoDBEndpoint(t testing.TB) string {
	t.Helper()
	return endpointFrom(t, EndpointEnv, endpointHint)
}

// Fake credentials: the local server accepts any signature, and nothing here
// may ever reach real AWS.
const (
	fakeAccessKeyID     = "test"
	fakeSecretAccessKey = "test"
)

// Timeouts of the HTTP client NewDynamoDBClient builds.
const (
	dialTimeout    = 5 * time.Second
	requestTimeout = 30 * time.Second
)

// NewDynamoDBClient returns a real DynamoDB client that talks to endpoint
// (usually the one DynamoDBEndpoint returns) with fake credentials, in region
// us-east-1. The test fails at once if endpoint is not an http or https URL
// whose host is a loopback address (127.0.0.0/8, ::1 or localhost): no test
// may touch real AWS. Idle connections are closed when the test ends, so leak
// checkers such as goleak do not see them.
func NewDynamoDBClient(t testing.TB, endpoint string) *dynamodb.Client {
	t.Helper()
	if err := checkLoopbackEndpoint(endpoint); err != nil {
		t.Fatalf("testutil: refusing DynamoDB endpoint: %v", err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	transport.ResponseHeaderTimeout = requestTimeout
	t.Cleanup(transport.CloseIdleConnections)
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{
				AccessKeyID:     fakeAccessKeyID,
				SecretAccessKey: fakeSecretAccessKey,
				Source:          "testutil fake credentials",
			}, nil
		}),
		HTTPClient: &http.Client{Transport: transport, Timeout: requestTimeout},
	})
}

// checkLoopbackEndpoint returns an error unless endpoint is an http or https
// URL whose host is localhost or a loopback IP address.
func checkLoopbackEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: scheme is %q, want http or https", endpoint, u.Scheme)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%q: host %q is not a loopback address (127.0.0.0/8, ::1, localhost)", endpoint, host)
}

// Bounds of CreateTable's wait for a table to become ACTIVE, and of the
// deletion at the end of the test.
const (
	tableActiveTimeout = 2 * time.Minute
	tableDeleteTimeout = 30 * time.Second
)

// CreateTable creates a table with a unique name derived from the test's name,
// the key schema schema and on-demand (PAY_PER_REQUEST) billing, waits until
// it is ACTIVE, and returns its name. The table is deleted when the test ends.
// A zero PartitionKeyType or SortKeyType means S (string); an empty SortKey
// means the table has a partition key only.
func CreateTable(t testing.TB, client *dynamodb.Client, schema KeySchema) string {
	t.Helper()
	if schema.PartitionKey == "" {
		t.Fatal("testutil.CreateTable: KeySchema.PartitionKey is empty")
	}
	name := tableName(t)
	attrs := []types.AttributeDefinition{{
		AttributeName: aws.String(schema.PartitionKey),
		AttributeType: scalarTypeOrS(schema.PartitionKeyType),
	}}
	keys := []types.KeySchemaElement{{
		AttributeName: aws.String(schema.PartitionKey),
		KeyType:       types.KeyTypeHash,
	}}
	if schema.SortKey != "" {
		attrs = append(attrs, types.AttributeDefinition{
			AttributeName: aws.String(schema.SortKey),
			AttributeType: scalarTypeOrS(schema.SortKeyType),
		})
		keys = append(keys, types.KeySchemaElement{
			AttributeName: aws.String(schema.SortKey),
			KeyType:       types.KeyTypeRange,
		})
	}

	ctx := t.Context()
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		AttributeDefinitions: attrs,
		KeySchema:            keys,
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("testutil.CreateTable %s: %v", name, err)
	}
	t.Cleanup(func() { deleteTable(t, client, name) })

	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 20 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, tableActiveTimeout); err != nil {
		t.Fatalf("testutil.CreateTable %s: waiting for ACTIVE: %v", name, err)
	}
	return name
}

// deleteTable deletes table at the end of a test. The test's own context is
// already canceled then, so it uses a fresh one. A table the test deleted
// itself is not an error.
func deleteTable(t testing.TB, client *dynamodb.Client, table string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), tableDeleteTimeout)
	defer cancel()
	_, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	var notFound *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &notFound) {
		t.Errorf("testutil: deleting table %s: %v", table, err)
	}
}

// scalarTypeOrS returns typ, or S when typ is empty.
func scalarTypeOrS(typ types.ScalarAttributeType) types.ScalarAttributeType {
	if typ == "" {
		return types.ScalarAttributeTypeS
	}
	return typ
}

// maxTestNameInTable bounds the part of a table name taken from the test's
// name; DynamoDB allows 255 characters.
const maxTestNameInTable = 200

// tableName returns a table name unique to this call: the test's name, made of
// the characters DynamoDB allows (a-z, A-Z, 0-9, '_', '-', '.'), and a random
// suffix.
func tableName(t testing.TB) string {
	t.Helper()
	clean := strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '_', r == '-', r == '.':
			return r
		}
		return '-'
	}, t.Name())
	if len(clean) > maxTestNameInTable {
		clean = clean[:maxTestNameInTable]
	}
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		t.Fatalf("testutil: random table name: %v", err)
	}
	return clean + "-" + hex.EncodeToString(suffix[:])
}

// ScanAll returns every item of table, read with strongly consistent scans,
// following LastEvaluatedKey across pages. It fails the test on any error.
func ScanAll(t testing.TB, client *dynamodb.Client, table string) []map[string]types.AttributeValue {
	t.Helper()
	var items []map[string]types.AttributeValue
	pages := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{
		TableName:      aws.String(table),
		ConsistentRead: aws.Bool(true),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(t.Context())
		if err != nil {
			t.Fatalf("testutil.ScanAll %s: %v", table, err)
		}
		items = append(items, page.Items...)
	}
	return items
}
