package testutil

import "testing"

// MotoEndpointEnv names the environment variable that holds the URL of the
// local moto_server the integration tests of SQS, CloudWatch, Firehose,
// EventBridge and SNS run against (one server serves them all).
// internal/moto/run.sh (used by `make test`) starts one and sets it; set it
// yourself to use a server of your own, which must listen on a loopback
// address.
const MotoEndpointEnv = "BATCHUTILS_MOTO_ENDPOINT"

// motoEndpointHint says how to get a server when MotoEndpointEnv is not set.
const motoEndpointHint = MotoEndpointEnv + " is not set: run the tests with `make test`, " +
	"which starts a local moto_server and sets it"

// MotoEndpoint returns the URL of the local moto_server from
// $BATCHUTILS_MOTO_ENDPOINT. When it is not set, the test is skipped, or fails
// when $CI is set: integration tests must run in CI.
func MotoEndpoint(t testing.TB) string {
	t.Helper()
	return endpointFrom(t, MotoEndpointEnv, motoEndpointHint)
}
