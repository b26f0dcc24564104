package main

import (
	"errors"
	"flag"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFlagsBackends(t *testing.T) {
	all := map[string]bool{"dynamodb": true, "sqs": true, "kinesis": true, "cloudwatch": true, "firehose": true, "eventbridge": true, "sns": true}
	for _, tc := range []struct {
		name       string
		args       []string
		want       map[string]bool
		wantPicked bool
		wantErr    bool
	}{
		{name: "default: all", args: []string{"-endpoint", "http://127.0.0.1:1"}, want: all},
		{name: "some", args: []string{"-backends", "sns, cloudwatch"}, want: map[string]bool{"sns": true, "cloudwatch": true}, wantPicked: true},
		{name: "dynamodb needs an endpoint", args: []string{"-backends", "dynamodb,sns"}, wantErr: true},
		{name: "dynamodb with one", args: []string{"-backends", "dynamodb", "-endpoint", "http://127.0.0.1:1"}, want: map[string]bool{"dynamodb": true}, wantPicked: true},
		{name: "unknown section", args: []string{"-backends", "sns,kafka"}, wantErr: true},
		{name: "none", args: []string{"-backends", ","}, wantErr: true},
		{name: "no moto items", args: []string{"-backends", "sns", "-moto-n", "0"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(endpointEnv, "")
			o, err := parseFlags(tc.args, io.Discard)
			if tc.wantErr {
				if err == nil || errors.Is(err, flag.ErrHelp) {
					t.Fatalf("parseFlags(%q) = nil error, want one", tc.args)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseFlags(%q): %v", tc.args, err)
			}
			if diff := cmp.Diff(tc.want, o.backends); diff != "" {
				t.Errorf("backends mismatch (-want +got):\n%s", diff)
			}
			if o.picked != tc.wantPicked {
				t.Errorf("picked = %v, want %v", o.picked, tc.wantPicked)
			}
		})
	}
}
