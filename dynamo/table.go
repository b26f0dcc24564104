package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableClient is the part of *dynamodb.Client that EnsureTable uses.
type TableClient interface {
	DescribeTable(ctx context.Context, params *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	CreateTable(ctx context.Context, params *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
}

var _ TableClient = (*dynamodb.Client)(nil)

// TableActiveTimeout is the longest EnsureTable waits for a table to become
// ACTIVE, unless its context ends first.
const TableActiveTimeout = 5 * time.Minute

// EnsureTable makes sure the table cfg names exists with cfg's key schema
// (PartitionKey and PartitionKeyType, SortKey and SortKeyType), so that a
// program can write to a new local server, or a new account, without a
// separate set-up step.
//
// If the table is missing, EnsureTable creates it with that key schema and
// on-demand (PAY_PER_REQUEST) billing, and waits until it is ACTIVE. If it
// exists with the same key schema, EnsureTable only waits until it is
// ACTIVE; with another key schema, it returns an error that names both
// schemas and changes nothing. It needs dynamodb:DescribeTable, and
// dynamodb:CreateTable only when the table is missing. Other settings
// (billing, indexes, streams, TTL) are left to you: create the table
// yourself for those.
func EnsureTable(ctx context.Context, client TableClient, cfg Config) error {
	if client == nil {
		return errors.New("dynamo: EnsureTable needs a TableClient, got nil")
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	want := keySchemaOf(cfg)
	desc, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(cfg.Table)})
	var notFound *types.ResourceNotFoundException
	switch {
	case errors.As(err, &notFound):
		_, err = client.CreateTable(ctx, want.createInput(cfg.Table))
		var inUse *types.ResourceInUseException
		if err != nil && !errors.As(err, &inUse) { // in use: created meanwhile by another program
			return fmt.Errorf("dynamo: creating table %q: %w", cfg.Table, err)
		}
	case err != nil:
		return fmt.Errorf("dynamo: describing table %q: %w", cfg.Table, err)
	default:
		if got := keySchemaOfTable(desc.Table); got != want {
			return fmt.Errorf("dynamo: table %q exists with the key schema %v; Config says %v", cfg.Table, got, want)
		}
		if desc.Table != nil && desc.Table.TableStatus == types.TableStatusActive {
			return nil
		}
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 20 * time.Millisecond
		o.MaxDelay = 2 * time.Second
	})
	desc, err = waiter.WaitForOutput(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(cfg.Table)}, TableActiveTimeout)
	if err != nil {
		return fmt.Errorf("dynamo: waiting for table %q to be ACTIVE: %w", cfg.Table, err)
	}
	if got := keySchemaOfTable(desc.Table); got != want {
		return fmt.Errorf("dynamo: table %q exists with the key schema %v; Config says %v", cfg.Table, got, want)
	}
	return nil
}

// keySchema is a table's primary key: names and types ("" when there is no
// sort key).
type keySchema struct {
	pk, pkType, sk, skType string
}

func (k keySchema) String() string {
	if k.sk == "" {
		return fmt.Sprintf("%s (%s)", k.pk, k.pkType)
	}
	return fmt.Sprintf("%s (%s), sort key %s (%s)", k.pk, k.pkType, k.sk, k.skType)
}

func keySchemaOf(cfg Config) keySchema {
	k := keySchema{pk: cfg.PartitionKey, pkType: cfg.PartitionKeyType.String()}
	if cfg.SortKey != "" {
		k.sk, k.skType = cfg.SortKey, cfg.SortKeyType.String()
	}
	return k
}

func keySchemaOfTable(t *types.TableDescription) keySchema {
	var k keySchema
	if t == nil {
		return k
	}
	attrTypes := map[string]string{}
	for _, a := range t.AttributeDefinitions {
		attrTypes[aws.ToString(a.AttributeName)] = string(a.AttributeType)
	}
	for _, e := range t.KeySchema {
		name := aws.ToString(e.AttributeName)
		switch e.KeyType {
		case types.KeyTypeHash:
			k.pk, k.pkType = name, attrTypes[name]
		case types.KeyTypeRange:
			k.sk, k.skType = name, attrTypes[name]
		}
	}
	return k
}

func (k keySchema) createInput(table string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{
			AttributeName: aws.String(k.pk), AttributeType: types.ScalarAttributeType(k.pkType),
		}},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String(k.pk), KeyType: types.KeyTypeHash}},
	}
	if k.sk != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(k.sk), AttributeType: types.ScalarAttributeType(k.skType),
		})
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(k.sk), KeyType: types.KeyTypeRange})
	}
	return in
}
