# Build, test and lint batchutils. GNU make; every variable can be overridden,
# e.g. `make test GO=go1.25.0 PKGS=./dynamo/...`.

SHELL := bash

GO ?= go
GOFMT ?= $(shell $(GO) env GOROOT)/bin/gofmt
PKGS ?= ./...

# Integration tests run against local servers that these scripts install,
# start and stop around a command; see their headers. Each runs the command
# that follows it, so they nest: RUN_SERVERS starts them all.
RUN_DYNALITE ?= bash internal/dynalite/run.sh
RUN_KINESALITE ?= bash internal/kinesalite/run.sh
# moto_server (SQS) is a Python package the script does not install: where it
# is missing, the script says to pip install "moto[server]".
RUN_MOTO ?= bash internal/moto/run.sh
RUN_SERVERS ?= $(RUN_DYNALITE) $(RUN_KINESALITE) $(RUN_MOTO)

TESTFLAGS ?= -race -count=1 -timeout 20m
BENCHFLAGS ?= -run='^$$' -bench=. -benchmem -count=6
COVERFLAGS ?= -count=1 -timeout 20m -covermode=atomic -coverpkg=./...

# Tools are installed at pinned versions into .tools (ignored by git).
TOOLS_DIR := $(CURDIR)/.tools
TOOLS_BIN := $(TOOLS_DIR)/bin
STATICCHECK_VERSION ?= v0.8.2
STATICCHECK := $(TOOLS_BIN)/staticcheck-$(STATICCHECK_VERSION)

.PHONY: all test bench lint fmt-check vet staticcheck cover demo soak clean

all: test lint

## test: every test, with -race, against a local server started for the run
test:
	$(RUN_SERVERS) $(GO) test $(TESTFLAGS) $(PKGS)

## bench: every benchmark, 6 runs each, written to bench.txt for benchstat: the
## library's own, then internal/benchmarks (a module of its own, so that its
## peers never enter go.mod) on a fake endpoint and a local dynalite; then the
## contenders side by side. See docs/performance.md. About 12 minutes, plus
## about 7.5 for the throttling scenarios (BenchmarkThrottle, 3 rounds;
## bench.sh redraws docs/rate-capacity.png). BENCH_BEFORE=file: the throttling goals compare
## with that earlier output.
BENCH_BEFORE ?=
BENCHSTAT ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
bench:
	set -o pipefail; { \
		$(GO) test $(BENCHFLAGS) $(PKGS) && \
		GO=$(GO) $(RUN_DYNALITE) bash internal/benchmarks/bench.sh; \
	} | tee bench.txt
	$(BENCHSTAT) -filter '.name:Core' -col '/impl@(bundler ours ours-keyed)' bench.txt
	$(BENCHSTAT) -filter '.name:(Fake OR Dynalite)' -col '/impl@(raw ours guregu)' bench.txt
	$(BENCHSTAT) -filter '.name:(SQS OR Kinesis)' -col '/impl@(raw ours)' bench.txt
	$(BENCHSTAT) -filter '.name:Paired' bench.txt
	$(BENCHSTAT) -filter '.name:Throttle' -col '/impl@(raw ours guregu)' bench.txt
	$(GO) run -C internal/benchmarks ./cmd/perftable $(if $(BENCH_BEFORE),-before $(abspath $(BENCH_BEFORE))) < bench.txt

## lint: gofmt, go vet and staticcheck
lint: fmt-check vet staticcheck

fmt-check:
	@files=$$(find . \( -name .git -o -name .tools -o -name node_modules -o -name testdata \) -prune \
		-o -name '*.go' -type f -print | xargs $(GOFMT) -l); \
	if [ -n "$$files" ]; then echo "gofmt -w needed on:"; echo "$$files"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck: $(STATICCHECK)
	$(STATICCHECK) $(PKGS)

$(STATICCHECK):
	GOBIN=$(TOOLS_BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(TOOLS_BIN)/staticcheck $@

## cover: coverage profile (cover.out, cover.html) and a per-function summary
cover:
	$(RUN_SERVERS) $(GO) test $(COVERFLAGS) -coverprofile=cover.out $(PKGS)
	$(GO) tool cover -html=cover.out -o cover.html
	$(GO) tool cover -func=cover.out

## demo: write 100,000 records into a local DynamoDB and Kinesis, and a few
## thousand through each moto backend (SQS, CloudWatch, Firehose, EventBridge,
## SNS); flags in DEMOFLAGS (see -help), e.g. DEMOFLAGS="-backends sns,firehose"
DEMOFLAGS ?=
demo:
	$(RUN_SERVERS) $(GO) run ./internal/cmd/demo $(DEMOFLAGS)

## soak: a longer mixed-fault run against a local server, for SOAK (default 3m);
## not part of test or CI. See docs/reliability.md.
SOAK ?= 3m
soak:
	BATCHUTILS_SOAK=$(SOAK) $(RUN_DYNALITE) $(GO) test -race -count=1 -timeout 2h -v -run '^TestReliabilitySoak$$' ./dynamo/

## clean: remove installed tools and outputs
clean:
	rm -rf $(TOOLS_DIR) cover.out cover.html bench.txt
