package ddbsize_test

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchutils/batchutils/internal/ddbsize"
)

// The item from the Developer Guide's "Constraints" page: 23 bytes.
func ExampleSizes() {
	item := map[string]types.AttributeValue{
		"shirt-color": &types.AttributeValueMemberS{Value: "R"},
		"shirt-size":  &types.AttributeValueMemberS{Value: "M"},
	}
	size, jsonSize := ddbsize.Sizes(item)
	fmt.Println(size, size <= ddbsize.MaxItemSize)
	fmt.Println(jsonSize, len(`{"shirt-color":{"S":"R"},"shirt-size":{"S":"M"}}`))
	// Output:
	// 23 true
	// 48 48
}

func ExampleNumberSize() {
	for _, n := range []string{"27", "1.5", "-1E-130", "1E126"} {
		size, err := ddbsize.NumberSize(n)
		fmt.Println(n, size, errors.Is(err, ddbsize.ErrInvalidNumber))
	}
	// Output:
	// 27 2 false
	// 1.5 3 false
	// -1E-130 3 false
	// 1E126 0 true
}
