package testutil

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// PlainItem returns item in DynamoDB's JSON form as plain Go values: each
// value a one-entry map from its type descriptor ({"S": "x"}, {"L": [...]}),
// binary as []byte (which encoding/json writes in base64, as DynamoDB does).
// Sets are sorted, since DynamoDB keeps no order in them. cmp.Diff compares
// and prints such items without options, and json.Marshal writes them as
// DynamoDB would.
func PlainItem(item map[string]types.AttributeValue) map[string]any {
	out := make(map[string]any, len(item))
	for name, av := range item {
		out[name] = PlainValue(av)
	}
	return out
}

// PlainValue is PlainItem for one value.
func PlainValue(av types.AttributeValue) any {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": v.Value}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": v.Value}
	case *types.AttributeValueMemberL:
		l := make([]any, len(v.Value))
		for i, e := range v.Value {
			l[i] = PlainValue(e)
		}
		return map[string]any{"L": l}
	case *types.AttributeValueMemberM:
		return map[string]any{"M": PlainItem(v.Value)}
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": sortedCopy(v.Value, strings.Compare)}
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": sortedCopy(v.Value, strings.Compare)}
	case *types.AttributeValueMemberBS:
		return map[string]any{"BS": sortedCopy(v.Value, bytes.Compare)}
	}
	return fmt.Sprintf("unexpected %T", av)
}

func sortedCopy[E any](s []E, cmp func(a, b E) int) []E {
	s = slices.Clone(s)
	slices.SortFunc(s, cmp)
	return s
}

// Seed returns the seed of a randomized test: $BATCHUTILS_SEED if set, else
// a fresh one. It is logged at the start, and again if the test fails, with
// the command line that repeats the run.
func Seed(t testing.TB) uint64 {
	t.Helper()
	seed := rand.Uint64()
	if s := os.Getenv("BATCHUTILS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("BATCHUTILS_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d (BATCHUTILS_SEED=%d repeats it)", seed, seed)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("failed with seed %d: run again with BATCHUTILS_SEED=%d", seed, seed)
		}
	})
	return seed
}
